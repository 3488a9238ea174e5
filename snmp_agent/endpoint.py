"""One agent's UDP endpoint: reads its socket, answers through the fast path or hands datagrams to pysnmp.

:class:`AgentEndpoint` is the pysnmp transport of one agent (a
``UdpAsyncioTransport``, so the engine can route requests to it and send
through it), but it reads the bound socket itself: one ``add_reader`` on the
asyncio loop drains up to :data:`READ_BATCH` queued datagrams per wake-up,
where asyncio's datagram transport reads one per loop iteration.  Each
datagram is offered to the agent's :class:`~snmp_agent.fastpath.FastPath`
first; what it does not handle goes to the pysnmp engine synchronously.
Errors never escape: a datagram pysnmp chokes on is counted as malformed
and dropped.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from twisted.logger import Logger

from .config import AgentStats
from .fastpath import PYSNMP, FastPath

_log = Logger()

#: Datagrams read per wake-up before the loop gets a turn for other work.
READ_BATCH = 32
Gate = Callable[[bytes, Any, Callable[[bytes, Any], None]], None]
"""``gate(datagram, peer, answer)``: calls ``answer(datagram, peer)`` now, later or never."""
#: Largest UDP payload over IPv4.
MAX_DATAGRAM = 65535


class _SocketSender:
    """The ``transport`` pysnmp sends responses through: a plain ``sendto`` on the agent's socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def sendto(self, data: bytes, address: Any) -> None:
        try:
            self._sock.sendto(data, address)
        except OSError as exc:  # full send buffer, closed socket: UDP may lose a response
            _log.debug("SNMP response to {peer} not sent: {error!r}", peer=address, error=exc)

    def close(self) -> None:
        """Nothing to do: the endpoint closes the socket it owns."""


class AgentEndpoint(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """A UDP endpoint that processes datagrams synchronously and never lets an error escape.

    ``parse_errors`` reads the engine's snmpInASNParseErrs counter, so a
    datagram pysnmp silently discards as undecodable is counted as malformed.
    """

    def __init__(
        self,
        stats: AgentStats,
        loop: asyncio.AbstractEventLoop,
        parse_errors: Callable[[], int],
        fast: FastPath | None = None,
    ) -> None:
        super().__init__(loop=loop)
        self._sock: socket.socket | None = None
        self.transport: _SocketSender | None = None
        self._stats = stats
        self._parse_errors = parse_errors
        self._fast = fast
        # A gate in front of the agent (a lossy or slow link, set by whoever owns the network): it gets each
        # datagram with the function that answers it and calls that now, later or never.
        self.gate: Gate | None = None

    def serve(self, sock: socket.socket) -> AgentEndpoint:
        """Start reading the already bound, non-blocking ``sock`` (the endpoint owns it from now on)."""
        self._sock = sock
        self.transport = _SocketSender(sock)
        self.loop.add_reader(sock.fileno(), self._read_ready)
        return self

    def send_datagram(self, datagram: bytes, address: tuple[str, int]) -> None:
        """Send ``datagram`` from the agent's socket (a trap); OSError when the socket is closed or refuses."""
        sock = self._sock
        if sock is None:
            raise OSError("the agent's socket is closed")
        sock.sendto(datagram, address)

    def shutdown(self) -> None:
        """Stop reading and release the socket now."""
        sock, self._sock = self._sock, None
        if sock is not None:
            if not self.loop.is_closed():
                self.loop.remove_reader(sock.fileno())
            sock.close()
        self.close_transport()
        self.transport = None

    def _read_ready(self) -> None:
        for _ in range(READ_BATCH):
            sock = self._sock
            if sock is None:
                return
            try:
                datagram, peer = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                _log.debug("SNMP socket read failed: {error!r}", error=exc)
                return
            gate = self.gate
            if gate is None:
                self.datagram_received(datagram, peer)
            else:
                gate(datagram, peer, self._after_gate)

    def _after_gate(self, datagram: bytes, peer: Any) -> None:
        if self._sock is not None:  # the agent may have stopped while the datagram was held
            self.datagram_received(datagram, peer)

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        stats = self._stats
        stats.received += 1
        fast = self._fast
        if fast is not None:
            verdict = fast.answer(datagram, transportAddress)
            if verdict is not PYSNMP:
                sock = self._sock
                if isinstance(verdict, bytes) and sock is not None:
                    try:
                        sock.sendto(verdict, transportAddress)
                    except OSError as exc:
                        _log.debug("SNMP response to {peer} not sent: {error!r}", peer=transportAddress, error=exc)
                        return
                    stats.answered += 1
                    stats.fast_answered += 1
                return
        self._to_engine(datagram, transportAddress)

    def _to_engine(self, datagram: bytes, peer: Any) -> None:
        callback = self._callback_function
        if callback is None:
            return
        parse_errors = self._parse_errors()
        try:
            callback(self, udp.UdpTransportAddress(peer), datagram)
        except Exception as exc:
            # pysnmp/pyasn1 raise odd exceptions (TypeError, ...) on some garbage input
            self._stats.errors += 1
            self._stats.malformed += 1
            _log.debug("SNMP datagram from {peer} dropped: {error!r}", peer=peer, error=exc)
            return
        if self._parse_errors() != parse_errors:
            self._stats.malformed += 1

    def send_message(self, outgoingMessage: bytes, transportAddress: Any) -> None:
        self._stats.answered += 1
        super().send_message(outgoingMessage, transportAddress)
