"""netns mode on the wire: every BMC, PDU and switch answers ARP with the MAC it reports, announces itself
with a gratuitous ARP when it comes up, sends its frames from that MAC, and a BMC without AC power answers
no ARP until it has booted again.  Checked from the system under test's namespace with the kernel's
neighbour table and a tcpdump capture."""

from __future__ import annotations

import ipaddress
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for
from vrack.netns import RackNetwork

pytestmark = pytest.mark.e2e
SUT = "vrt-wire-sut"
MANAGEMENT, PROVISIONING = ipaddress.IPv4Network("10.164.20.0/24"), ipaddress.IPv4Network("10.164.21.0/24")
RACK = "vrt-wire"
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: "n{{n}}", kind: compute, count: 2, model: quanta-d51, bmc: {{boot_time: 0.5}}}}
  - {{name: dark, kind: compute, model: quanta-d51}}
  - {{name: pdu1, kind: pdu, outlets: 4}}
  - {{name: pdu2, kind: pdu, outlets: 4, outlets_on: false}}
  - {{name: sw1, kind: switch, ports: 8}}
power:
  - {{outlet: pdu1/1, to: n1/psu1}}
  - {{outlet: pdu2/1, to: dark/psu1}}
"""
LLDP_LOC_CHASSIS_ID = "1.0.8802.1.1.2.1.3.2.0"
SEND_UDP = "import socket, sys; socket.socket(2, 2).sendto(b'x', (sys.argv[1], 623))"


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


class Capture:
    """tcpdump in the SUT namespace writing every ARP and management frame, packet by packet, to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        argv = ["ip", "netns", "exec", SUT, "tcpdump", "-i", "any", "--immediate-mode", "-U", "-nn", "-w", str(path)]
        argv += ["arp or udp port 623 or udp port 161"]
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        for _ in range(5):  # "data link type ...", then "listening on ..." once it captures
            if "listening on" in self.proc.stderr.readline():
                return
        self.stop()
        raise AssertionError("tcpdump did not start capturing")

    def lines(self) -> list[str]:
        done = subprocess.run(["tcpdump", "-r", str(self.path), "-nn", "-e"], capture_output=True, text=True)
        return done.stdout.splitlines()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[RackProcess, Capture]]:
    add_namespace(SUT)
    capture = Capture(tmp_path / "wire.pcap")
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", RACK)
    try:
        yield rack.start(), capture
    finally:
        rack.stop()
        capture.stop()
        remove_namespace(SUT)


def management_uplink() -> str:
    """The SUT side of the rack's management veth."""
    return RackNetwork(RACK, MANAGEMENT, PROVISIONING).uplink_ifname("mgmt0")


def neighbours(device: str) -> dict[str, str]:
    """The SUT kernel's neighbour table on the management uplink: address -> MAC (or its state)."""
    out = in_sut("ip", "neigh", "show", "dev", device).stdout
    table = {}
    for line in out.splitlines():
        words = line.split()
        table[words[0]] = words[words.index("lladdr") + 1] if "lladdr" in words else words[-1]
    return table


def test_each_device_is_on_the_wire_with_its_own_mac(lab: tuple[RackProcess, Capture]) -> None:
    rack, capture = lab
    devices = {d["name"]: d for d in rack.api("GET", "/api/v1/devices")}
    dark = devices.pop("dark")["bmc"]  # its PDU's outlets are off from the start: never on the wire
    reported = {d["bmc"]["address"]: d["bmc"]["mac"] for d in devices.values() if d["kind"] == "compute"}
    reported |= {d["address"]: d["mac"] for d in devices.values() if d["kind"] in ("pdu", "switch")}
    assert len(set(reported.values())) == 5
    uplink = management_uplink()
    for address, mac in reported.items():  # what lan print and LLDP say is the MAC reported
        if address in (devices["n1"]["bmc"]["address"], devices["n2"]["bmc"]["address"]):  # BMCs
            lan = in_sut("ipmitool", "-I", "lanplus", "-H", address, "-U", "admin", "-P", "admin", "lan", "print")
            assert f"MAC Address             : {mac}" in lan.stdout, lan.stderr
        else:
            assert in_sut("snmpget", "-v2c", "-c", "public", address, "1.3.6.1.2.1.1.5.0").returncode == 0
    chassis = in_sut("snmpget", "-v2c", "-c", "public", "-On", devices["sw1"]["address"], LLDP_LOC_CHASSIS_ID)
    assert ":".join(chassis.stdout.partition("Hex-STRING:")[2].split()).lower() == devices["sw1"]["mac"]
    table = neighbours(uplink)
    assert {a: table.get(a) for a in reported} == reported  # the kernel learned every device's own MAC

    lines = capture.lines()  # (Linux cooked capture: interface, direction, source MAC, ethertype, payload)
    for address, mac in reported.items():  # a gratuitous ARP when it came up, ARP replies, and its frames
        assert any(
            f" {mac} ethertype ARP" in line and f"who-has {address} tell {address}," in line for line in lines
        ), address
        replies = [line for line in lines if f"Reply {address} is-at " in line]
        assert replies and all(
            f" {mac} ethertype ARP" in line and line.endswith(f"is-at {mac}, length 28") for line in replies
        )
        sent = [line for line in lines if re.search(rf"IPv4.*: {re.escape(address)}\.(623|161) >", line)]
        assert sent and all(f" {mac} ethertype IPv4" in line for line in sent), address
    in_sut(sys.executable, "-c", SEND_UDP, dark["address"])
    wait_for(lambda: neighbours(uplink).get(dark["address"]) == "FAILED", 10, "ARP for the dark BMC to fail")
    assert not [line for line in capture.lines() if dark["mac"] in line]  # not a single frame from it


def test_a_bmc_without_ac_answers_no_arp_and_announces_itself_when_back(lab: tuple[RackProcess, Capture]) -> None:
    rack, capture = lab
    n1 = rack.api("GET", "/api/v1/devices/n1")["bmc"]
    uplink = management_uplink()
    rack.api("POST", "/api/v1/pdus/pdu1/outlets/1", {"action": "off"})
    in_sut("ip", "neigh", "flush", "dev", uplink)
    in_sut(sys.executable, "-c", SEND_UDP, n1["address"])
    wait_for(lambda: neighbours(uplink).get(n1["address"]) == "FAILED", 10, "the dark BMC's ARP to fail")
    before = len(capture.lines())
    rack.api("POST", "/api/v1/pdus/pdu1/outlets/1", {"action": "on"})
    garp = f" {n1['mac']} ethertype ARP (0x0806), length 48: Request who-has {n1['address']} tell {n1['address']},"
    wait_for(lambda: any(garp in line for line in capture.lines()[before:]), 10, "the BMC's gratuitous ARP")
    wait_for(lambda: neighbours(uplink).get(n1["address"]) == n1["mac"], 10, "the neighbour entry to be updated")
    assert rack.api("GET", "/api/v1/devices/n1")["bmc"]["responsive"]
