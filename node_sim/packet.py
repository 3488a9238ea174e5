"""DHCP client port of a simulated NIC on an ``AF_PACKET`` socket, the way NIC firmware and dhclient do it.

Why: with a UDP socket bound to ``0.0.0.0:68`` per NIC (all in the rack namespace), every reply dnsmasq
broadcasts is flooded by the ``prov0`` bridge to all N node NICs, and for each copy the kernel walks the
N sockets of port 68 and hands the copy to Python, where it is decoded and dropped (wrong ``xid``):
2N replies x N copies x N sockets when N nodes boot at once.  1,000 nodes then lose most DHCP replies.

A :class:`PacketLink` is bound to its NIC (the kernel finds it through the device, not a port table)
with a classic BPF filter accepting only unfragmented IPv4/UDP to port 68 whose BOOTP ``chaddr`` is the
NIC's MAC.  Broadcast requests leave as raw IPv4/UDP packets from ``0.0.0.0:68`` (the kernel adds the
Ethernet header, destination ``ff:ff:ff:ff:ff:ff``) with the BOOTP broadcast flag cleared, so the server
answers by unicast to the NIC's MAC and nothing but the requests is flooded.  Unicast sends (proxyDHCP
to port 4011, which need the leased address and ARP) go through an ordinary UDP socket on port 68 of
the NIC, opened on first use, whose filter drops everything it would receive: the packet socket
already receives the replies.  Malformed frames are dropped and counted (``PacketLink.malformed``).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import ipaddress
import socket
import struct
from collections.abc import Callable
from typing import Any

from twisted.python.failure import Failure

from node_sim.netns import in_netns

Address = tuple[str, int]
Receiver = Callable[[bytes, Address], None]

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
SIOCGIFHWADDR = 0x8927
ETH_P_IP = 0x0800
DHCP_CLIENT_PORT = 68
BROADCAST = "255.255.255.255"
BROADCAST_MAC = b"\xff" * 6
BOOTREQUEST = 1
READS_PER_WAKEUP = 64
# classic BPF opcodes
_LD_H_ABS, _LD_B_ABS = 0x28, 0x30
_LD_W_IND, _LD_H_IND, _LDX_B_MSH = 0x40, 0x48, 0xB1
_JEQ_K, _JSET_K, _RET_K = 0x15, 0x45, 0x06
_ACCEPT = 0x40000


def _program(instructions: list[tuple[int, int, int, int]]) -> bytes:
    return b"".join(struct.pack("HBBI", *insn) for insn in instructions)


def mac_bytes(mac: str) -> bytes:
    """The 6 bytes of ``aa:bb:cc:dd:ee:ff``; ``ValueError`` if it is not a MAC address."""
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {mac!r}")
    return raw


def dhcp_filter(mac: str) -> bytes:
    """BPF for an ``AF_PACKET``/``SOCK_DGRAM`` socket (it sees the IPv4 header first): accept unfragmented
    UDP to port 68 whose BOOTP ``chaddr`` is ``mac``, drop everything else."""
    high, low = struct.unpack("!IH", mac_bytes(mac))
    return _program(
        [
            (_LD_B_ABS, 0, 0, 9),  # 0: IP protocol
            (_JEQ_K, 0, 10, socket.IPPROTO_UDP),  # 1: not UDP -> drop
            (_LD_H_ABS, 0, 0, 6),  # 2: flags and fragment offset
            (_JSET_K, 8, 0, 0x1FFF),  # 3: a fragment -> drop
            (_LDX_B_MSH, 0, 0, 0),  # 4: X = IP header length
            (_LD_H_IND, 0, 0, 2),  # 5: UDP destination port
            (_JEQ_K, 0, 5, DHCP_CLIENT_PORT),  # 6: not 68 -> drop
            (_LD_W_IND, 0, 0, 8 + 28),  # 7: chaddr[0:4]
            (_JEQ_K, 0, 3, high),  # 8
            (_LD_H_IND, 0, 0, 8 + 32),  # 9: chaddr[4:6]
            (_JEQ_K, 0, 1, low),  # 10
            (_RET_K, 0, 0, _ACCEPT),  # 11
            (_RET_K, 0, 0, 0),  # 12: drop
        ]
    )


DROP_ALL = _program([(_RET_K, 0, 0, 0)])


def attach_filter(sock: socket.socket, program: bytes) -> None:
    """``setsockopt(SO_ATTACH_FILTER)`` with ``program`` (the kernel copies it during the call)."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def interface_mac(sock: socket.socket, interface: str) -> str:
    """The MAC address of ``interface`` in the namespace of ``sock`` (``SIOCGIFHWADDR``)."""
    request = struct.pack("16s16x", interface.encode()[:15])
    raw = fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, request)[18:24]
    return ":".join(f"{b:02x}" for b in raw)


