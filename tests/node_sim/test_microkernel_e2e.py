"""End to end: the microkernel against the southbound double over real HTTP, with a real Bmc on UDP.

On loopback: the double serves HTTP on 127.24.2.1, the node's Bmc listens on 127.24.2.2:623
(an ephemeral port when not root) and the node's HTTP requests come from 127.24.2.3.
After discovery the double's catalogs must describe the real BMC and node, and the user the
credential script created must log in with real ``ipmitool -I lanplus`` (RackHD's
``Task.Obm.Ipmi.CreateSettings`` live test: ``chassis power status``).  The poll interval is
shortened to keep the module fast; the 5 s timing is covered by the fake-clock tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor, utils
from twisted.internet.defer import Deferred

from bmc_sim.protocol import BmcService
from bmc_sim.session import BmcEndpoint
from node_sim.catalog import LldpNeighbor
from node_sim.microkernel import Microkernel, MicrokernelEvent
from node_sim.microkernel_http import AgentFetcher
from tests.rackhd_double import server
from tests.rackhd_double.nodes import SimNode, make_node
from tests.rackhd_double.southbound import Southbound

pytestmark = pytest.mark.e2e
DOUBLE, BMC, NODE = "127.24.2.1", "127.24.2.2", "127.24.2.3"


@dataclass
class Rack:
    southbound: Southbound
    node: SimNode
    bmc_port: int


@pytest.fixture
def rack() -> Iterator[Rack]:
    southbound = Southbound(DOUBLE, 0)
    http = server.listen(reactor, southbound, DOUBLE)
    peer = LldpNeighbor("eth0", "00:1c:73:24:02:01", "tor-e2e", "Ethernet5")
    node = make_node("quanta-d51", name="e2e-node", bmc_ip=BMC, clock=reactor, neighbors=(peer,))
    bmc = BmcService(BmcEndpoint(node.bmc, reactor), BMC, 623 if os.geteuid() == 0 else 0, reactor=reactor)
    bmc.startService()
    try:
        yield Rack(southbound, node, bmc.port)
    finally:
        pytest_twisted.blockon(bmc.stopService())
        pytest_twisted.blockon(Deferred.fromCoroutine(_stop(http)))


async def _stop(port: Any) -> None:
    await port.stopListening()


def microkernel(rack: Rack, events: list[MicrokernelEvent], exits: list[int]) -> Microkernel:
    return Microkernel(
        rack.node.ctx,
        AgentFetcher(reactor, bind_address=NODE),
        reactor,
        server=f"http://{DOUBLE}:{rack.southbound.port}",
        mac=rack.node.identity.nic_macs[0],
        on_exit=exits.append,
        observer=events.append,
        poll_interval=0.05,
    )


@pytest_twisted.ensureDeferred
async def test_discovery_over_http_leaves_a_working_obm_user(rack: Rack) -> None:
    record = rack.southbound.add_node(rack.node.identity.nic_macs[0])
    events: list[MicrokernelEvent] = []
    exits: list[int] = []
    mk = microkernel(rack, events, exits)
    code = await _with_deadline(mk.start(), 30.0)
    assert code == 1 and exits == [1] and record.finished, [e.kind for e in events][-5:]
    assert all(request.client == NODE for request in rack.southbound.requests)
    bmc = record.catalogs["bmc"]
    assert (bmc["IP Address"], bmc["MAC Address"]) == (BMC, rack.node.identity.bmc_mac)
    assert record.catalogs["ipmi-fru"]["Builtin FRU Device (ID 0)"]["Board Mfg"] == "Quanta"
    assert record.catalogs["dmi"]["System Information"]["Serial Number"] == rack.node.identity.system_serial
    assert record.catalogs["lldp"]["eth0"]["port"]["ifname"] == "Ethernet5"
    creds = record.credentials
    args = ["-I", "lanplus", "-H", BMC, "-p", str(rack.bmc_port), "-U", creds.user, "-P", creds.password]
    out, err, status = await utils.getProcessOutputAndValue("/usr/bin/ipmitool", [*args, "chassis", "power", "status"])
    assert status == 0 and out.decode().startswith("Chassis Power is"), err


@pytest_twisted.ensureDeferred
async def test_a_node_rackhd_does_not_know_reboots(rack: Rack) -> None:
    events: list[MicrokernelEvent] = []
    exits: list[int] = []
    code = await _with_deadline(microkernel(rack, events, exits).start(), 10.0)
    assert code == 1 and exits == [1] and events[0].detail["status"] == 404


async def _with_deadline(d: Deferred[int | None], seconds: float) -> int | None:
    d.addTimeout(seconds, reactor)
    result: int | None = await d
    return result
