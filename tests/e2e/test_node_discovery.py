"""RackHD-style discovery of simulated nodes in a ``vrack up`` rack, seen from the system under test.

The namespace ``vrt-dsc-sut`` plays RackHD's host and is the rack's uplink: a real dnsmasq serves DHCP
and TFTP (``monorail.ipxe``) on the provisioning uplink veth and hands iPXE (user class ``MonoRail``)
the southbound profiles URL, as RackHD's no-proxy dhcpd does; :mod:`tests.e2e.discovery_server`
serves the profiles and the rackhd_double's task API on ``:9030``.  RackHD's own ipmitool argv powers
the nodes on; the nodes PXE-boot on the rack's ``prov0``, run the microkernel's task batches and reboot.
The double's catalogs must then describe the rack's nodes, the BMC user the credential script made must
log in, and the journal must show the whole chain.  An outlet switched off (RackHD's ServerTech
``snmpset``) mid-boot must stop a node for good.

The task poll interval is shortened with ``VRACK_SIM_TASK_POLL`` (13 batches at bootstrap.js's 5 s
would take a minute); the 5 s default is checked in memory below.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from twisted.internet.task import Clock

from node_sim.hardware_identity import NodeIdentity
from node_sim.microkernel import POLL_INTERVAL
from node_sim.netboot_types import NicConfig
from tests.e2e.discovery_lab import SUT, SutLab
from tests.support.privileges import require_root
from tests.support.rack_process import ROOT, RackProcess
from tests.support.waiting import wait_for
from vrack.clock import RackClock
from vrack.journal import Journal
from vrack.netns import Bridge, RackNetwork, node_ifnames
from vrack.nodes.sim import TASK_POLL_ENV, SimBackend, task_poll_interval
from vrack.runner import links_not_up

RACK = "vrt-dsc"
MANAGEMENT = ipaddress.IPv4Network("10.234.0.0/24")
PROVISIONING = ipaddress.IPv4Network("10.234.128.0/24")
TASK_POLL = 0.2
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: "node{{n:02d}}", kind: compute, model: quanta-d51, count: 4, post_seconds: 0, bmc: {{boot_time: 0}}}}
  - {{name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}}
  - {{name: sw1, kind: switch, model: arista-7050, ports: 8}}
power:
  - {{outlet: pdu1/1, to: node03/psu1}}
  - {{outlet: pdu1/2, to: node04/psu1}}
cables:
  - {{a: node01/nic0, b: sw1/1}}
  - {{a: node02/nic0, b: sw1/2}}
"""
SENTRY_ACTION = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1"  # outletControlAction.1.1.<outlet>: on 1, off 2
LLDP_LOC_CHASSIS_ID = "1.0.8802.1.1.2.1.3.2.0"
DISCOVERY_BATCHES = 13
STORCLI = "sudo /opt/MegaRAID/storcli/storcli64"
TEXT: dict[str, Any] = {"capture_output": True, "text": True, "check": False}


