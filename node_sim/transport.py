"""Sockets of a simulated node's NICs: UDP and TCP bound to one interface in one network namespace.

DHCP's client port (68 on ``0.0.0.0``) is an ``AF_PACKET`` socket per NIC (:mod:`node_sim.packet`), so
1,000 nodes on one bridge do not each see every other node's DHCP replies; every other socket is UDP
or TCP.  Every socket is created while the thread is inside the node's namespace (:func:`in_netns`), gets
``SO_BINDTODEVICE`` for the NIC's interface (so it sends and receives through that NIC only, even
when many nodes share a namespace and a subnet) and is then handed to the Twisted reactor.  Nothing
here binds in a constructor: sockets are opened when the node's boot asks for them.

:class:`NicIO` is the interface the boot logic uses; :class:`NetnsIO` is the real one.  Tests use a
fake with the same methods.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Protocol

from twisted.internet import defer, protocol, tcp
from twisted.internet.endpoints import _WrappingFactory

from node_sim import ipconfig, packet
from node_sim.netns import in_netns

SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)

Address = tuple[str, int]
Receiver = Callable[[bytes, Address], None]


class DatagramLink(Protocol):
    """An open UDP socket of one NIC."""

    def send(self, data: bytes, address: Address) -> None: ...

    def close(self) -> None: ...


class NicIO(Protocol):
    """What a node's boot needs from the network, per interface."""

    def open_udp(self, interface: str, bind_ip: str, port: int, receiver: Receiver) -> DatagramLink:
        """A UDP socket on ``interface`` bound to ``bind_ip:port`` (port 0: any), broadcast allowed."""
        ...

    def configure_ip(self, interface: str, address: str, prefixlen: int, previous: str | None) -> None:
        """Put the leased address on ``interface`` (replacing ``previous``) so unicast reaches the node."""
        ...

    def release_ip(self, interface: str, address: str, prefixlen: int) -> None:
        """Take a leased address off ``interface`` again (power off)."""
        ...

    def tcp_endpoint(self, interface: str, source_ip: str, host: str, port: int, timeout: float) -> Any:
        """An ``IStreamClientEndpoint`` whose connections leave through ``interface`` from ``source_ip``."""
        ...


def bound_socket(kind: int, interface: str | None, netns: str | None) -> socket.socket:
    """A non-blocking IPv4 socket created in ``netns`` and tied to ``interface`` (None: not tied)."""
    with in_netns(netns):
        sock = socket.socket(socket.AF_INET, kind | socket.SOCK_CLOEXEC)
    try:
        if interface is not None:
            sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode() + b"\x00")
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _UdpProtocol(protocol.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.receiver(datagram, (str(addr[0]), int(addr[1])))


class UdpLink:
    """A reactor-driven UDP socket; ``send`` after ``close`` is silently dropped (powered-off NIC)."""

    def __init__(self, port: Any) -> None:
        self._port: Any = port

    def send(self, data: bytes, address: Address) -> None:
        if self._port is not None:
            self._port.write(data, address)

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.stopListening()


class _BoundClient(tcp.Client):
    """A TCP client transport whose socket is created in a namespace and tied to an interface."""

    def __init__(self, host: str, port: int, bind: Any, connector: Any, reactor: Any, where: tuple[str, str | None]):
        self._where = where
        super().__init__(host, port, bind, connector, reactor)

    def createInternetSocket(self) -> socket.socket:
        interface, netns = self._where
        return bound_socket(socket.SOCK_STREAM, interface, netns)


class _BoundConnector(tcp.Connector):
    def __init__(self, host: str, port: int, factory: Any, timeout: float, bind: Any, reactor: Any, where: Any):
        self._where = where
        super().__init__(host, port, factory, timeout, bind, reactor)

    def _makeTransport(self) -> _BoundClient:
        return _BoundClient(self.host, self.port, self.bindAddress, self, self.reactor, self._where)


class BoundTcpEndpoint:
    """``IStreamClientEndpoint``: connect from ``source_ip`` through ``interface`` inside ``netns``."""

    def __init__(
        self,
        reactor: Any,
        host: str,
        port: int,
        source_ip: str,
        interface: str | None,
        netns: str | None,
        timeout: float,
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._bind = (source_ip, 0)
        self._where = (interface, netns)
        self._timeout = timeout

    def connect(self, protocol_factory: Any) -> defer.Deferred[Any]:
        try:
            wrapping = _WrappingFactory(protocol_factory)
            connector = _BoundConnector(
                self._host, self._port, wrapping, self._timeout, self._bind, self._reactor, self._where
            )
            connector.connect()
            result: defer.Deferred[Any] = wrapping._onConnection
            return result
        except BaseException:
            return defer.fail()


class NetnsIO:
    """The real :class:`NicIO`: sockets and addresses inside network namespace ``netns`` (None: current).

    With ``packet_dhcp`` (the default) the DHCP client port is a :class:`node_sim.packet.PacketLink`
    (falls back to a UDP socket if packet sockets are not permitted, i.e. without ``CAP_NET_RAW``).
    """

    def __init__(self, reactor: Any, netns: str | None, *, isolate_arp: bool = True, packet_dhcp: bool = True) -> None:
        self.reactor = reactor
        self.netns = netns
        self.isolate_arp = isolate_arp
        self.packet_dhcp = packet_dhcp

    def open_udp(self, interface: str, bind_ip: str, port: int, receiver: Receiver) -> DatagramLink:
        if self.packet_dhcp and port == packet.DHCP_CLIENT_PORT and bind_ip == "0.0.0.0":
            try:
                sock, _mac = packet.open_packet_socket(interface, self.netns)
            except PermissionError:
                self.packet_dhcp = False
            else:
                return packet.PacketLink(
                    self.reactor, sock, interface, receiver, lambda: self._silent_udp(interface, port)
                )
        return self._udp_link(interface, bind_ip, port, receiver)

    def _silent_udp(self, interface: str, port: int) -> socket.socket:
        """A UDP socket on ``interface`` port ``port`` for sending only: a filter drops all it receives."""
        sock = bound_socket(socket.SOCK_DGRAM, interface, self.netns)
        try:
            packet.attach_filter(sock, packet.DROP_ALL)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("0.0.0.0", port))
        except OSError:
            sock.close()
            raise
        return sock

    def _udp_link(self, interface: str, bind_ip: str, port: int, receiver: Receiver) -> UdpLink:
        sock = bound_socket(socket.SOCK_DGRAM, interface, self.netns)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((bind_ip, port))
            listening = self.reactor.adoptDatagramPort(sock.fileno(), socket.AF_INET, _UdpProtocol(receiver))
        finally:
            sock.close()  # the reactor holds its own duplicate of the descriptor
        return UdpLink(listening)

    def configure_ip(self, interface: str, address: str, prefixlen: int, previous: str | None) -> None:
        ipconfig.link_up(interface, self.netns)
        if self.isolate_arp:
            ipconfig.isolate_arp(interface, self.netns)
        if previous is not None and previous != address:
            ipconfig.remove_address(interface, previous, prefixlen, self.netns)
        ipconfig.add_address(interface, address, prefixlen, self.netns)

    def release_ip(self, interface: str, address: str, prefixlen: int) -> None:
        ipconfig.remove_address(interface, address, prefixlen, self.netns)

    def tcp_endpoint(self, interface: str, source_ip: str, host: str, port: int, timeout: float) -> BoundTcpEndpoint:
        return BoundTcpEndpoint(self.reactor, host, port, source_ip, interface, self.netns, timeout)
