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

from twisted.internet.defer import Deferred
from twisted.web.client import Agent, FileBodyProducer, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers
from twisted.web.iweb import IResponse

USER_AGENT = b"node/4.6.2 (vrack microkernel)"


class Fetcher(Protocol):
    """What the task runner needs from HTTP."""

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        """GET ``url``; fires with (status, body), fails on network errors."""
        ...

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        """POST a JSON ``body`` to ``url``; fires with (status, body), fails on network errors."""
        ...


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
        d: Deferred[IResponse] = self._agent.request(method, url.encode(), headers, producer)

        def read(response: IResponse) -> Deferred[tuple[int, bytes]]:
            body_d: Deferred[bytes] = readBody(response)
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
