"""A BMC's UDP socket read straight from the asyncio loop (issue 17: server CPU per request).

Under Twisted's asyncio reactor every readiness report of a ``listenUDP`` port goes
asyncio handle -> ``callWithLogger`` -> ``callWithContext`` (a context dict copied and
restored) -> ``Port.doRead``; sampled under load that Twisted layer was about 7% of the
BMC process's busy time.  :func:`read_directly` takes the reading over from such a port:
the port stays bound and owned by Twisted (``getHost``, ``write``, ``stopListening`` as
before), but its descriptor is read by one ``add_reader`` callback that drains up to
:data:`READ_BATCH` queued datagrams per wake-up into the protocol.

Only a plain ``twisted.internet.udp.Port`` of the asyncio reactor is taken over; any
other port (shared listeners, test doubles, the epoll reactor) keeps Twisted's reading.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from twisted.internet import udp

log = logging.getLogger(__name__)

READ_BATCH = 256
"""Datagrams read per readiness report at most, so one busy BMC cannot starve the reactor."""
MAX_DATAGRAM = 8192
"""Bytes read per datagram (Twisted's ``listenUDP`` default ``maxPacketSize``)."""

Deliver = Callable[[bytes, Any], None]


class DirectReader:
    """Reads ``sock`` from ``loop`` and hands each datagram and its sender to ``deliver``.

    ``ConnectionRefusedError`` (an ICMP error for an earlier reply, reported by the next read)
    is skipped; any other read error is logged at debug and ends this wake-up's reading.  An
    exception from ``deliver`` is logged at debug and the next datagram read.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, deliver: Deliver) -> None:
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._deliver = deliver
        self.reading = False

    def start(self) -> None:
        """Register with the loop (once)."""
        if not self.reading:
            self._loop.add_reader(self._fd, self.read_ready)
            self.reading = True

    def stop(self) -> None:
        """Unregister from the loop; call before the socket closes.  Idempotent."""
        if self.reading:
            self.reading = False
            self._loop.remove_reader(self._fd)

    def read_ready(self) -> None:
        """Drain up to :data:`READ_BATCH` datagrams (the loop's callback)."""
        recvfrom, deliver = self._sock.recvfrom, self._deliver
        for _ in range(READ_BATCH):
            try:
                datagram, peer = recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                continue
            except OSError as exc:
                log.debug("BMC UDP socket read failed: %r", exc)
                return
            try:
                deliver(datagram, peer)
            except Exception:
                log.debug("error delivering a datagram from %r", peer, exc_info=True)


def read_directly(port: object, deliver: Deliver) -> DirectReader | None:
    """Take the reading of ``port`` over from Twisted if it is a UDP port of the asyncio reactor.

    Returns the started reader (stop it before the port's socket closes, e.g. in the protocol's
    ``stopProtocol``), or ``None`` when ``port`` is anything else and Twisted keeps reading it.
    """
    if type(port) is not udp.Port:
        return None
    loop = getattr(getattr(port, "reactor", None), "_asyncioEventloop", None)
    sock = getattr(port, "socket", None)
    if not isinstance(loop, asyncio.AbstractEventLoop) or not isinstance(sock, socket.socket):
        return None
    port.stopReading()  # Twisted's registration goes; the port stays bound and writable
    reader = DirectReader(loop, sock, deliver)
    reader.start()
    return reader
