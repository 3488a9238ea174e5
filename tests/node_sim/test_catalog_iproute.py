"""``sudo ip -d addr show; sudo ip -d link show`` (RackHD's catalog-ip) on the simulated microkernel: the
node's NICs and addresses in iproute2's layout (compared with the real ``ip`` in a namespace), read by a
restatement of RackHD's parser."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from twisted.internet.task import Clock

from node_sim.catalog import DhcpAddress, LldpNeighbor, StaticAddress, run_command
from node_sim.catalog.iproute import link_local
from tests.rackhd_double.nodes import SimNode, make_node
from tests.rackhd_double.parsers import ip_catalog
from tests.support.privileges import require_root

CATALOG_IP = "sudo ip -d addr show; sudo ip -d link show"
LEASE = DhcpAddress("eth0", "172.31.128.10", 22, 86400)


def node(*leases: DhcpAddress, cabled: tuple[str, ...] = ("eth0",)) -> SimNode:
    peers = tuple(LldpNeighbor(name, "00:1c:73:00:00:01", "sw1", f"Ethernet{i}") for i, name in enumerate(cabled))
    sim = make_node("quanta-d51", name="ip-node", neighbors=peers)
    sim.ctx.dhcp_addresses[:] = list(leases)
    return sim


def test_catalog_ip_shows_every_nic_with_its_mac_carrier_and_lease() -> None:
    sim = node(LEASE)
    assert isinstance(sim.clock, Clock)
    sim.clock.advance(60)  # a minute after boot: the lease has 60 s less to run
    mac0, mac1 = (m.lower() for m in sim.identity.nic_macs)
    result = run_command(CATALOG_IP, sim.ctx)
    assert result.ok and result.stderr == ""
    addr, _, link = result.stdout.partition("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode")
    assert addr.splitlines()[6:12] == [
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000",
        f"    link/ether {mac0} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 9216 numtxqueues 8 "
        "numrxqueues 8 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 "
        "parentbus pci parentdev 0000:01:00.0 ",
        "    inet 172.31.128.10/22 brd 172.31.131.255 scope global dynamic eth0",
        "       valid_lft 86340sec preferred_lft 86340sec",
        f"    inet6 {link_local(mac0)}/64 scope link ",
        "       valid_lft forever preferred_lft forever",
    ]
    assert addr.splitlines()[12] == (
        "3: eth1: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc mq state DOWN group default qlen 1000"
    )
    assert len(addr.splitlines()) == 14  # the uncabled eth1 has no address, not even a link-local one
    assert "3: eth1: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc mq state DOWN mode DEFAULT" in link
    assert (
        f"link/ether {mac1} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 9216 addrgenmode" in link
    )
    assert link_local("54:ab:3a:01:02:03") == "fe80::56ab:3aff:fe01:203"


def test_rackhds_parser_records_every_nics_address_and_fails_on_one_without() -> None:
    """RackHD's command-parser.js reads an ``inet`` of every interface but lo; an unaddressed NIC makes the
    whole catalog an error on real hardware too."""
    both = node(LEASE, DhcpAddress("eth1", "172.31.128.11", 22, 86400), cabled=("eth0", "eth1"))
    parsed = ip_catalog({"cmd": CATALOG_IP, "stdout": run_command(CATALOG_IP, both.ctx).stdout})
    macs = [m.lower() for m in both.identity.nic_macs]
    assert parsed.error is None and parsed.lookups == [
        {"ip": "172.31.128.10", "mac": macs[0]},
        {"ip": "172.31.128.11", "mac": macs[1]},
    ]
    eth0 = parsed.data["eth0"]
    assert eth0["flags"] == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"] and eth0["state"] == "UP"
    # first value wins: "brd" is the link layer one, as in RackHD's catalogs
    assert (eth0["inet"], eth0["brd"], eth0["parentdev"]) == ("172.31.128.10/22", "ff:ff:ff:ff:ff:ff", "0000:01:00.0")
    assert parsed.data["lo"]["inet"] == "127.0.0.1/8"
    one = node(LEASE)
    with pytest.raises(KeyError):
        ip_catalog({"cmd": CATALOG_IP, "stdout": run_command(CATALOG_IP, one.ctx).stdout})


def test_static_addresses_and_errors_as_iproute2_prints_them() -> None:
    sim = node(LEASE)
    sim.ctx.static_addresses.append(StaticAddress("eth1", "10.1.2.3", "255.255.255.0", None))
    eth1 = run_command("ip addr show dev eth1", sim.ctx)
    assert eth1.stdout.splitlines()[0].startswith("3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq")
    assert eth1.stdout.splitlines()[2:] == [
        "    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth1",
        "       valid_lft forever preferred_lft forever",
        f"    inet6 {link_local(sim.identity.nic_macs[1].lower())}/64 scope link ",
        "       valid_lft forever preferred_lft forever",
    ]
    assert run_command("ip a", sim.ctx).stdout == run_command("ip -d addr show", sim.ctx).stdout
    assert (run_command("ip addr show dev eth7", sim.ctx).stderr, run_command("ip x", sim.ctx).exit_code) == (
        'Device "eth7" does not exist.\n',
        1,
    )
    assert run_command("ip addr frob", sim.ctx).stderr == 'Command "frob" is unknown, try "ip address help".\n'
    assert run_command("ip -x addr", sim.ctx).exit_code == 255


# --------------------------------------------------------------------------- against the real iproute2

NETNS = "vrt-wire-ip"


@pytest.fixture
def real_netns() -> Iterator[str]:
    """A namespace whose ``eth0`` (a veth, its peer in a second namespace) has the node's MAC and lease."""
    require_root("comparing with the real iproute2 needs a network namespace: run as root (CI does)")
    peer = f"{NETNS}-peer"
    for name in (NETNS, peer):
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield NETNS
    finally:
        for name in (NETNS, peer):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def _normalise(text: str) -> str:
    """What differs between a veth and a PCI NIC (kind line, peer namespace, queues, limits, parent bus, qdisc),
    and seconds."""
    text = re.sub(r"@\S+:", ":", text)
    text = re.sub(r" \n    veth ", " ", text)
    text = re.sub(r" parentbus \S+ parentdev \S+| link-netns \S+", "", text)
    text = re.sub(r"(maxmtu|numtxqueues|numrxqueues|tso_max_size) \d+", r"\1 N", text)
    text = re.sub(r"(valid_lft|preferred_lft) \d+sec", r"\1 Nsec", text)
    return re.sub(r"qdisc (mq|noqueue) state (UP|DOWN)", r"qdisc Q state \2", text)


