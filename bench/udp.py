"""A minimal asyncio UDP endpoint for benchmark clients: send a datagram, await the next acceptable answer.

One endpoint is one socket (one client).  :meth:`Endpoint.exchange` sends a
datagram and waits until a received datagram passes ``parse`` (a function that
raises :class:`~bench.rmcpplus_client.ProtocolError` for anything else) or the
deadline passes; rejected datagrams (late answers to timed-out requests) are
counted as strays and dropped.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from bench.rmcpplus_client import ProtocolError

T = TypeVar("T")


class Endpoint(asyncio.DatagramProtocol):
    """One UDP socket talking to one server address."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.inbox: collections.deque[bytes] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.strays = 0

    @classmethod
    async def connect(cls, host: str, port: int) -> Endpoint:
        """An endpoint whose socket is connected to ``host:port`` (source address chosen by the kernel)."""
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(cls, remote_addr=(host, port))
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.inbox.append(data)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (port unreachable while a server starts) are ignored: the request times out."""

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, datagram: bytes, parse: Callable[[bytes], T], timeout: float) -> T | None:
        """Send ``datagram``; return the first answer ``parse`` accepts, or ``None`` after ``timeout`` seconds."""
        assert self.transport is not None
        self.inbox.clear()
        self.transport.sendto(datagram)
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while True:
            while self.inbox:
                try:
                    return parse(self.inbox.popleft())
                except ProtocolError:
                    self.strays += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self.waiter = waiter
            timer = loop.call_later(remaining, _expire, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self.waiter = None


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