@dataclass
class Lab:
    rack: RackProcess
    sut: SutLab
    devices: dict[str, dict[str, Any]]

    def bmc(self, node: str) -> str:
        return str(self.devices[node]["bmc"]["address"])

    def mac(self, node: str, nic: int = 0) -> str:
        return str(self.devices[node]["nics"][nic]["mac"])

    def ipmitool(self, node: str, *command: str, user: str = "admin", password: str = "admin") -> Any:
        """RackHD's OBM argv: ``ipmitool -I lanplus -U u -P p -H host <sub...>`` from the SUT namespace."""
        return self.sut.run("ipmitool", "-I", "lanplus", "-U", user, "-P", password, "-H", self.bmc(node), *command)

    def events(self, node: str, after: int = 0) -> list[dict[str, Any]]:
        return self.rack.events(node, after)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The SUT namespace, the rack (uplink into it), dnsmasq and the southbound server; all gone afterwards."""
    require_root("the discovery test builds network namespaces: run it as root (CI does)")
    work = tmp_path_factory.mktemp("discovery")
    spec = work / "rack.yaml"
    spec.write_text(SPEC)
    sut = SutLab(work)
    rack = RackProcess(spec, work / "state", RACK)
    try:
        sut.create_namespace()
        with pytest.MonkeyPatch.context() as env:
            env.setenv(TASK_POLL_ENV, str(TASK_POLL))
            rack.start()
        devices = {d["name"]: d for d in rack.api("GET", "/api/v1/devices")}
        network = RackNetwork(RACK, MANAGEMENT, PROVISIONING, f"netns:{SUT}")
        # a running rack's links pass traffic already (the kernel drops what is sent before they are UP)
        assert links_not_up(ip_links(network.netns)) == []
        assert links_not_up(ip_links(SUT), {network.uplink_ifname("mgmt0"), network.uplink_ifname("prov0")}) == []
        held = [nic["mac"] for name in ("node03", "node04") for nic in devices[name]["nics"]]
        sut.start(network.uplink_ifname("prov0"), str(network.uplink_address("prov0").ip), str(PROVISIONING), held)
        yield Lab(rack, sut, devices)
    finally:
        sut.stop_services()
        try:
            code = rack.stop()
        finally:
            cleanup = [sys.executable, "-m", "vrack", "--state-dir", str(work / "state"), "cleanup"]
            subprocess.run(cleanup, cwd=ROOT, **TEXT)
            sut.delete_namespace()
        assert code == 0, f"vrack exited {code} on SIGTERM:\n{rack.output()}"
    leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"vrack-{RACK}" not in leftovers and SUT not in leftovers


# --------------------------------------------------------------------------- helpers


def first(events: list[dict[str, Any]], after: int = 0, **match: Any) -> dict[str, Any] | None:
    """The first event with ``seq > after`` whose fields equal ``match``."""
    return next((e for e in events if e["seq"] > after and all(e.get(k) == v for k, v in match.items())), None)


def chain(events: list[dict[str, Any]], *steps: dict[str, Any]) -> list[dict[str, Any]]:
    """Find ``steps`` in order (each after the previous one); fail naming the first missing step."""
    found: list[dict[str, Any]] = []
    after = 0
    for step in steps:
        event = first(events, after, **step)
        if event is None:
            tail = [(e["seq"], e["protocol"], e["operation"]) for e in events if e["seq"] > after][:15]
            raise AssertionError(f"no {step} after seq {after}; next events: {tail}")
        found.append(event)
        after = event["seq"]
    return found


def ip_links(netns: str) -> list[dict[str, Any]]:
    done = subprocess.run(["ip", "-n", netns, "-j", "link", "show"], **TEXT)
    assert done.returncode == 0, done.stderr
    links: list[dict[str, Any]] = json.loads(done.stdout)
    return links


def switch_chassis_mac(lab: Lab) -> str:
    """lldpLocChassisId of sw1, read with net-snmp from the SUT namespace (``Hex-STRING: 00 1C ...``)."""
    out = lab.sut.run("snmpget", "-v2c", "-c", "public", "-On", lab.devices["sw1"]["address"], LLDP_LOC_CHASSIS_ID)
    assert out.returncode == 0, out.stderr
    octets = out.stdout.partition("Hex-STRING:")[2].split()
    assert len(octets) == 6, out.stdout
    return ":".join(octets).lower()


def refused(events: list[dict[str, Any]], after: int) -> list[dict[str, Any]]:
    """Profile requests answered 503 ("graph not ready") after ``after``: tries of iPXE's retry loop."""
    return [
        e for e in events if e["seq"] > after and e["operation"] == "http.fetch" and "HTTP 503" in str(e.get("error"))
    ]


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_rackhd_discovers_nodes_powered_on_through_their_bmcs(lab: Lab) -> None:
    nodes = ("node01", "node02")
    started = time.monotonic()
    for node in nodes:
        assert lab.ipmitool(node, "chassis", "bootdev", "pxe").ok().stdout == "Set Boot Device to pxe\n"
        assert "Chassis Power Control: Up/On" in lab.ipmitool(node, "chassis", "power", "on").ok().stdout

    def discovered() -> bool:
        status = lab.sut.status()["nodes"]
        return all(lab.mac(n) in status and status[lab.mac(n)]["finished"] for n in nodes)

    wait_for(discovered, 30, "both nodes' discovery batches", interval=0.1)
    print(f"\n[timing] power on -> discovery finished (2 nodes): {time.monotonic() - started:.1f} s")
    status = lab.sut.status()
    chassis_mac = switch_chassis_mac(lab)
    ports = {p["port"]: p["name"] for p in lab.rack.api("GET", "/api/v1/devices/sw1")["ports"]}
    for index, node in enumerate(nodes, start=1):
        device = lab.rack.api("GET", f"/api/v1/devices/{node}")
        record = status["nodes"][lab.mac(node)]
        # no MegaRAID controller in a quanta-d51: storcli fails, as RackHD's catalog-megaraid tolerates
        assert all(cmd.startswith(STORCLI) for cmd in record["catalog_errors"]), record["catalog_errors"]
        assert len(record["done"]) == DISCOVERY_BATCHES and record["done"][-1] == "shell-reboot"
        catalogs = record["catalogs"]
        bmc = catalogs["bmc"]
        assert (bmc["IP Address"], bmc["MAC Address"]) == (device["bmc"]["address"], device["bmc"]["mac"])
        assert bmc["IP Address Source"] == "Static Address"
        assert catalogs["ipmi-fru"]["Builtin FRU Device (ID 0)"]["Board Mfg"] == "Quanta"
        assert catalogs["dmi"]["System Information"]["Serial Number"] == device["serial"]
        assert catalogs["lldp"]["eth0"]["chassis"]["mac"] == chassis_mac
        assert catalogs["lldp"]["eth0"]["port"]["ifname"] == ports[index]
        # Task.Obm.Ipmi.CreateSettings' live test with the user set_bmc_credentials.sh made in band
        creds = record["credentials"]
        assert creds["user"] == "__rackhd__"
        power = lab.ipmitool(node, "chassis", "power", "status", user=creds["user"], password=creds["password"])
        assert power.ok().stdout == "Chassis Power is on\n"
    check_neighbours(lab, nodes)
    check_journal_chain(lab, "node01")
    check_second_boot(lab, nodes)


