"""netns mode: once a simulated node's kernel runs, its OS leases on every cabled NIC from that NIC's own MAC,
and keeps (to renew) the lease of the one it booted from; an uncabled NIC stays down.  A real dnsmasq on the
provisioning uplink answers the PXE boot (TFTP of an iPXE script that boots a kernel) and the OS's DHCP;
checked with its lease file and the kernel's neighbour table in the system under test's namespace."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.privileges import require_root, require_tools
from tests.support.pxe_lab import PxeLab, pxe_lab
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for
from vrack.netns import RackNetwork

pytestmark = pytest.mark.e2e
SUT = "vrack-hdhcp-nodes"
RACK = "hdhcp2"
MANAGEMENT, PROVISIONING = ipaddress.IPv4Network("10.171.0.0/24"), ipaddress.IPv4Network("10.171.1.0/24")
SERVER = "10.171.1.1"  # the provisioning uplink: the first host of the network
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: n1, kind: compute, model: dell-r630, post_seconds: 0}}
  - {{name: sw1, kind: switch, ports: 8}}
cables:
  - {{a: n1/nic0, b: sw1/1}}
  - {{a: n1/nic1, b: sw1/2}}
"""
SEND_UDP = "import socket, sys; socket.socket(2, 2).sendto(b'x', (sys.argv[1], 9))"
BOOT_SCRIPT = f"#!ipxe\nkernel tftp://{SERVER}/vmlinuz console=ttyS0\nboot\n"


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


def neighbour(device: str, address: str) -> str | None:
    """The MAC the SUT kernel's neighbour table holds for ``address`` on ``device``, if any."""
    words = in_sut("ip", "neigh", "show", "dev", device, address).stdout.split()
    return words[words.index("lladdr") + 1] if "lladdr" in words else None


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[PxeLab]:
    require_root("network namespaces and DHCP need root")
    require_tools("dnsmasq")
    files = {"boot.ipxe": BOOT_SCRIPT.encode(), "vmlinuz": b"\x00kernel stand-in" * 64}
    with pxe_lab(SUT, RACK, SPEC, (MANAGEMENT, PROVISIONING), tmp_path, dhcp_range=("10.171.1.100", "10.171.1.150"),
                 boot=["--dhcp-boot=boot.ipxe"], files=files) as lab:  # fmt: skip
        yield lab


def os_dhcp(rack: RackProcess) -> list[dict[str, Any]]:
    leases: list[dict[str, Any]] = rack.api("GET", "/api/v1/devices/n1")["host"].get("os_dhcp", [])
    return leases


def test_every_cabled_nic_of_a_booted_node_leases_from_its_own_mac(lab: PxeLab) -> None:
    rack = lab.rack
    macs = [nic["mac"] for nic in rack.api("GET", "/api/v1/devices/n1")["nics"]]
    assert len(macs) == 4
    rack.api("POST", "/api/v1/devices/n1/power", {"action": "on"})
    wait_for(lambda: rack.api("GET", "/api/v1/devices/n1")["host"].get("last_boot", {}).get("kind") == "kernel", 30,
             "n1 to boot its kernel from nic0")  # fmt: skip
    wait_for(lambda: [d.get("state") for d in os_dhcp(rack)] == ["bound", "bound"], 30, "the OS to lease on eth1")
    eth0, eth1 = os_dhcp(rack)
    assert (eth1["interface"], eth1["mac"], eth1["server"]) == ("eth1", macs[1], SERVER)
    booted = rack.api("GET", "/api/v1/devices/n1")["host"]["last_boot"]
    # the boot NIC's lease is the OS's now (iPXE's, kept): renewed at T1 (dnsmasq's 1 h lease: in 30 min)
    assert (eth0["interface"], eth0["mac"], eth0["address"]) == ("eth0", macs[0], booted["ip"])
    assert 1700 < eth0["renew_in"] <= 1800 and eth0["renewals"] == 0
    leased = wait_for(lambda: lab.lease_macs().get(macs[1]), 10, "dnsmasq's lease for nic1")
    assert leased == eth1["address"]
    assert macs[0] in lab.lease_macs()  # the boot NIC's lease, from the PXE ROM
    assert not {macs[2], macs[3]} & lab.lease_macs().keys()  # not cabled: no carrier, no DHCP
    uplink = RackNetwork(RACK, MANAGEMENT, PROVISIONING).uplink_ifname("prov0")
    in_sut(sys.executable, "-c", SEND_UDP, leased)  # the kernel resolves the address: nic1 answers ARP
    wait_for(lambda: neighbour(uplink, leased) == macs[1], 10, "the SUT to learn nic1's MAC for its lease")
    rack.api("POST", "/api/v1/devices/n1/power", {"action": "off"})
    wait_for(lambda: os_dhcp(rack) == [], 10, "the OS's DHCP clients to stop with the power")
