"""HTTP GET as a netbooting node does it: from the node's own address, through its own NIC.

RackHD's southbound API finds a node by the *source address* of its requests (rackhd-facts 9),
so every connection is opened by an endpoint from ``endpoint_for(host, port)`` (in production
:meth:`node_sim.transport.NicIO.tcp_endpoint`, bound to the leased address and the NIC).  Twisted's
``Agent`` does the HTTP; ``RedirectAgent`` follows up to ``max_redirects`` redirects.  A status
other than 2xx fails with :class:`HttpError` (503 from a RackHD that is not ready yet is such a
failure, which the iPXE script retries).  Connections are not kept alive: a node that powers off
leaves nothing open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer, protocol
from twisted.web import client
from twisted.web._newclient import ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers

USER_AGENT = b"iPXE/1.21.1+ (g988d2) node_sim"


class HttpError(Exception):
    """A request that did not end in a 2xx response (``status`` 0: no response at all)."""

    def __init__(self, url: str, status: int, message: str) -> None:
        super().__init__(f"GET {url}: {message}")
        self.url = url
        self.status = status


@dataclass(frozen=True)
class HttpResult:
    url: str
    status: int
    size: int
    body: bytes | None


class _Counter(protocol.Protocol):
    """Consumes a body, keeping it or only counting it."""

    def __init__(self, keep: bool, limit: int, done: defer.Deferred[tuple[int, bytes | None]]) -> None:
        self.keep = keep
        self.limit = limit
        self.done = done
        self.size = 0
        self.parts: list[bytes] = []

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if self.keep:
            self.parts.append(data)
        if self.size > self.limit and self.transport is not None:
            self.transport.stopProducing()

    def connectionLost(self, reason: Any = None) -> None:
        if self.done.called:
            return
        if self.size > self.limit:
            self.done.errback(ValueError(f"body larger than {self.limit} bytes"))
        elif reason is not None and not reason.check(ResponseDone, PotentialDataLoss):
            self.done.errback(reason)
        else:
            self.done.callback((self.size, b"".join(self.parts) if self.keep else None))


class _EndpointFactory:
    def __init__(self, endpoint_for: Callable[[str, int], Any]) -> None:
        self.endpoint_for = endpoint_for

    def endpointForURI(self, uri: Any) -> Any:
        if uri.scheme != b"http":
            raise ValueError(f"unsupported scheme {uri.scheme!r}")
        return self.endpoint_for(uri.host.decode("ascii"), int(uri.port))


class HttpFetcher:
    """GETs URLs through endpoints from ``endpoint_for(host, port)``; see the module docstring."""

    def __init__(
        self,
        reactor: Any,
        endpoint_for: Callable[[str, int], Any],
        *,
        timeout: float = 60.0,
        max_redirects: int = 5,
        max_body: int = 1 << 31,
    ) -> None:
        self.reactor = reactor
        self.timeout = timeout
        self.max_body = max_body
        pool = client.HTTPConnectionPool(reactor, persistent=False)
        agent = client.Agent.usingEndpointFactory(reactor, _EndpointFactory(endpoint_for), pool=pool)
        self.agent = client.RedirectAgent(agent, redirectLimit=max_redirects)

    def get(self, url: str, *, keep: bool = True) -> defer.Deferred[HttpResult]:
        """Fetch ``url``; the body is returned when ``keep`` (scripts), else only counted (kernels)."""
        return defer.Deferred.fromCoroutine(self._get(url, keep))

    async def _get(self, url: str, keep: bool) -> HttpResult:
        headers = Headers({b"User-Agent": [USER_AGENT]})
        request = self.agent.request(b"GET", url.encode("ascii"), headers)
        request.addTimeout(self.timeout, self.reactor)
        try:
            response = await request
        except defer.CancelledError:
            raise
        except client.ResponseFailed as exc:
            raise HttpError(url, 0, f"response failed: {exc.reasons[0].getErrorMessage()}") from exc
        except Exception as exc:
            raise HttpError(url, 0, str(exc) or type(exc).__name__) from exc
        status = int(response.code)
        done: defer.Deferred[tuple[int, bytes | None]] = defer.Deferred()
        response.deliverBody(_Counter(keep and 200 <= status < 300, self.max_body, done))
        done.addTimeout(self.timeout, self.reactor)
        try:
            size, body = await done
        except defer.CancelledError:
            raise
        except Exception as exc:
            raise HttpError(url, status, f"body: {exc}") from exc
        if not 200 <= status < 300:
            raise HttpError(url, status, f"HTTP {status} {response.phrase.decode('latin-1')}")
        final = response.request.absoluteURI.decode("ascii") if response.request is not None else url
        return HttpResult(final, status, size, body)