def check_neighbours(lab: Lab, nodes: tuple[str, ...]) -> None:
    """The SUT's kernel learned each node NIC's and each BMC's own MAC (no address behind a rack-side MAC)."""
    network = RackNetwork(RACK, MANAGEMENT, PROVISIONING)
    bridges: tuple[tuple[Bridge, set[str]], ...] = (("prov0", {lab.mac(n) for n in nodes}), ("mgmt0", set()))
    for bridge, wanted in bridges:
        out = lab.sut.run("ip", "neigh", "show", "dev", network.uplink_ifname(bridge)).ok().stdout
        learned = {w[0]: w[w.index("lladdr") + 1] for w in map(str.split, out.splitlines()) if "lladdr" in w}
        if bridge == "mgmt0":
            assert {lab.bmc(n): learned.get(lab.bmc(n)) for n in nodes} == {
                lab.bmc(n): lab.devices[n]["bmc"]["mac"] for n in nodes
            }
        else:
            nodes_side = {a: m for a, m in learned.items() if a != str(network.rack_address("prov0").ip)}
            node_macs = {m["mac"] for n in lab.devices.values() for m in n.get("nics", [])}
            assert wanted <= set(nodes_side.values()) <= node_macs, out


def check_journal_chain(lab: Lab, node: str) -> None:
    """ipmi chassis control -> host power -> boot -> microkernel tasks -> os-exit reboot -> boots again."""

    def rebooted() -> list[dict[str, Any]] | None:
        events = lab.events(node)
        exited = first(events, 0, operation="os-exit")
        return events if exited and first(events, exited["seq"], operation="boot-outcome") else None

    events = wait_for(rebooted, 30, f"{node}'s second boot to end", interval=0.1)
    sut = str(RackNetwork(RACK, MANAGEMENT, PROVISIONING).uplink_address("mgmt0").ip)
    # an IPMI request is journalled once answered, so the power-on it caused comes first
    control = chain(
        events,
        {"protocol": "ipmi", "operation": "chassis.set_boot_options", "user": "admin"},
        {"protocol": "power", "operation": "host-power", "on": True, "cause": "ipmi"},
        {"protocol": "ipmi", "operation": "chassis.control", "user": "admin", "completion_code": 0},
    )
    assert {control[0]["peer"].split(":")[0], control[2]["peer"].split(":")[0]} == {sut}
    steps = chain(
        events,
        {"protocol": "power", "operation": "host-power", "on": True, "cause": "ipmi"},
        {"protocol": "host", "operation": "boot", "boot_device": "pxe", "cause": "ipmi"},
        {"protocol": "boot", "operation": "dhcp.ack"},
        {"protocol": "boot", "operation": "tftp.fetch", "url": f"tftp://{lab.sut.address}/monorail.ipxe"},
        {"protocol": "boot", "operation": "http.fetch", "verb": "chain", "status": 200},
        {"protocol": "host", "operation": "boot-outcome", "kind": "kernel"},
        {"protocol": "microkernel", "operation": "cloud-config", "status": 200},
        {"protocol": "microkernel", "operation": "bootstrap", "status": 200},
        {"protocol": "microkernel", "operation": "task", "cmd": "sudo dmidecode", "accepted": True},
        {"protocol": "microkernel", "operation": "task", "cmd": "sudo ./set_bmc_credentials.sh", "accepted": True},
        {"protocol": "microkernel", "operation": "exit", "code": 1, "action": "reboot"},
        {"protocol": "host", "operation": "os-exit", "code": 1, "action": "reboot"},
        {"protocol": "power", "operation": "host-power", "on": True, "cause": "reset"},
        {"protocol": "host", "operation": "boot", "boot_device": "pxe", "cause": "reset"},
        {"protocol": "boot", "operation": "dhcp.ack"},
        {"protocol": "host", "operation": "boot-outcome", "kind": "local"},
    )
    leases = {e["address"] for e in events if e["operation"] == "dhcp.ack"}
    assert len(leases) == 1 and ipaddress.ip_address(leases.pop()) in PROVISIONING  # the same lease both times
    kernel = steps[5]
    assert kernel["mac"] == lab.mac(node) and f"nodeId={steps[7]['node_id']}" in kernel["args"]
    assert "rancher.password=***" in kernel["args"]  # the profile's password is not journalled
    tasks = [e for e in events if e["protocol"] == "microkernel" and e["operation"] == "task"]
    # dmi, ohai, bmc (49), set-interfaces, lsall (3), megaraid (its first command fails and ends the batch),
    # smart, driveid, lldp, set-boot-pxe, set-bmc, bmc again (49), shell-reboot
    assert len(tasks) == 1 + 1 + 49 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 49 + 1
    # bootstrap.js's wait between a POST and the next GET is there, at the shortened interval
    posted = [e for e in events if e["operation"] == "posted"]
    after_post = [first(events, p["seq"], operation="task") for p in posted[:-1]]
    gaps = [t["elapsed"] - p["elapsed"] for p, t in zip(posted, after_post, strict=False) if t is not None]
    assert len(gaps) == DISCOVERY_BATCHES - 1 and min(gaps) >= TASK_POLL * 0.9, gaps


