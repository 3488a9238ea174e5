"""HTTP for the microkernel: the :class:`Fetcher` interface and a Twisted Agent implementation.

The task runner only needs GET and POST returning ``(status, body)``.  The
rack may give any object with these two methods (for example the netboot
half's HTTP client, which binds the node's address); :class:`AgentFetcher`
is a self-contained one that binds ``bind_address`` so RackHD sees requests
from the node's own IP (it finds the node by source IP).  Network errors
fail the Deferred; HTTP error statuses do not.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any, Protocol

from twisted.internet import protocol
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.web.client import Agent, FileBodyProducer, HTTPConnectionPool, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers

USER_AGENT = b"node/4.6.2 (vrack microkernel)"


class Fetcher(Protocol):
    """What the task runner needs from HTTP."""

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        """GET ``url``; fires with (status, body), fails on network errors."""
        ...

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        """POST a JSON ``body`` to ``url``; fires with (status, body), fails on network errors."""
        ...


class _Body(protocol.Protocol):
    """Collects a response body; fires ``done`` with it when the response ends."""

    def __init__(self, done: Deferred[bytes]) -> None:
        self.done = done
        self.parts: list[bytes] = []

    def dataReceived(self, data: bytes) -> None:
        self.parts.append(data)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self.parts))
        else:
            self.done.errback(reason)


class AgentFetcher:
    """A :class:`Fetcher` on ``twisted.web.client.Agent``, bound to ``bind_address`` (port 0).

    Connections are not kept alive, so stopping the node leaves no sockets.
    """

    def __init__(self, reactor: Any, bind_address: str | None = None, timeout: float = 30.0) -> None:
        self._pool = HTTPConnectionPool(reactor, persistent=False)
        bind = (bind_address, 0) if bind_address else None
        self._agent = Agent(reactor, connectTimeout=timeout, bindAddress=bind, pool=self._pool)

    def _request(self, method: bytes, url: str, body: bytes | None) -> Deferred[tuple[int, bytes]]:
        headers = Headers({b"User-Agent": [USER_AGENT]})
        producer: Any = None
        if body is not None:
            headers.addRawHeader(b"Content-Type", b"application/json")
            producer = FileBodyProducer(BytesIO(body))
        d: Deferred[Any] = self._agent.request(method, url.encode(), headers, producer)

        def read(response: Any) -> Deferred[tuple[int, bytes]]:  # IResponse (zope interfaces defeat mypy)
            body_d: Deferred[bytes] = Deferred()
            response.deliverBody(_Body(body_d))
            return body_d.addCallback(lambda data: (int(response.code), data))

        return d.addCallback(read)

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        return self._request(b"GET", url, None)

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        return self._request(b"POST", url, body)

    def close(self) -> Deferred[None]:
        """Close any open connection (none stay open; kept for symmetry with pooled fetchers)."""
        d: Deferred[None] = self._pool.closeCachedConnections()
        return d
