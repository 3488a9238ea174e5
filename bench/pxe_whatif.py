"""A what-if for the PXE benchmark: node DHCP the way real firmware and ISC dhclient do it, on packet sockets.

Why: a PXE ROM sets the BOOTP broadcast flag, so dnsmasq broadcasts every OFFER and ACK, and the
rack's ``prov0`` bridge floods each one to all N node NICs.  With node_sim's sockets (one UDP
socket bound to ``0.0.0.0:68`` per NIC, all in the rack namespace) each of those N copies makes the
kernel walk the N sockets of port 68 to find the one bound to the receiving NIC, in the context of
dnsmasq's ``sendmsg`` (dnsmasq cannot read its socket meanwhile, and drops DISCOVERs), and the socket
it finds hands the copy to Python, where :class:`node_sim.dhcp_client.DhcpClient` decodes it and drops
it (wrong ``xid``).  N nodes at once: 2N replies x N copies x N sockets in the kernel, 2N x N
decodes in Python.

:class:`PacketIO` is :class:`node_sim.transport.NetnsIO` with only the NIC's port-68 socket replaced
(TFTP, HTTP and address configuration are unchanged): an ``AF_PACKET`` socket bound to the NIC (the
kernel finds it through the device, not through a port table) with a classic BPF filter for IPv4/UDP
to port 68 whose BOOTP ``chaddr`` is the NIC's MAC.  Requests go out as raw IPv4/UDP frames from
``0.0.0.0:68`` with the broadcast flag cleared, so dnsmasq answers by unicast to the node's MAC
(its ARP entry for the new address comes with it): nothing is flooded but the nodes' own requests.
Only broadcast destinations are sent (no proxyDHCP unicast), which is all this benchmark's boot
needs.  The benchmark reports it as a separate variant (``packet``), never as node_sim's numbers.
"""

from __future__ import annotations

import ctypes
import ipaddress
import socket
import struct
from typing import Any

from twisted.python.failure import Failure

from node_sim.netns import in_netns
from node_sim.transport import Address, NetnsIO, Receiver

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
ETH_P_IP = 0x0800
DHCP_CLIENT_PORT = 68
BROADCAST = "255.255.255.255"
READS_PER_WAKEUP = 64
# classic BPF opcodes
_LD_H_ABS, _LD_B_ABS = 0x28, 0x30
_LD_W_IND, _LD_H_IND, _LDX_B_MSH = 0x40, 0x48, 0xB1
_JEQ_K, _JSET_K, _RET_K = 0x15, 0x45, 0x06
_ACCEPT = 0x40000


class WhatIfError(OSError):
    """A what-if socket cannot do what was asked (e.g. a unicast send from a packet socket)."""


def _mac_words(mac: str) -> tuple[int, int]:
    raw = bytes.fromhex(mac.replace(":", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {mac!r}")
    high, low = struct.unpack("!IH", raw)
    return high, low


def _program(instructions: list[tuple[int, int, int, int]]) -> bytes:
    return b"".join(struct.pack("HBBI", *insn) for insn in instructions)


def packet_filter(mac: str) -> bytes:
    """BPF for an ``AF_PACKET``/``SOCK_DGRAM`` socket (it sees the IPv4 header first): accept unfragmented
    UDP to port 68 whose BOOTP ``chaddr`` is ``mac``."""
    high, low = _mac_words(mac)
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


def attach_filter(sock: socket.socket, program: bytes) -> None:
    """``setsockopt(SO_ATTACH_FILTER)`` with ``program`` (the kernel copies it during the call)."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def _checksum(header: bytes) -> int:
    total = sum(int(word) for word in struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_ipv4_packet(payload: bytes, source: Address, destination: Address) -> bytes:
    """An IPv4 header (no options, TTL 64) + UDP header (checksum 0: none, allowed for IPv4) + ``payload``."""
    length = 20 + 8 + len(payload)
    src = ipaddress.IPv4Address(source[0]).packed
    dst = ipaddress.IPv4Address(destination[0]).packed
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0, 0, 64, socket.IPPROTO_UDP, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload


def parse_udp_ipv4(packet: bytes) -> tuple[bytes, Address] | None:
    """(payload, (source ip, source port)) of an IPv4/UDP packet, or None if it is not a whole one."""
    if len(packet) < 28 or packet[0] >> 4 != 4:
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


class PacketLink:
    """A NIC's DHCP client port as an ``AF_PACKET`` socket: an ``IReadDescriptor`` on the reactor and a
    :class:`node_sim.transport.DatagramLink` for the node (broadcast sends only)."""

    def __init__(
        self, reactor: Any, sock: socket.socket, interface: str, receiver: Receiver, unicast_replies: bool
    ) -> None:
        self.reactor = reactor
        self.unicast_replies = unicast_replies
        self.sock: socket.socket | None = sock
        self.interface = interface
        self.receiver = receiver
        self.malformed = 0
        reactor.addReader(self)

    # DatagramLink
    def send(self, data: bytes, address: Address) -> None:
        if self.sock is None:
            return  # a powered-off NIC sends nothing
        if address[0] != BROADCAST:
            raise WhatIfError(f"the packet-socket what-if sends broadcasts only, not to {address[0]}")
        if self.unicast_replies and len(data) > 11 and data[0] == 1:  # BOOTREQUEST: clear the broadcast flag
            data = data[:10] + b"\x00\x00" + data[12:]
        packet = udp_ipv4_packet(data, ("0.0.0.0", DHCP_CLIENT_PORT), address)
        self.sock.sendto(packet, (self.interface, ETH_P_IP, 0, 0, b"\xff" * 6))

    def close(self) -> None:
        """Stop reading at once; the descriptor is closed in a pool thread: closing a packet socket waits
        for an RCU grace period (``synchronize_net``, 0.5-2 ms), which must not stall the reactor."""
        sock, self.sock = self.sock, None
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
            except (BlockingIOError, InterruptedError):
                return
            parsed = parse_udp_ipv4(packet)
            if parsed is None:
                self.malformed += 1
                continue
            self.receiver(*parsed)


class PacketIO(NetnsIO):
    """NetnsIO whose port-68 "sockets" are packet sockets on the NIC (see the module docstring)."""

    def __init__(self, reactor: Any, netns: str | None, macs: dict[str, str], *, unicast_replies: bool = True) -> None:
        super().__init__(reactor, netns)
        self.programs = {interface: packet_filter(mac) for interface, mac in macs.items()}
        self.unicast_replies = unicast_replies

    def open_udp(self, interface: str, bind_ip: str, port: int, receiver: Receiver) -> Any:
        program = self.programs.get(interface)
        if port != DHCP_CLIENT_PORT or program is None:
            return super().open_udp(interface, bind_ip, port, receiver)
        with in_netns(self.netns):  # protocol 0: nothing is received (and no hook to replace) until bind
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, 0)
        try:
            attach_filter(sock, program)
            sock.bind((interface, ETH_P_IP))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return PacketLink(self.reactor, sock, interface, receiver, self.unicast_replies)