def check_second_boot(lab: Lab, nodes: tuple[str, ...]) -> None:
    """After the reboot each node asks for its profile again: known and discovered, it gets ipxe-info."""
    status = lab.sut.status()
    for node in nodes:
        served = [p for p in status["profiles"] if lab.mac(node) in p["macs"]]
        assert [p["profile"] for p in served] == ["rancherOS", "ipxe-info"], served
        leased = {p["client"] for p in served}
        assert len(leased) == 1 and leased == {p["ips"][0] for p in served}
    assert set(status["task_clients"]) == {
        p["client"] for p in status["profiles"] if p["macs"] and p["profile"] == "rancherOS"
    }  # the microkernel's requests come from the nodes' own leased addresses


@pytest.mark.e2e
def test_an_outlet_switched_off_mid_boot_stops_the_node_for_good(lab: Lab) -> None:
    """node03 and node04 are held in iPXE's profile retry loop (503); node03's outlet goes off mid-boot."""
    mark = lab.rack.last_seq()
    for node in ("node03", "node04"):
        lab.ipmitool(node, "chassis", "bootdev", "pxe").ok()
        lab.ipmitool(node, "chassis", "power", "on").ok()
    wait_for(lambda: first(lab.events("node03"), mark, operation="dhcp.ack"), 10, "node03's first lease", 0.02)
    pdu = lab.devices["pdu1"]["address"]
    cut = lab.sut.run("snmpset", "-v2c", "-c", "private", pdu, f"{SENTRY_ACTION}.1", "i", "2")
    assert cut.returncode == 0, cut.stderr

    def cancelled() -> dict[str, Any] | None:
        return first(lab.events("node03"), mark, protocol="host", operation="boot-outcome")

    outcome = wait_for(cancelled, 10, "node03's boot to end", 0.05)
    # its first boot outcome is the cancellation: the outlet went off while it was still booting
    assert outcome["kind"] == "cancelled" and outcome["reason"] == "powered off", outcome
    events = lab.events("node03", mark)
    chain(
        events,
        {"protocol": "host", "operation": "boot", "boot_device": "pxe", "cause": "ipmi"},
        {"protocol": "boot", "operation": "dhcp.ack"},
        {"protocol": "power", "operation": "feed-changed", "outlet": "pdu1/1", "on": False, "ac": False},
        {"protocol": "power", "operation": "ac-power", "on": False},
        {"protocol": "power", "operation": "host-power", "on": False, "cause": "ac-lost"},
        {"protocol": "boot", "operation": "boot.outcome", "kind": "cancelled"},
    )
    # node04 started after node03 and is held the same way: two more of its retries after the cut prove
    # node03 would have retried by now had it not been stopped
    wait_for(lambda: len(refused(lab.events("node04"), outcome["seq"])) >= 2, 15, "node04's retries", 0.1)
    later = [e for e in lab.events("node03", outcome["seq"]) if e["protocol"] in ("boot", "microkernel", "host")]
    assert later == [], later
    inner, _ = node_ifnames("node03", "nic0")  # the lease was taken off the node's NIC
    addresses = subprocess.run(["ip", "-n", f"vrack-{RACK}", "-4", "-o", "addr", "show", "dev", inner], **TEXT)
    assert addresses.returncode == 0 and addresses.stdout == "", addresses
    described = lab.rack.api("GET", "/api/v1/devices/node03")
    assert (described["power"], described["ac_power"], described["host"]["running"]) == (False, False, False)
    assert lab.rack.api("GET", "/api/v1/devices/node04")["host"]["running"] is True


