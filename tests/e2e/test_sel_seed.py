"""A BMC whose SEL the spec seeds: what ipmitool and the control API read when the rack starts.

Rack on 127.60.9.0/24 (the lead's test range), in process through vrack.testing, as root (UDP 623).
"""

from __future__ import annotations

import textwrap

import pytest

from tests.support.clients import ipmitool
from vrack.spec import parse_spec
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: selseed
    seed: selseed-seed
    epoch: 2026-03-01T12:00:00Z
    networks: {management: 127.60.9.0/24}
    devices:
      - name: node01
        kind: compute
        model: quanta-d51
        bmc:
          address: 127.60.9.1
          boot_time: 0
          sel:
            - {sensor_type: 0x08, sensor_number: 0x50, offset: 1, age: 86400}   # PSU failure, a day ago
            - {sensor_type: 0x08, sensor_number: 0x50, offset: 1, asserted: false, age: 3600}
            - {sensor_type: 0x0C, sensor_number: 0x60, offset: 1}   # memory: uncorrectable ECC
      - name: node02
        kind: compute
        model: quanta-d51
        bmc: {address: 127.60.9.2, boot_time: 0}
    """
)


def test_seeded_entries_are_in_the_sel_with_their_times_and_an_unseeded_sel_is_empty() -> None:
    rack = start_rack(SPEC, mode="inprocess", ports="standard")
    try:
        listing = ipmitool("127.60.9.1", "sel list").ok().stdout.splitlines()
        assert len(listing) == 3, listing
        assert "02/28/26 | 12:00:00" in listing[0] and "Power Supply" in listing[0] and "Asserted" in listing[0]
        assert "03/01/26 | 11:00:00" in listing[1] and "Deasserted" in listing[1]
        assert "Memory" in listing[2] and "Uncorrectable ECC" in listing[2]
        assert "Entries          : 3" in ipmitool("127.60.9.1", "sel info").ok().stdout
        assert "Entries          : 0" in ipmitool("127.60.9.2", "sel info").ok().stdout
        entries = rack.node("node01").sel()
        assert [(e["sensor_type"], e["asserted"]) for e in entries] == [(8, True), (8, False), (12, True)]
        assert entries[1]["timestamp"] - entries[0]["timestamp"] == 86400 - 3600
    finally:
        rack.stop()


def test_a_bad_seed_is_a_spec_error_naming_its_place() -> None:
    bad = SPEC.replace("offset: 1, age: 86400", "offset: 17, age: 86400")
    with pytest.raises(Exception) as raised:
        parse_spec(bad)
    message = str(raised.value)
    assert "devices[0].bmc.sel[0].offset" in message and "15" in message, message
