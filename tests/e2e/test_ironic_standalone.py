"""OpenStack Ironic (standalone, unmodified, from PyPI) manages a vrack rack: one node enrolled with the ``ipmi``
hardware type (ipmitool), one with ``redfish`` (sushy over HTTPS, trusting the rack's CA).  Validate, power on,
reboot, power off and boot device, each checked on vrack's journal and on the BMC's state.

Rack on 127.66.5.0/24 (a ``vrack up`` child process, UDP 623 and TCP 443), Ironic's API on 127.66.5.200.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.e2e.ironic_standalone import Ironic
from tests.support.clients import ipmitool
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: ironic-e2e
    seed: ironic-e2e-seed
    networks: {management: 127.66.5.0/24}
    devices:
      - {name: node01, kind: compute, model: quanta-d51, bmc: {boot_time: 0, users: [{name: ironic, password: ir-pw}]}}
      - {name: node02, kind: compute, model: dell-r630, bmc: {boot_time: 0, users: [{name: ironic, password: ir-pw}]}}
    """
)


def test_ironic_drives_ipmi_and_redfish_nodes(tmp_path: Path) -> None:
    rack = start_rack(SPEC, mode="process", ports="standard")
    ironic = None
    try:
        ironic = Ironic(tmp_path, "127.66.5.200")
        ipmi_bmc, redfish_bmc = rack.node("node01").bmc, rack.node("node02").bmc
        assert redfish_bmc.redfish_ca is not None
        nodes = {
            "node01": (
                "ipmi",
                {
                    "ipmi_address": ipmi_bmc.address,
                    "ipmi_port": ipmi_bmc.port,
                    "ipmi_username": "ironic",
                    "ipmi_password": "ir-pw",
                },
            ),
            "node02": (
                "redfish",
                {
                    "redfish_address": redfish_bmc.redfish_url,
                    "redfish_system_id": "/redfish/v1/Systems/System.Embedded.1",
                    "redfish_username": "ironic",
                    "redfish_password": "ir-pw",
                    "redfish_verify_ca": redfish_bmc.redfish_ca,
                },
            ),
        }
        for name, (driver, info) in nodes.items():
            bmc = rack.node(name).bmc
            protocol, control = ("ipmi", "chassis.control") if driver == "ipmi" else ("redfish", "system.reset")
            created = ironic.call("POST", "/nodes", {"name": name, "driver": driver, "driver_info": info})
            assert created.status_code == 201, created.text
            uuid = created.json()["uuid"]

            checks = ironic.call("GET", f"/nodes/{uuid}/validate").json()
            assert checks["power"]["result"] and checks["management"]["result"], (checks["power"], checks["management"])

            mark = rack.journal.mark()
            assert ironic.set_power(uuid, "power on")["power_state"] == "power on"
            rack.journal.wait_for(device=name, protocol=protocol, operation=control, user="ironic", since=mark)
            assert rack.node(name).power_state() == "on"
            assert "Chassis Power is on" in ipmitool(bmc.address, "chassis power status", "ironic", "ir-pw").ok().stdout

            mark = rack.journal.mark()
            node = ironic.set_power(uuid, "rebooting")
            assert (node["power_state"], node["last_error"]) == ("power on", None)
            rack.journal.wait_for(device=name, protocol="power", operation="host-power", on=True, since=mark)

            mark = rack.journal.mark()
            assert ironic.set_power(uuid, "power off")["power_state"] == "power off"
            rack.journal.wait_for(device=name, protocol=protocol, operation=control, user="ironic", since=mark)
            assert rack.node(name).power_state() == "off"

            mark = rack.journal.mark()
            answer = ironic.call("PUT", f"/nodes/{uuid}/management/boot_device", {"boot_device": "pxe"})
            assert answer.status_code == 204, answer.text
            operation = "chassis.set_boot_options" if driver == "ipmi" else "system"
            rack.journal.wait_for(device=name, protocol=protocol, operation=operation, user="ironic", since=mark)
            assert "Force PXE" in ipmitool(bmc.address, "chassis bootparam get 5", "ironic", "ir-pw").ok().stdout
            assert ironic.call("GET", f"/nodes/{uuid}/management/boot_device").json()["boot_device"] == "pxe"
        secrets = [e for e in rack.journal.events(since=0) if "ir-pw" in str(e)]
        assert not secrets
    finally:
        if ironic is not None:
            ironic.stop()
        rack.stop()
