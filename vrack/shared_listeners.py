"""Shared listeners: every BMC of a loopback rack on one UDP socket and one TCP listener per port (issue 17).

A BMC normally binds its own UDP socket (IPMI) and TCP listener (Redfish) on its address: two descriptors
per BMC, so a process limited to 20,000 descriptors holds at most about 9,500 BMCs.  With
``ports: {shared: true}`` in the spec, :class:`SharedListeners` stands in for the reactor's ``listenUDP``
and ``listenTCP``: per port it binds one socket to the wildcard address 0.0.0.0 and dispatches by the
destination address of each datagram or connection to the BMC that has that address:

- UDP: ``IP_PKTINFO`` gives each datagram's destination address; the reply is sent with ``sendmsg`` and an
  ``IP_PKTINFO`` source address, so it comes from the BMC's address exactly as from its own socket.
- TCP: the accepted socket's local address names the BMC; its own factory (its site and its TLS
  certificate for that address) builds the protocol.

A datagram or connection for an address no BMC here has is dropped and counted (:meth:`SharedListeners.stats`,
``GET /api/v1/rack`` ``listeners``).  The wildcard socket takes the port on every address of the host: a
specific bind by another process on that port fails while the rack runs (and the rack cannot start while
one exists), so shared listeners are only used when the spec asks for them, with a port nobody else
serves.  Everything else the BMC services ask of the reactor passes through to it.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
from typing import Any

from twisted.internet import address, error, protocol

log = logging.getLogger(__name__)

IP_PKTINFO: int = getattr(socket, "IP_PKTINFO", 8)  # Linux's value: Python 3.11 does not export it
_CMSG_SPACE = socket.CMSG_SPACE(12)  # struct in_pktinfo: ifindex, spec_dst, addr
_BATCH = 256  # datagrams read per readiness report, so one busy port cannot starve the reactor


def _pktinfo(packed: bytes) -> list[tuple[int, int, bytes]]:
    """Ancillary data that makes ``sendmsg`` send from ``packed`` (ifindex 0: the routing decides)."""
    return [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, packed, b"\0\0\0\0"))]


class _UdpAttachment:
    """The transport one BMC's datagram protocol gets: its address on the shared socket."""

    def __init__(self, shared: _SharedUdp, host: str, packed: bytes, proto: protocol.DatagramProtocol) -> None:
        self._shared = shared
        self._host = host
        self._packed = packed
        self._ancillary = _pktinfo(packed)
        self.protocol = proto

    def write(self, datagram: bytes, peer: tuple[str, int]) -> None:
        """Send ``datagram`` to ``peer`` from this BMC's address; a full socket buffer drops it (counted)."""
        try:
            self._shared.socket.sendmsg([datagram], self._ancillary, 0, peer)
        except OSError:
            self._shared.send_errors += 1

    def getHost(self) -> address.IPv4Address:
        return address.IPv4Address("UDP", self._host, self._shared.port)

    def stopListening(self) -> None:
        self._shared.detach(self._packed)
        self.protocol.doStop()


class _SharedUdp:
    """One wildcard UDP socket on ``port``, dispatching datagrams by destination address."""

    def __init__(self, reactor: Any, port: int, adopted: socket.socket | None = None) -> None:
        sock = adopted or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            if adopted is None:
                sock.bind(("0.0.0.0", port))
        except OSError as exc:
            sock.close()
            raise error.CannotListenError("0.0.0.0", port, exc) from exc
        self.socket = sock
        self.port = int(sock.getsockname()[1])
        self.protocols: dict[bytes, protocol.DatagramProtocol] = {}
        self.dropped = 0
        self.send_errors = 0
        self._reactor = reactor
        reactor.addReader(self)

    def attach(self, host: str, proto: protocol.DatagramProtocol) -> _UdpAttachment:
        packed = socket.inet_aton(host)
        if packed in self.protocols:
            raise error.CannotListenError(host, self.port, OSError(errno.EADDRINUSE, "address already in use"))
        attachment = _UdpAttachment(self, host, packed, proto)
        self.protocols[packed] = proto
        proto.makeConnection(attachment)  # type: ignore[arg-type]  # the IUDPTransport part BMC protocols use
        return attachment

    def detach(self, packed: bytes) -> None:
        self.protocols.pop(packed, None)
        if not self.protocols:
            self._reactor.removeReader(self)
            self.socket.close()

    # IReadDescriptor
    def fileno(self) -> int:
        return self.socket.fileno()

    def logPrefix(self) -> str:
        return f"shared UDP :{self.port}"

    def connectionLost(self, reason: Any) -> None:
        self.socket.close()

    def doRead(self) -> None:
        recvmsg, protocols = self.socket.recvmsg, self.protocols
        for _ in range(_BATCH):
            try:
                datagram, ancillary, _flags, peer = recvmsg(8192, _CMSG_SPACE)
            except BlockingIOError:
                return
            except OSError:  # e.g. an ICMP error for an earlier reply: nothing to read for it
                continue
            proto = None
            for level, kind, data in ancillary:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                    proto = protocols.get(data[8:12])
            if proto is None:
                self.dropped += 1
                continue
            try:
                proto.datagramReceived(datagram, peer)
            except Exception:
                log.debug("shared UDP :%d: error delivering a datagram", self.port, exc_info=True)


