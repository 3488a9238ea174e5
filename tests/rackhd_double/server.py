"""The double on real HTTP: a Twisted web server bound to a loopback address."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from twisted.web import resource, server

from tests.rackhd_double.southbound import Southbound


class SouthboundResource(resource.Resource):
    """Every request goes to :meth:`Southbound.handle`."""

    isLeaf = True

    def __init__(self, southbound: Southbound) -> None:
        super().__init__()
        self.southbound = southbound

    def _handle(self, request: Any) -> bytes:
        url = urlparse(request.uri.decode())
        body = request.content.read() if request.content is not None else b""
        client = request.getClientAddress().host
        status, reply = self.southbound.handle(request.method.decode(), url.path, parse_qs(url.query), body, client)
        request.setResponseCode(status)
        kind = b"application/javascript" if url.path.endswith(".js") else b"application/json"
        request.setHeader(b"Content-Type", kind)
        return reply

    def render_GET(self, request: Any) -> bytes:
        return self._handle(request)

    def render_POST(self, request: Any) -> bytes:
        return self._handle(request)


def listen(reactor: Any, southbound: Southbound, address: str, port: int = 0) -> Any:
    """Serve ``southbound`` on ``address:port`` (0: any free port, written back to ``southbound.port``)."""
    site = server.Site(SouthboundResource(southbound))
    site.noisy = False
    listening = reactor.listenTCP(port, site, interface=address)
    southbound.port = listening.getHost().port
    return listening