# --------------------------------------------------------------------------- in memory (the backend fixes)


def test_task_poll_interval_defaults_to_bootstrap_js_and_takes_only_positive_numbers() -> None:
    assert task_poll_interval({}) == POLL_INTERVAL == 5.0
    assert task_poll_interval({TASK_POLL_ENV: "0.25"}) == 0.25
    for bad in ("", "soon", "0", "-1", "nan", "inf"):
        assert task_poll_interval({TASK_POLL_ENV: bad}) == POLL_INTERVAL, bad


def test_boot_events_with_a_device_field_reach_the_journal() -> None:
    """node_sim's boot.start/boot.outcome carry ``device``, which is also the journal entry's own key."""
    clock = Clock()
    journal = Journal(RackClock(clock, datetime(2026, 1, 1, tzinfo=UTC)))
    identity = NodeIdentity(
        name="node01",
        system_serial="QTF-0001",
        system_uuid=uuid.UUID(int=1),
        nic_macs=("52:54:00:00:00:01", "52:54:00:00:00:02"),
        bmc_ip="10.234.0.2",
        bmc_mac="52:54:00:00:01:01",
    )
    network = SimpleNamespace(netns=None)
    nics = [NicConfig("52:54:00:00:00:01", "nic-unused")]
    reboots: list[int] = []
    backend = SimBackend(
        "node01", "quanta-d51", identity, nics, network, None, journal, clock, lambda: reboots.append(1)
    )
    assert backend.poll_interval == POLL_INTERVAL
    backend.host_on("disk", "ipmi")  # a local boot: node_sim decides at once, without a packet
    entries = [
        (e["device"], e["protocol"], e["operation"], e.get("boot_device"), e.get("kind")) for e in journal.entries()
    ]
    assert entries == [
        ("node01", "host", "boot", "disk", None),
        ("node01", "boot", "boot.start", "disk", None),
        ("node01", "boot", "boot.outcome", "disk", "local"),
        ("node01", "host", "boot-outcome", "disk", "local"),
    ]
    assert reboots == [] and backend.last_outcome is not None and backend.last_outcome.kind == "local"


def test_links_not_up_names_admin_up_links_the_kernel_has_not_activated() -> None:
    links = [
        {"ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "operstate": "UNKNOWN", "link_type": "loopback"},
        {"ifname": "mgmt0", "flags": ["BROADCAST", "UP", "LOWER_UP"], "operstate": "UP", "link_type": "ether"},
        {"ifname": "prov0", "flags": ["BROADCAST", "UP", "LOWER_UP"], "operstate": "UNKNOWN", "link_type": "ether"},
        {"ifname": "vn-1", "flags": ["BROADCAST", "UP"], "operstate": "LOWERLAYERDOWN", "link_type": "ether"},
        {"ifname": "vn-2", "flags": ["BROADCAST"], "operstate": "DOWN", "link_type": "ether"},  # admin down: not ours
    ]
    assert links_not_up(links) == ["prov0", "vn-1"]
    assert links_not_up(links, {"mgmt0", "vn-1"}) == ["vn-1"]
    assert links_not_up([]) == []
