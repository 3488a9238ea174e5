"""``bmc.sel_history``: a node's SEL starts with days of its hardware model's typical entries, read by
ipmitool (``sel list``, ``sel info``) and FreeIPMI (``ipmi-sel``) as RackHD's SEL poller reads them.

Rack on 127.63.128.0/24, in process through vrack.testing, as root (UDP 623).
"""

from __future__ import annotations

import textwrap

import pytest

from bmc_sim.sel import SelEvent
from tests.support.clients import ipmitool, run
from vrack.devices.initial_sel import initial_sel
from vrack.spec import BmcSpec, ComputeSpec, parse_spec
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: selhistory
    seed: selhistory-seed
    epoch: 2026-03-01T12:00:00Z
    networks: {management: 127.63.128.0/24}
    devices:
      - name: dell01
        kind: compute
        model: dell-r630
        bmc: {address: 127.63.128.1, boot_time: 0, sel_history: 90}
      - name: quanta01
        kind: compute
        model: quanta-d51
        bmc:
          address: 127.63.128.2
          boot_time: 0
          sel_history: 30
          sel:
            - {sensor_type: 0x0C, sensor_number: 0x60, offset: 1, age: 0}   # the spec's own entry, the newest
      - name: generic01
        kind: compute
        model: generic
        bmc: {address: 127.63.128.3, boot_time: 0, sel_history: 30}
      - name: plain01
        kind: compute
        model: generic
        bmc: {address: 127.63.128.4, boot_time: 0}
    """
)


def test_each_model_starts_with_its_typical_history_read_by_ipmitool_and_ipmi_sel() -> None:
    rack = start_rack(SPEC, mode="inprocess", ports="standard")
    try:
        dell = ipmitool("127.63.128.1", "sel list").ok().stdout.splitlines()
        assert "Log area reset/cleared" in dell[0] and "Physical Security" in dell[1], dell[:3]
        assert len(dell) > 3 and all("02/" in line or "01/" in line or "12/" in line for line in dell), dell
        assert any("Power Supply AC lost" in line for line in dell) or any("Correctable ECC" in line for line in dell)
        quanta = ipmitool("127.63.128.2", "sel list").ok().stdout.splitlines()
        assert sum("Drive Present" in line for line in quanta[:5]) == 4, quanta[:5]
        assert any("System Boot Initiated" in line for line in quanta), quanta
        assert "Uncorrectable ECC" in quanta[-1] and "03/01/26 | 12:00:00" in quanta[-1], quanta[-1]
        assert f"Entries          : {len(quanta)}" in ipmitool("127.63.128.2", "sel info").ok().stdout
        freeipmi = run(["ipmi-sel", "-D", "LAN_2_0", "-h", "127.63.128.3", "-u", "admin", "-p", "admin"]).ok()
        rows = [line for line in freeipmi.stdout.splitlines()[1:] if line.strip()]
        generic = ipmitool("127.63.128.3", "sel list").ok().stdout.splitlines()
        assert len(rows) == len(generic) > 3 and "Log Area Reset/Cleared" in rows[0], rows[:3]
        assert "Entries          : 0" in ipmitool("127.63.128.4", "sel info").ok().stdout
        assert len(rack.node("dell01").sel()) == len(dell)
    finally:
        rack.stop()


def test_the_history_follows_the_seed_and_differs_between_nodes() -> None:
    spec = parse_spec(SPEC)
    dell, generic = spec.devices[0], spec.devices[2]
    assert isinstance(dell, ComputeSpec) and isinstance(generic, ComputeSpec)
    epoch = 1_772_366_400.0

    def draw(seed: str, node: str, bmc: BmcSpec = dell.bmc, model: str = "dell-r630") -> list[tuple[SelEvent, int]]:
        return initial_sel(bmc, model, seed, node, epoch, 512)

    assert draw("selhistory-seed", "dell01") == draw("selhistory-seed", "dell01")
    assert draw("selhistory-seed", "dell01") != draw("other-seed", "dell01")
    assert draw("selhistory-seed", "dell01") != draw("selhistory-seed", "dell02")
    entries = draw("selhistory-seed", "dell01")
    times = [when for _, when in entries]
    assert times == sorted(times) and epoch - 90 * 86400 <= times[0] and times[-1] <= epoch
    assert len(draw("s", "g", generic.bmc, "generic")) < len(draw("s", "g", dell.bmc, "generic"))  # 30 vs 90 days
    assert len(initial_sel(dell.bmc, "dell-r630", "s", "n", epoch, 16)) == 12  # three quarters of a small SEL


def test_sel_history_out_of_range_is_a_spec_error_naming_its_place() -> None:
    with pytest.raises(Exception) as raised:
        parse_spec(SPEC.replace("sel_history: 90", "sel_history: -1"))
    assert "devices[0].bmc.sel_history" in str(raised.value), str(raised.value)