def test_the_layout_is_iproute2s(real_netns: str) -> None:
    """The same interfaces made for real (lo, and eth0 with the node's MAC, lease and carrier) print as the
    emulator prints them, but for what a veth reports differently from a PCI NIC."""
    sim = node(LEASE)
    mac = sim.identity.nic_macs[0].lower()
    steps = [
        ["link", "set", "lo", "up"],
        ["link", "add", "eth0", "type", "veth", "peer", "name", "p0", "netns", f"{real_netns}-peer"],
        ["link", "set", "eth0", "address", mac],
        ["addr", "add", "172.31.128.10/22", "brd", "+", "dev", "eth0", "valid_lft", "86400", "preferred_lft", "86400"],
    ]
    for step in steps:
        subprocess.run(["ip", "-n", real_netns, *step], check=True)
    subprocess.run(["ip", "netns", "exec", real_netns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0"], check=True)
    subprocess.run(["ip", "-n", real_netns, "link", "set", "eth0", "up"], check=True)
    subprocess.run(["ip", "-n", f"{real_netns}-peer", "link", "set", "p0", "up"], check=True)

    def real(*argv: str) -> str:
        return subprocess.run(["ip", "-n", real_netns, *argv], capture_output=True, text=True, check=True).stdout

    deadline = time.monotonic() + 10  # carrier and the link-local address come a moment after "up"
    while "scope link" not in real("addr", "show", "dev", "eth0"):
        assert time.monotonic() < deadline, real("addr", "show", "dev", "eth0")
        time.sleep(0.01)
    for argv in (["-d", "addr", "show"], ["-d", "link", "show"]):
        ours = "".join(run_command(f"ip {' '.join(argv)} dev {dev}", sim.ctx).stdout for dev in ("lo", "eth0"))
        theirs = real(*argv)
        assert _normalise(ours) == re.sub(r"^\d+: eth0", "2: eth0", _normalise(theirs), flags=re.M)


def test_the_os_holds_the_boot_nics_lease_with_the_servers_lease_time() -> None:
    """The sim backend gives the microkernel the lease of the NIC it booted from, on ``ethN`` by that NIC's
    place among the node's MACs, with the ACK's lease time (option 51; none or 0xffffffff: forever)."""
    from types import SimpleNamespace

    from node_sim.dhcp import DhcpPacket
    from node_sim.dhcp_outcome import Lease
    from node_sim.netboot_types import BootOutcome, NicConfig
    from vrack.nodes.sim import SimBackend

    def lease(option: bytes | None) -> Lease:
        ack = DhcpPacket(op=2, xid=1, chaddr=b"\0" * 6, options={} if option is None else {51: option})
        return Lease("02:00:00:00:00:02", "172.31.128.11", 22, None, None, "", None, None, ack=ack)

    assert (lease(b"\x00\x01\x51\x80").lease_seconds, lease(None).lease_seconds) == (86400, None)
    assert lease(b"\xff\xff\xff\xff").lease_seconds is None
    backend = SimpleNamespace(identity=SimpleNamespace(nic_macs=("02:00:00:00:00:01", "02:00:00:00:00:02")))
    outcome = BootOutcome("kernel", nic=NicConfig("02:00:00:00:00:02", "vn-x"), ip="172.31.128.11", prefixlen=22,
                          lease_seconds=3600)  # fmt: skip
    assert SimBackend._os_addresses(backend, outcome) == [DhcpAddress("eth1", "172.31.128.11", 22, 3600)]  # type: ignore[arg-type]
    assert SimBackend._os_addresses(backend, BootOutcome("failed")) == []  # type: ignore[arg-type]
