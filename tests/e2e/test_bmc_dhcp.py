"""netns mode: a BMC configured for DHCP leases its address from a real dnsmasq, from its own MAC on its
own link, moves to the leased address, renews at T1, and keeps its spec address while nobody answers;
a static BMC switched with ``ipmitool lan set 1 ipsrc dhcp`` does the same.  Checked from the system
under test's namespace: dnsmasq's lease file and log, the kernel's neighbour table, ipmitool."""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.privileges import require_root, require_tools
from tests.support.processes import stop_process
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for
from vrack.netns import RackNetwork

pytestmark = pytest.mark.e2e
SUT = "vrack-hdhcp-sut"
RACK = "hdhcp1"
MANAGEMENT, PROVISIONING = ipaddress.IPv4Network("10.170.0.0/24"), ipaddress.IPv4Network("10.170.1.0/24")
B1_MAC, B2_MAC = "02:70:00:00:00:01", "02:70:00:00:00:02"
B1_LEASE, B2_LEASE = "10.170.0.77", "10.170.0.78"
GATEWAY = "10.170.0.1"  # the uplink's address: the first host of the management network
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: b1, kind: compute, model: quanta-d51, bmc: {{ip_source: dhcp, mac: "{B1_MAC}"}}}}
  - {{name: b2, kind: compute, model: quanta-d51, bmc: {{mac: "{B2_MAC}"}}}}
"""


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


def ipmitool(address: str, *command: str) -> subprocess.CompletedProcess[str]:
    login = ("-I", "lanplus", "-H", address, "-U", "admin", "-P", "admin", "-N", "1", "-R", "2")
    return in_sut("ipmitool", *login, *command)


class Dnsmasq:
    """dnsmasq in the SUT namespace on the management uplink: fixed addresses for the two BMCs' MACs, T1 4 s."""

    def __init__(self, workdir: Path, interface: str) -> None:
        self.leases = workdir / "dnsmasq.leases"
        self.log = workdir / "dnsmasq.log"
        argv = ["dnsmasq", "--keep-in-foreground", "--port=0", "--no-ping", "--log-dhcp", f"--log-facility={self.log}"]
        argv += [f"--interface={interface}", "--bind-dynamic", f"--dhcp-leasefile={self.leases}", "--no-resolv"]
        argv += [f"--pid-file={workdir / 'dnsmasq.pid'}", "--dhcp-range=10.170.0.100,10.170.0.150,255.255.255.0,2m"]
        argv += [f"--dhcp-host={B1_MAC},{B1_LEASE}", f"--dhcp-host={B2_MAC},{B2_LEASE}"]
        argv += [f"--dhcp-option=option:router,{GATEWAY}", "--dhcp-option=option:T1,4", "--dhcp-option=option:T2,90"]
        self.proc = subprocess.Popen(["ip", "netns", "exec", SUT, *argv], stderr=subprocess.PIPE, text=True)

    def lease_macs(self) -> dict[str, str]:
        """Leased address -> MAC, from the lease file (``expiry mac ip hostname client-id`` per line)."""
        if not self.leases.exists():
            return {}
        return {words[2]: words[1] for words in (line.split() for line in self.leases.read_text().splitlines())}

    def requests_from(self, mac: str) -> int:
        text = self.log.read_text() if self.log.exists() else ""
        return sum(1 for line in text.splitlines() if "DHCPREQUEST(" in line and mac in line)

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[RackProcess, Path]]:
    require_root("network namespaces and DHCP need root")
    require_tools("dnsmasq", "ipmitool")
    add_namespace(SUT)
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", RACK)
    try:
        yield rack.start(), tmp_path
    finally:
        rack.stop()
        remove_namespace(SUT)


def neighbours(device: str) -> dict[str, str]:
    """The SUT kernel's neighbour table on ``device``: address -> MAC (or its state)."""
    table = {}
    for line in in_sut("ip", "neigh", "show", "dev", device).stdout.splitlines():
        words = line.split()
        table[words[0]] = words[words.index("lladdr") + 1] if "lladdr" in words else words[-1]
    return table