def _checksum(header: bytes) -> int:
    total = sum(int(word) for word in struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_ipv4_packet(payload: bytes, source: Address, destination: Address) -> bytes:
    """An IPv4 header (no options, TTL 64, valid checksum) + UDP header (checksum 0: none, allowed for
    IPv4) + ``payload``."""
    length = 20 + 8 + len(payload)
    src = ipaddress.IPv4Address(source[0]).packed
    dst = ipaddress.IPv4Address(destination[0]).packed
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0, 0, 64, socket.IPPROTO_UDP, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload


def parse_udp_ipv4(packet: bytes) -> tuple[bytes, Address] | None:
    """(payload, (source ip, source port)) of a whole IPv4/UDP packet, or None for anything else."""
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_UDP:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = int.from_bytes(packet[2:4], "big")
    if ihl < 20 or total > len(packet) or total < ihl + 8:
        return None
    sport, _dport, udp_length = struct.unpack_from("!HHH", packet, ihl)
    end = ihl + udp_length
    if udp_length < 8 or end > total:
        return None
    return packet[ihl + 8 : end], (socket.inet_ntoa(packet[12:16]), sport)


def clear_broadcast_flag(data: bytes) -> bytes:
    """A BOOTREQUEST with the BOOTP broadcast flag cleared (servers then unicast); other data unchanged."""
    if len(data) >= 12 and data[0] == BOOTREQUEST:
        return data[:10] + bytes([data[10] & 0x7F, data[11]]) + data[12:]
    return data


def open_packet_socket(interface: str, netns: str | None) -> tuple[socket.socket, str]:
    """A non-blocking ``AF_PACKET`` socket bound to ``interface`` in ``netns`` that receives only DHCP
    replies for the interface's MAC, and that MAC.  Raises ``OSError`` (e.g. ``PermissionError`` without
    ``CAP_NET_RAW``)."""
    with in_netns(netns):  # protocol 0: nothing is received until bind, after the filter is attached
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, 0)
    try:
        mac = interface_mac(sock, interface)
        attach_filter(sock, dhcp_filter(mac))
        sock.bind((interface, ETH_P_IP))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock, mac


class PacketLink:
    """A NIC's DHCP client port: an ``IReadDescriptor`` on the reactor and a ``DatagramLink`` for the node.

    ``unicast_socket`` opens the UDP socket for non-broadcast sends (see the module docstring); it is
    called at most once, on the first such send.
    """

    def __init__(
        self,
        reactor: Any,
        sock: socket.socket,
        interface: str,
        receiver: Receiver,
        unicast_socket: Callable[[], socket.socket],
    ) -> None:
        self.reactor = reactor
        self.sock: socket.socket | None = sock
        self.interface = interface
        self.receiver = receiver
        self.malformed = 0
        self._unicast_socket = unicast_socket
        self._unicast: socket.socket | None = None
        reactor.addReader(self)

    # DatagramLink
    def send(self, data: bytes, address: Address) -> None:
        """Broadcast as a raw packet from ``0.0.0.0:68``; anything else through the NIC's UDP socket.
        A closed (powered-off) link sends nothing."""
        if self.sock is None:
            return
        if address[0] == BROADCAST:
            packet = udp_ipv4_packet(clear_broadcast_flag(data), ("0.0.0.0", DHCP_CLIENT_PORT), address)
            self.sock.sendto(packet, (self.interface, ETH_P_IP, 0, 0, BROADCAST_MAC))
            return
        if self._unicast is None:
            self._unicast = self._unicast_socket()
        with contextlib.suppress(BlockingIOError):  # a full buffer loses it, as UDP may; the client retransmits
            self._unicast.sendto(data, address)

    def close(self) -> None:
        """Stop reading at once; the packet socket is closed in a pool thread: closing one waits for an
        RCU grace period (``synchronize_net``, 0.5-2 ms), which must not stall the reactor."""
        sock, self.sock = self.sock, None
        unicast, self._unicast = self._unicast, None
        if unicast is not None:
            unicast.close()
        if sock is not None:
            self.reactor.removeReader(self)
            self.reactor.callInThread(sock.close)

    # IReadDescriptor
    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def logPrefix(self) -> str:
        return f"PacketLink({self.interface})"

    def connectionLost(self, reason: Failure) -> None:
        self.close()

    def doRead(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            if self.sock is None:
                return
            try:
                packet = self.sock.recv(2048)
            except OSError:  # nothing more to read (EAGAIN), or the NIC went away
                return
            parsed = parse_udp_ipv4(packet)
            if parsed is None:
                self.malformed += 1
                continue
            self.receiver(*parsed)
