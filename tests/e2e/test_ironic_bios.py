"""OpenStack Ironic (standalone, unmodified, from PyPI) applies BIOS settings to a vrack node through its
``redfish`` bios interface: manual cleaning without a ramdisk, clean step ``bios.apply_configuration``.  Ironic
PATCHes ``/Bios/Settings``, reboots the node, polls until ``/Bios`` shows the values, and the node returns to
``manageable``; vrack's journal shows the PATCH by Ironic's user and the settings applied at the host's start.

Rack on 127.66.42.0/24 (a ``vrack up`` child process, TCP 443), Ironic's API on 127.66.42.200.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.e2e.ironic_standalone import Ironic, wait_until
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: ironic-bios
    seed: ironic-bios-seed
    networks: {management: 127.66.42.0/24}
    devices:
      - {name: node01, kind: compute, model: dell-r630, bmc: {boot_time: 0, users: [{name: ironic, password: ir-pw}]}}
    """
)


def test_ironic_applies_bios_settings_through_redfish(tmp_path: Path) -> None:
    rack = start_rack(SPEC, mode="process", ports="standard")
    ironic = None
    try:
        ironic = Ironic(tmp_path, "127.66.42.200")
        bmc = rack.node("node01").bmc
        info = {
            "redfish_address": bmc.redfish_url,
            "redfish_system_id": "/redfish/v1/Systems/System.Embedded.1",
            "redfish_username": "ironic",
            "redfish_password": "ir-pw",
            "redfish_verify_ca": bmc.redfish_ca,
        }
        body = {"name": "node01", "driver": "redfish", "bios_interface": "redfish", "driver_info": info}
        created = ironic.call("POST", "/nodes", body)
        assert created.status_code == 201, created.text
        uuid = created.json()["uuid"]

        def state_is(wanted: str) -> dict[str, object] | None:
            node = ironic.node(uuid)
            return node if node["provision_state"] == wanted and node["target_provision_state"] is None else None

        assert ironic.call("PUT", f"/nodes/{uuid}/states/provision", {"target": "manage"}).status_code == 202
        wait_until(lambda: state_is("manageable"), "manageable")

        mark = rack.journal.mark()
        step = {
            "interface": "bios",
            "step": "apply_configuration",
            "args": {"settings": [{"name": "BootMode", "value": "Bios"}, {"name": "LogicalProc", "value": "Disabled"}]},
        }
        clean = {"target": "clean", "clean_steps": [step], "disable_ramdisk": True}
        answer = ironic.call("PUT", f"/nodes/{uuid}/states/provision", clean)
        assert answer.status_code == 202, answer.text
        node = wait_until(lambda: state_is("manageable") or state_is("clean failed"), "cleaning to end", timeout=120)
        assert node["last_error"] is None and node["provision_state"] == "manageable", node["last_error"]

        rack.journal.wait_for(device="node01", protocol="redfish", operation="bios.settings", user="ironic", since=mark)
        applied = rack.journal.wait_for(device="node01", protocol="host", operation="bios-applied", since=mark)
        assert applied["attributes"] == {"BootMode": "Bios", "LogicalProc": "Disabled"}
        settings = {s["name"]: s["value"] for s in ironic.call("GET", f"/nodes/{uuid}/bios").json()["bios"]}
        assert (settings["BootMode"], settings["LogicalProc"]) == ("Bios", "Disabled")
    finally:
        if ironic is not None:
            ironic.stop()
        rack.stop()
