"""Redfish on vrack BMCs, driven by sushy (Ironic's Redfish library) over HTTPS verified against the rack's CA,
with ipmitool on the same BMC: one state for both protocols, every Redfish request in the journal.

Rack on 127.66.2.0/24, in process through vrack.testing, as root (UDP 623, TCP 443; ports="standard").
"""

from __future__ import annotations

import http.client
import http.server
import json
import queue
import ssl
import textwrap
import threading
import urllib.request
from typing import Any

import pytest
import sushy

from tests.support.clients import ipmitool
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e


class EventReceiver:
    """An HTTP server on ``address`` that queues every JSON body POSTed to it (a subscriber's listener)."""

    def __init__(self, address: str) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        events = self.events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                events.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> EventReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


SPEC = textwrap.dedent(
    """\
    rack: redfish-e2e
    seed: redfish-e2e-seed
    networks: {management: 127.66.2.0/24}
    devices:
      - name: node01
        kind: compute
        model: quanta-d51
        bmc: {boot_time: 0, users: [{name: admin, password: admin}, {name: viewer, password: viewer, privilege: user}]}
      - name: dell01
        kind: compute
        model: dell-r630
        bmc: {boot_time: 0, redfish: {http: true}}
    """
)


def test_sushy_and_ipmitool_share_one_bmc_state() -> None:
    rack = start_rack(SPEC, mode="inprocess", ports="standard")
    try:
        node = rack.node("node01")
        bmc = node.bmc
        assert bmc.redfish_port == 443 and bmc.redfish_ca is not None
        root = sushy.Sushy(f"{bmc.redfish_url}/redfish/v1", username="admin", password="admin", verify=bmc.redfish_ca)
        system = root.get_system("/redfish/v1/Systems/1")
        assert system.power_state == sushy.PowerState.OFF
        assert system.uuid == node.uuid and system.serial_number == node.serial
        assert sorted(n.mac_address.lower() for n in system.ethernet_interfaces.get_members()) == sorted(node.nic_macs)

        mark = rack.journal.mark()
        system.reset_system(sushy.ResetType.ON)
        rack.journal.wait_for(device="node01", protocol="redfish", operation="system.reset", user="admin", since=mark)
        assert "Chassis Power is on" in ipmitool(bmc.address, "chassis power status").ok().stdout

        ipmitool(bmc.address, "chassis power off").ok()
        system.refresh()
        assert system.power_state == sushy.PowerState.OFF

        system.set_system_boot_options(
            sushy.BootSource.PXE, enabled=sushy.BootSourceOverrideEnabled.ONCE, mode=sushy.BootSourceOverrideMode.UEFI
        )
        flags = ipmitool(bmc.address, "chassis bootparam get 5").ok().stdout
        assert "Force PXE" in flags and "BIOS EFI boot" in flags, flags
        ipmitool(bmc.address, "chassis bootdev disk options=persistent").ok()
        system.refresh()
        assert system.boot.target == sushy.BootSource.HDD
        assert system.boot.enabled == sushy.BootSourceOverrideEnabled.CONTINUOUS

        system.reset_system(sushy.ResetType.ON)
        chassis = root.get_chassis("/redfish/v1/Chassis/1")
        names = {t.name for t in chassis.thermal.temperatures}
        sdr = ipmitool(bmc.address, "sdr type Temperature").ok().stdout
        assert names and all(name in sdr for name in names), (names, sdr)
        supplies = chassis.power.power_supplies
        assert supplies and supplies[0].name == "PSU1_PIN" and supplies[0].last_power_output_watts > 0

        manager = root.get_manager("/redfish/v1/Managers/1")
        cd = manager.virtual_media.get_member("/redfish/v1/Managers/1/VirtualMedia/CD")
        cd.insert_media("http://127.0.0.1:8080/ipa.iso", inserted=True, write_protected=True)
        cd.refresh()
        assert (cd.image, cd.inserted) == ("http://127.0.0.1:8080/ipa.iso", True)
        cd.eject_media()
        cd.refresh()
        assert not cd.inserted
        entries = root._conn.get(f"{manager.path}/LogServices/SEL/Entries").json()["Members"]
        sel = ipmitool(bmc.address, "sel list").ok().stdout.splitlines()
        assert len(entries) == len(sel) > 0

        viewer = sushy.Sushy(
            f"{bmc.redfish_url}/redfish/v1", username="viewer", password="viewer", verify=bmc.redfish_ca
        )
        with pytest.raises(sushy.exceptions.AccessError):
            viewer.get_system("/redfish/v1/Systems/1").reset_system(sushy.ResetType.FORCE_OFF)
        assert "Chassis Power is on" in ipmitool(bmc.address, "chassis power status").ok().stdout

        with EventReceiver("127.66.2.250") as receiver:
            subscription = {"Destination": receiver.url, "Context": "e2e", "EventTypes": ["StatusChange"]}
            root._conn.post("/redfish/v1/EventService/Subscriptions", data=subscription)
            ipmitool(bmc.address, "chassis power off").ok()
            event = receiver.events.get(timeout=10)["Events"][0]
            assert (event["MessageArgs"], event["OriginOfCondition"]) == (["Off"], {"@odata.id": system.path})
            rack.journal.wait_for(device="node01", protocol="redfish", operation="event.push", status=204, since=mark)
            # a subscriber outside the loopback network is kept, but nothing is sent there
            root._conn.post("/redfish/v1/EventService/Subscriptions", data={"Destination": "http://192.0.2.1/x"})
            ipmitool(bmc.address, "chassis power on").ok()
            rack.journal.wait_for(
                device="node01",
                protocol="redfish",
                operation="event.push",
                outcome="blocked",
                path="http://192.0.2.1/x",
                since=mark,
            )

        events = rack.journal.events(device="node01", protocol="redfish", since=mark)
        assert events and all({"method", "path", "user", "status"} <= set(e) for e in events)
        assert not any("admin" in str(e.get("path")) or "password" in str(e).lower() for e in events)

        dell = rack.node("dell01").bmc
        assert dell.redfish_http_port == 80
        plain = http.client.HTTPConnection(dell.address, 80, timeout=10)
        plain.request("GET", "/redfish/v1/Systems")  # HTTP beside HTTPS: redirected, no credentials in clear
        moved = plain.getresponse()
        assert moved.status == 308 and moved.getheader("Location") == f"https://{dell.address}/redfish/v1/Systems"
        context = ssl.create_default_context(cafile=dell.redfish_ca)  # verifies the chain and the BMC's IP
        request = urllib.request.Request(
            f"https://{dell.address}/redfish/v1/Systems", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}
        )  # admin:admin
        members = json.load(urllib.request.urlopen(request, timeout=10, context=context))["Members"]
        assert members == [{"@odata.id": "/redfish/v1/Systems/System.Embedded.1"}]
    finally:
        rack.stop()
