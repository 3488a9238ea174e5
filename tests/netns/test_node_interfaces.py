"""Node NICs: a veth per NIC whose node end carries the node MAC and whose other end is a prov0 port."""

from __future__ import annotations

import time

from tests.netns.conftest import RackFactory
from tests.netns.nstools import ip, link_info, run_in_netns, uplink_namespace
from vrack.netns import node_ifnames

UPLINK_SERVER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("{address}", 6969))
s.settimeout(15)
print("ready", flush=True)
data, peer = s.recvfrom(100)
s.sendto(b"reply to " + data, peer)
print(peer[0], flush=True)
"""


def _mac(i: int) -> str:
    return f"52:54:00:e8:{i >> 8:02x}:{i & 0xFF:02x}"


def test_thousand_node_interfaces_carry_macs_on_prov0(make_rack: RackFactory) -> None:
    """1,000 NICs in one batch: each node end has its MAC and is up, each other end is a prov0 port;
    asking again for known NICs creates nothing and returns the same names."""
    net = make_rack("nics", 30)
    nics = [(f"node{i:04d}", "eth0", _mac(i)) for i in range(1000)]
    started = time.perf_counter()
    first = net.node_interfaces(nics[:100])
    hundred = time.perf_counter() - started
    rest = net.node_interfaces(nics[100:])
    thousand = time.perf_counter() - started
    print(f"node interfaces: 100 in {hundred:.3f} s, 1000 in {thousand:.3f} s")
    result = first + rest
    assert len({ifname for _, ifname in result}) == 1000 and {ns for ns, _ in result} == {net.netns}
    ports = ip("-o", "link", "show", "master", "prov0", netns=net.netns).splitlines()
    assert len(ports) == 1000 + 1  # and prov0-up
    details = {
        line.split(":")[1].strip().split("@")[0]: line for line in ip("-o", "link", netns=net.netns).splitlines()
    }
    for (node, nic, mac), (_, ifname) in zip(nics, result, strict=True):
        assert ifname == node_ifnames(node, nic)[0]
        assert f"link/ether {mac} " in details[ifname] and "state UP" in details[ifname]
    assert net.node_interface("node0007", "eth0", _mac(7)) == result[7]
    assert len(ip("-o", "link", "show", "master", "prov0", netns=net.netns).splitlines()) == 1001


def test_node_end_reaches_the_uplink_over_prov0(make_rack: RackFactory) -> None:
    """A socket bound to the node end (SO_BINDTODEVICE, as a simulated node does) talks to the system
    under test in the uplink namespace through prov0; ARP for the node address is answered by the
    node end alone (arp_ignore), so the reply comes back to it."""
    import socket
    import subprocess
    import sys

    with uplink_namespace("vrt-ns-up4") as up:
        net = make_rack("l2", 31, f"netns:{up}")
        _, ifname = net.node_interface("node1", "eth0", "52:54:00:e8:31:01")
        ip("addr", "add", "10.232.31.140/25", "dev", ifname, netns=net.netns)
        server = subprocess.Popen(
            ["ip", "netns", "exec", up, sys.executable, "-c", UPLINK_SERVER.format(address="10.232.31.129")],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            with net.in_netns():
                client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with client:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
                client.bind(("10.232.31.140", 0))
                client.settimeout(15)
                client.sendto(b"hello", ("10.232.31.129", 6969))
                assert client.recvfrom(100)[0] == b"reply to hello"
            assert server.stdout.readline().strip() == "10.232.31.140"
        finally:
            server.kill()
            server.wait()
        neighbours = ip("neigh", "show", "10.232.31.140", netns=up)
        assert "52:54:00:e8:31:01" in neighbours
    assert "master prov0" in link_info(node_ifnames("node1", "eth0")[1], net.netns)


def test_run_in_netns_helper_reports_failures() -> None:
    """The helper the tests rely on fails loudly when the code fails."""
    with uplink_namespace("vrt-ns-up5") as up:
        try:
            run_in_netns(up, "raise SystemExit(3)")
        except AssertionError:
            return
    raise AssertionError("run_in_netns accepted a failing command")