class _TcpAttachment:
    """What one BMC's ``listenTCP`` returns: its address on the shared listener."""

    def __init__(self, shared: _SharedTcp, host: str) -> None:
        self._shared = shared
        self._host = host

    def getHost(self) -> address.IPv4Address:
        return address.IPv4Address("TCP", self._host, self._shared.port)

    def stopListening(self) -> Any:
        return self._shared.detach(self._host)


class _Dispatch(protocol.Protocol):
    """Hands an accepted connection to the factory of the BMC whose address it reached."""

    def __init__(self, shared: _SharedTcp) -> None:
        self._shared = shared

    def makeConnection(self, transport: Any) -> None:
        factory = self._shared.factories.get(transport.getHost().host)
        built = factory.buildProtocol(transport.getPeer()) if factory is not None else None
        if built is None:
            self._shared.dropped += factory is None
            transport.abortConnection()
            return
        transport.protocol = built  # the transport reads into, and reports loss to, the BMC's protocol
        built.makeConnection(transport)


class _SharedTcp(protocol.Factory):
    """One wildcard TCP listener on ``port``, handing connections to the factory of their local address."""

    noisy = False

    def __init__(self, reactor: Any, port: int, adopted: socket.socket | None = None) -> None:
        self.factories: dict[str, protocol.Factory] = {}
        self.dropped = 0
        if adopted is not None:  # bound and listening already (a worker's socket of a steered group)
            adopted.setblocking(False)  # Twisted accepts in a loop until EAGAIN
            self.listening = reactor.adoptStreamPort(adopted.fileno(), socket.AF_INET, self)
            adopted.close()  # the reactor holds its own duplicate
        else:
            self.listening = reactor.listenTCP(port, self, backlog=1024, interface="0.0.0.0")
        self.port = int(self.listening.getHost().port)

    def buildProtocol(self, addr: Any) -> protocol.Protocol:
        return _Dispatch(self)

    def attach(self, host: str, factory: protocol.Factory) -> _TcpAttachment:
        if host in self.factories:
            raise error.CannotListenError(host, self.port, OSError(errno.EADDRINUSE, "address already in use"))
        self.factories[host] = factory
        return _TcpAttachment(self, host)

    def detach(self, host: str) -> Any:
        self.factories.pop(host, None)
        if not self.factories:
            return self.listening.stopListening()
        return None


class SharedListeners:
    """The reactor as the BMC services see it: ``listenUDP``/``listenTCP`` attach to one wildcard socket per
    port (made at the first attach, closed with the last detach); every other attribute is the reactor's.

    ``adopted``: sockets made elsewhere, by ("udp" | "tcp", port) (a worker's share of a steered
    ``SO_REUSEPORT`` group, :mod:`vrack.split.steering`): used for that port instead of binding one."""

    def __init__(self, reactor: Any, adopted: dict[tuple[str, int], socket.socket] | None = None) -> None:
        self._reactor = reactor
        self._adopted = dict(adopted or {})
        self._udp: dict[int, _SharedUdp] = {}
        self._tcp: dict[int, _SharedTcp] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reactor, name)

    def listenUDP(
        self, port: int, protocol: protocol.DatagramProtocol, interface: str = "", maxPacketSize: int = 8192
    ) -> _UdpAttachment:
        """Attach ``protocol`` for datagrams to ``interface``:``port`` (``port`` 0: one ephemeral port shared)."""
        shared = self._udp.get(port)
        if shared is None or shared.socket.fileno() < 0:
            shared = self._udp[port] = _SharedUdp(self._reactor, port, self._adopted.pop(("udp", port), None))
        return shared.attach(interface, protocol)

    def listenTCP(self, port: int, factory: protocol.Factory, backlog: int = 50, interface: str = "") -> _TcpAttachment:
        """Attach ``factory`` for connections to ``interface``:``port``."""
        shared = self._tcp.get(port)
        if shared is None or not shared.factories:
            shared = self._tcp[port] = _SharedTcp(self._reactor, port, self._adopted.pop(("tcp", port), None))
        return shared.attach(interface, factory)

    def stats(self) -> dict[str, Any]:
        """Per shared socket: kind, bound port, addresses served, what was dropped for unknown addresses."""
        udp: list[dict[str, Any]] = [
            {"kind": "udp", "port": s.port, "addresses": len(s.protocols), "dropped": s.dropped}
            | ({"send_errors": s.send_errors} if s.send_errors else {})
            for s in self._udp.values()
        ]
        tcp: list[dict[str, Any]] = [
            {"kind": "tcp", "port": s.port, "addresses": len(s.factories), "dropped": s.dropped}
            for s in self._tcp.values()
        ]
        dropped = sum(s.dropped for s in self._udp.values()) + sum(s.dropped for s in self._tcp.values())
        return {"sockets": udp + tcp, "dropped": dropped}
