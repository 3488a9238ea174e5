"""A netns rack served by two worker processes (``vrack up --workers 2``, issue 17), driven from the system
under test's namespace as RackHD would drive it.

The coordinator makes the rack's namespace, every BMC's own link and every simulated NIC's veth; each worker
binds its nodes' BMCs inside that namespace and runs their simulated hosts on those veths.  From the SUT:
ipmitool reaches BMCs on both workers at their own MACs, and a worker-served node PXE boots from a real
dnsmasq, then its OS leases on its second NIC, which it knows to be cabled only from the neighbours the
coordinator sends its worker.  Networks: 10.236.0.0/24 (management), 10.236.1.0/24 (provisioning).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.privileges import require_root, require_tools
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for
from tests.vm.dnsmasq import Dnsmasq
from vrack.netns import RackNetwork

pytestmark = pytest.mark.e2e

SUT = "vrt-split-sut"
RACK = "vrtsplit"
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: 10.236.0.0/24, provisioning: 10.236.1.0/24}}
devices:
  - {{name: n1, kind: compute, model: generic, post_seconds: 0, bmc: {{boot_time: 0}}}}
  - {{name: n2, kind: compute, model: generic, post_seconds: 0, bmc: {{boot_time: 0}}}}
  - {{name: sw1, kind: switch, ports: 8}}
cables:
  - {{a: n1/nic0, b: sw1/1}}
  - {{a: n1/nic1, b: sw1/2}}
  - {{a: n2/nic0, b: sw1/3}}
"""
BMC = {"n1": "10.236.0.2", "n2": "10.236.0.3"}
BOOT_SCRIPT = "#!ipxe\nkernel tftp://10.236.1.1/vmlinuz console=ttyS0\nboot\n"


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


def socket_owner(address: str) -> int:
    """The pid of the process holding UDP ``address``:623 in the rack's namespace."""
    out = subprocess.run(
        ["ip", "netns", "exec", f"vrack-{RACK}", "ss", "-H", "-u", "-a", "-n", "-p", "src", f"{address}:623"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    pids = set(re.findall(r"pid=(\d+)", out))
    assert len(pids) == 1, out
    return int(pids.pop())


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[RackProcess, Dnsmasq]]:
    require_root("network namespaces need root")
    require_tools("dnsmasq", "ipmitool", "ss")
    add_namespace(SUT)
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", RACK, ("--workers", "2"))
    uplink = RackNetwork(RACK, IPv4Network("10.236.0.0/24"), IPv4Network("10.236.1.0/24"))
    dnsmasq = Dnsmasq(SUT, uplink.uplink_ifname("prov0"), ("10.236.1.100", "10.236.1.150"), tmp_path)
    try:
        rack.start()
        dnsmasq.tftp_root.mkdir(parents=True)
        (dnsmasq.tftp_root / "undionly.kpxe").write_bytes(b"\x00iPXE stand-in" * 64)
        (dnsmasq.tftp_root / "boot.ipxe").write_text(BOOT_SCRIPT)
        (dnsmasq.tftp_root / "vmlinuz").write_bytes(b"\x00kernel stand-in" * 64)
        dnsmasq.start()
        yield rack, dnsmasq
    finally:
        dnsmasq.stop()
        rack.stop()
        remove_namespace(SUT)


def lease_macs(dnsmasq: Dnsmasq) -> dict[str, str]:
    """MAC -> leased address, from dnsmasq's lease file."""
    if not dnsmasq.leases.exists():
        return {}
    return {w[1]: w[2] for w in (line.split() for line in dnsmasq.leases.read_text().splitlines()) if len(w) > 2}


def test_workers_serve_a_netns_rack_reached_from_the_sut(lab: tuple[RackProcess, Dnsmasq]) -> None:
    rack, dnsmasq = lab
    owners = {node: socket_owner(address) for node, address in BMC.items()}
    assert owners["n1"] != owners["n2"] and rack.info["pid"] not in owners.values()
    for node, address in BMC.items():
        described: dict[str, Any] = rack.api("GET", f"/api/v1/devices/{node}")
        out = in_sut("ipmitool", "-I", "lanplus", "-H", address, "-U", "admin", "-P", "admin", "lan", "print")
        assert out.returncode == 0, out.stderr
        assert f"MAC Address             : {described['bmc']['mac']}" in out.stdout
        neighbour = in_sut("ip", "neigh", "show", address).stdout
        assert described["bmc"]["mac"] in neighbour, neighbour  # its own link answered the SUT's ARP

    macs = [nic["mac"] for nic in rack.api("GET", "/api/v1/devices/n1")["nics"]]
    rack.api("POST", "/api/v1/devices/n1/power", {"action": "on"})

    def booted() -> bool:
        host = rack.api("GET", "/api/v1/devices/n1")["host"]
        return bool(host.get("last_boot", {}).get("kind") == "kernel")

    wait_for(booted, 60, "n1 (worker 0) to PXE boot its kernel from dnsmasq")
    assert macs[0] in lease_macs(dnsmasq)  # the PXE ROM's lease on the boot NIC
    wait_for(lambda: macs[1] in lease_macs(dnsmasq), 30, "n1's OS to lease on nic1, cabled to sw1/2")
