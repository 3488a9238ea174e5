"""Twisted transport for one BMC: a UDP protocol around a :class:`~bmc_sim.session.BmcEndpoint`.

:class:`BmcProtocol` feeds datagrams to the endpoint and writes its replies
back to the sender.  :class:`BmcService` binds the protocol in
``startService`` (never in the constructor) and turns bind failures into a
:class:`BindError` that says what to do about them.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol

from twisted.application import service
from twisted.internet import defer, error, protocol

from bmc_sim.direct_read import DirectReader, read_directly
from bmc_sim.session import BmcEndpoint

Peer = tuple[str, int]
Gate = Callable[[bytes, Peer, Callable[[bytes, Peer], None]], None]
"""``gate(datagram, peer, handle)``: calls ``handle(datagram, peer)`` now, later or never."""

log = logging.getLogger(__name__)

_REASONS = {
    errno.EADDRINUSE: "address already in use (another BMC or process is bound there)",
    errno.EADDRNOTAVAIL: "address not available on this host (for loopback use 127.0.0.0/8)",
}


class BindError(Exception):
    """A BMC could not bind its UDP port."""

    def __init__(self, device_name: str, address: str, port: int, reason: str) -> None:
        super().__init__(f"BMC {device_name!r} cannot listen on {address}:{port}: {reason}")
        self.device_name = device_name
        self.address = address
        self.port = port
        self.reason = reason


class UdpReactor(Protocol):
    """The part of ``IReactorUDP`` the service uses."""

    def listenUDP(
        self, port: int, protocol: protocol.DatagramProtocol, interface: str = "", maxPacketSize: int = 8192
    ) -> Any: ...


class BmcProtocol(protocol.DatagramProtocol):
    """Delivers datagrams to ``endpoint`` and sends its replies to the datagram's sender.

    An unexpected exception while handling one datagram is logged at debug,
    counted in ``endpoint.stats.errors`` and the datagram dropped; the
    protocol keeps serving.

    Replies go straight to the listening socket's ``sendto`` when the
    transport has one: the address is the sender's as ``recvfrom`` gave it, a
    numeric IP, so Twisted's per-write address checks (``transport.write``)
    have nothing to catch.  If that ``sendto`` fails, the reply goes through
    ``transport.write``, which retries or raises as Twisted does.
    """

    def __init__(self, endpoint: BmcEndpoint) -> None:
        self.endpoint = endpoint
        self._sendto: Callable[[bytes, tuple[str, int]], object] | None = None
        # Whoever owns the network may put a gate in front of the BMC (a lossy or slow link): it gets each
        # datagram with the function that handles it and calls that now, later or never.
        self.gate: Gate | None = None
        self._reader: DirectReader | None = None

    def read_directly(self, port: object) -> None:
        """Read ``port`` (the port this protocol listens on) straight from the asyncio loop when it is a
        Twisted UDP port of the asyncio reactor (:mod:`bmc_sim.direct_read`); otherwise Twisted keeps reading."""
        self._reader = read_directly(port, self.datagramReceived)

    def startProtocol(self) -> None:
        sock = getattr(self.transport, "socket", None)
        self._sendto = sock.sendto if isinstance(sock, socket.socket) else None
        self.endpoint.sender = self.send

    def stop_reading(self) -> None:
        """Stop the direct reading, if any (before the port closes its socket); Twisted's port stops its own."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.stop()

    def stopProtocol(self) -> None:
        self.stop_reading()
        self._sendto = None
        self.endpoint.sender = None

    def send(self, datagram: bytes, peer: tuple[str, int]) -> None:
        """Send a datagram the BMC produced on its own (SOL output) to ``peer``."""
        sendto = self._sendto
        if sendto is not None:
            try:
                sendto(datagram, peer)
                return
            except OSError:
                pass
        transport: Any = self.transport
        if transport is not None:
            transport.write(datagram, peer)

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        # an IPv4 socket's recvfrom gives (str, int) already: only other forms are copied
        peer = addr if type(addr) is tuple and len(addr) == 2 else (str(addr[0]), int(addr[1]))
        gate = self.gate
        if gate is not None:
            gate(datagram, peer, self.handle)
            return
        self.handle(datagram, peer)

    def handle(self, datagram: bytes, peer: tuple[str, int]) -> None:
        """Answer one datagram from ``peer`` (after the gate, if any); nothing once the port is closed."""
        if self.transport is None:
            return
        try:
            replies = self.endpoint.datagram_received(datagram, peer)
        except Exception:
            self.endpoint.stats.errors += 1
            log.debug("%s: error handling a datagram from %s:%d", self.endpoint.name, *peer, exc_info=True)
            return
        sendto = self._sendto
        for reply in replies:
            if sendto is not None:
                try:
                    sendto(reply, peer)
                    continue
                except OSError:
                    pass
            transport: Any = self.transport
            transport.write(reply, peer)


class BmcService(service.Service):
    """Binds one BMC's UDP port on ``address`` when started; ``port`` is the bound port afterwards.

    ``port=0`` binds an ephemeral port (tests).  Port 623 needs root or
    CAP_NET_BIND_SERVICE.
    """

    def __init__(
        self,
        endpoint: BmcEndpoint,
        address: str,
        port: int = 623,
        *,
        reactor: UdpReactor,
        name: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.address = address
        self.port = port
        self.protocol = BmcProtocol(endpoint)
        self.listening_port: Any = None
        self._reactor = reactor
        if name is not None:
            self.setName(name)

    def startService(self) -> None:
        """Bind the port; raises :class:`BindError` (and stays stopped) if that fails."""
        try:
            self.listening_port = self._reactor.listenUDP(self.port, self.protocol, interface=self.address)
        except error.CannotListenError as exc:
            raise self._bind_error(exc) from exc
        self.protocol.read_directly(self.listening_port)
        self.port = int(self.listening_port.getHost().port)
        super().startService()

    def stopService(self) -> defer.Deferred[None]:
        """Close the port; the Deferred fires once it is closed."""
        super().stopService()
        listening, self.listening_port = self.listening_port, None
        if listening is None:
            return defer.succeed(None)
        self.protocol.stop_reading()  # as Twisted's stopListening does at once; the socket closes on the next turn
        return defer.maybeDeferred(listening.stopListening)

    def _bind_error(self, exc: error.CannotListenError) -> BindError:
        code = getattr(exc.socketError, "errno", None)
        if code == errno.EACCES:
            reason = f"port {self.port} needs root or CAP_NET_BIND_SERVICE; run as root or give a port >= 1024"
        else:
            reason = _REASONS.get(code or 0, str(exc.socketError))
        return BindError(self.endpoint.name, self.address, self.port, reason)