def redfish_status(address: str, rack: RackProcess) -> str:
    """The HTTP status of the BMC's Redfish service root at ``address``, its certificate verified against the
    rack's CA for that address (000: no answer, or a certificate that does not name the address)."""
    ca = rack.state_root / rack.rack / "redfish-ca.pem"
    argv = ["curl", "-s", "--cacert", str(ca), "-m", "5", "-o", "/dev/null", "-w", "%{http_code}"]
    return in_sut(*argv, f"https://{address}/redfish/v1/").stdout


def bmc(rack: RackProcess, name: str) -> dict[str, Any]:
    info: dict[str, Any] = rack.api("GET", f"/api/v1/devices/{name}")["bmc"]
    return info


def test_bmcs_lease_their_addresses_from_their_own_macs(lab: tuple[RackProcess, Path]) -> None:
    rack, workdir = lab
    uplink = RackNetwork(RACK, MANAGEMENT, PROVISIONING).uplink_ifname("mgmt0")
    b1, b2 = bmc(rack, "b1"), bmc(rack, "b2")
    assert (b1["mac"], b2["mac"]) == (B1_MAC, B2_MAC)
    spec_b1, spec_b2 = b1["address"], b2["address"]
    assert B1_LEASE not in (spec_b1, spec_b2) and B2_LEASE not in (spec_b1, spec_b2)
    # no DHCP server yet: b1 asks, and keeps its spec address meanwhile (the fallback)
    wait_for(lambda: bmc(rack, "b1")["dhcp"]["state"] in ("init", "backoff"), 10, "b1's DHCP client to run")
    assert "IP Address Source       : DHCP Address" in ipmitool(spec_b1, "lan", "print").stdout
    assert bmc(rack, "b2")["dhcp"]["state"] == "stopped"  # static: never asks

    dnsmasq = Dnsmasq(workdir, uplink)
    try:
        wait_for(lambda: dnsmasq.lease_macs().get(B1_LEASE) == B1_MAC, 60, "dnsmasq to lease b1's address")
        wait_for(lambda: bmc(rack, "b1")["address"] == B1_LEASE, 10, "b1 to move to its leased address")
        status = bmc(rack, "b1")
        assert status["dhcp"]["address"] == B1_LEASE and status["dhcp"]["server"] == GATEWAY
        assert (status["lan"]["ip_address"], status["lan"]["netmask"], status["lan"]["gateway"]) == (
            B1_LEASE, "255.255.255.0", GATEWAY,
        )  # fmt: skip
        lan = ipmitool(B1_LEASE, "lan", "print")
        assert f"IP Address              : {B1_LEASE}" in lan.stdout, lan.stderr
        assert f"Default Gateway IP      : {GATEWAY}" in lan.stdout
        assert "IP Address Source       : DHCP Address" in lan.stdout
        assert neighbours(uplink).get(B1_LEASE) == B1_MAC  # the leased address answers ARP with b1's own MAC
        assert ipmitool(spec_b1, "chassis", "power", "status").returncode != 0  # it left its spec address
        assert redfish_status(B1_LEASE, rack) == "200"  # Redfish moved too, with a certificate for its lease
        assert redfish_status(spec_b1, rack) != "200"
        journal = rack.api("GET", "/api/v1/events?device=b1&protocol=dhcp")["events"]
        assert [(e["address"], e["previous"]) for e in journal if e["operation"] == "moved"] == [(B1_LEASE, spec_b1)]
        # renewal at T1 (4 s): a REQUEST from b1's MAC answered by an ACK
        wait_for(lambda: bmc(rack, "b1")["dhcp"]["renewals"] >= 1, 30, "b1 to renew its lease at T1")
        assert dnsmasq.requests_from(B1_MAC) >= 2

        # b2 is switched to DHCP at run time
        assert ipmitool(spec_b2, "lan", "set", "1", "ipsrc", "dhcp").returncode == 0
        wait_for(lambda: dnsmasq.lease_macs().get(B2_LEASE) == B2_MAC, 60, "dnsmasq to lease b2's address")
        wait_for(lambda: bmc(rack, "b2")["address"] == B2_LEASE, 10, "b2 to move to its leased address")
        assert "Chassis Power is" in ipmitool(B2_LEASE, "chassis", "power", "status").stdout
        assert neighbours(uplink).get(B2_LEASE) == B2_MAC
    finally:
        dnsmasq.stop()
