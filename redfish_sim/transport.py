"""twisted.web transport: one leaf resource answers every path through :class:`RedfishService`.

:class:`RedfishListener` binds HTTPS (and plain HTTP when asked) on the BMC's address in ``startService``,
turning bind failures into :class:`RedfishBindError` naming address, port and what to do.  A BMC that is
dark (no AC, booting, hung) drops connections without an answer, as a powerless BMC would.  The TLS
context is made on the first connection, so 1,000 idle BMCs cost no TLS state.
"""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Callable
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from OpenSSL import SSL
from twisted.application import service
from twisted.internet import defer, endpoints, error, protocol, ssl
from twisted.internet.interfaces import IOpenSSLContextFactory
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.web import client, resource, server
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgentEndpointFactory, IBodyProducer
from zope.interface import implementer

from redfish_sim.service import HttpRequest, RedfishService, RequestRecord
from redfish_sim.tls import Credential

SERVER_HEADER = b"vrack-redfish"


@implementer(IBodyProducer)
class _BytesProducer:
    """A request body written at once (FileBodyProducer paces itself on the global reactor's cooperator, which
    a reactor running on a thread of its own never turns)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer: Any) -> defer.Deferred[None]:
        consumer.write(self._data)
        return defer.succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


@implementer(IAgentEndpointFactory)
class _DirectEndpoints:
    """Endpoints for event destinations: an IP literal is connected to directly (no resolver thread pool, which a
    reactor run on a thread of its own may not have); names go through HostnameEndpoint."""

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor

    def endpointForURI(self, uri: Any) -> Any:
        host = uri.host.decode()
        try:
            ipaddress.ip_address(host)
            endpoint: Any = endpoints.TCP4ClientEndpoint(self._reactor, host, uri.port, timeout=5)
        except ValueError:
            endpoint = endpoints.HostnameEndpoint(self._reactor, host, uri.port, timeout=5)
        if uri.scheme == b"https":
            endpoint = endpoints.wrapClientTLS(ssl.optionsForClientTLS(host), endpoint)
        return endpoint


def event_sender(reactor: Any, redfish: RedfishService) -> Callable[[str, dict[str, Any]], Any]:
    """POST events with twisted.web's Agent; each delivery is reported to ``redfish.observer`` as ``event.push``
    (path = the destination, status = the receiver's HTTP status, 0 when it could not be reached) and the
    Deferred fires with that status (the EventHub retries what was not accepted)."""
    agent = client.Agent.usingEndpointFactory(reactor, _DirectEndpoints(reactor))

    def report(url: str, code: int, outcome: str = "") -> int:
        if redfish.observer is not None:
            outcome = outcome or ("ok" if 200 <= code < 300 else "undelivered")
            redfish.observer(RequestRecord("POST", url, "", code, "", "event.push", outcome))
        return code

    def send(url: str, body: dict[str, Any]) -> Any:
        if not redfish.events.allow_destination(url):
            report(url, 0, "blocked")  # outside the networks this BMC may reach (loopback in loopback mode)
            return None
        headers = Headers({b"Content-Type": [b"application/json"]})
        d = agent.request(b"POST", url.encode(), headers, _BytesProducer(orjson.dumps(body)))

        def done(response: Any) -> Any:
            return client.readBody(response).addBoth(lambda _: report(url, int(response.code)))

        d.addCallback(done)
        d.addErrback(lambda _failure: report(url, 0))
        return d

    return send


class RedfishBindError(Exception):
    """A BMC could not bind its Redfish port."""

    def __init__(self, name: str, address: str, port: int, reason: str) -> None:
        super().__init__(f"Redfish of {name!r} cannot listen on {address}:{port}: {reason}")


class RedfishResource(resource.Resource):
    isLeaf = True

    def __init__(
        self,
        service: Callable[[], RedfishService],
        call_later: Callable[..., Any],
        https_redirect: Callable[[], str | None],
    ) -> None:
        super().__init__()
        self._service = service
        self._call_later = call_later
        self._https_redirect = https_redirect

    def render(self, request: server.Request) -> bytes | int:
        target = None if request.isSecure() else self._https_redirect()
        if target is not None:  # plain HTTP beside HTTPS: every request is sent to HTTPS, as BMCs do
            request.setResponseCode(308)
            request.setHeader(b"Location", (target + request.uri.decode("latin-1")).encode("latin-1"))
            request.setHeader(b"Server", SERVER_HEADER)
            return b""
        headers = {
            k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in request.requestHeaders.getAllRawHeaders()
        }
        peer = request.getClientAddress()
        content = request.content.read() if request.content is not None else b""
        answer = self._service().handle(
            HttpRequest(
                method=request.method.decode("latin-1"),
                uri=request.uri.decode("latin-1"),
                headers=headers,
                body=content,
                peer=f"{getattr(peer, 'host', '?')}:{getattr(peer, 'port', 0)}",
            )
        )
        if answer is None:
            transport: Any = request.channel.transport
            transport.abortConnection()
            return server.NOT_DONE_YET
        request.setResponseCode(answer.status)
        request.setHeader(b"Server", SERVER_HEADER)
        for name, value in answer.headers.items():
            request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
        if answer.after is not None:
            self._call_later(0, answer.after)
        return answer.body


@implementer(IOpenSSLContextFactory)
class _LazyTls:
    """A server context factory that builds its OpenSSL context (TLS 1.2 or newer) on first use, with the
    certificate for the address ``address()`` names then; a new one when the address has changed since."""

    def __init__(self, credential: Callable[[str], Credential], address: Callable[[], str]) -> None:
        self._credential = credential
        self._address = address
        self._context: SSL.Context | None = None
        self._for: str | None = None

    def getContext(self) -> SSL.Context:
        address = self._address()
        if self._context is None or self._for != address:
            cred = self._credential(address)
            context = SSL.Context(SSL.TLS_SERVER_METHOD)
            context.set_min_proto_version(SSL.TLS1_2_VERSION)
            context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE)
            context.use_certificate(x509.load_pem_x509_certificate(cred.certificate_pem))
            context.use_privatekey(load_pem_private_key(cred.key_pem, None))  # type: ignore[arg-type]
            context.check_privatekey()
            self._context, self._for = context, address
        return self._context


class _Site(server.Site):
    """A Site that remembers its connections, so stopping the BMC closes them."""

    noisy = False

    def __init__(self, root: resource.Resource, reactor: Any) -> None:
        super().__init__(root, reactor=reactor)  # HTTP timeouts on the BMC's reactor, not the global one
        self.displayTracebacks = False
        self.connections: set[Any] = set()

    def buildProtocol(self, addr: Any) -> Any:
        channel = super().buildProtocol(addr)
        if channel is None:
            return None
        lost = channel.connectionLost
        connections = self.connections

        def connection_lost(reason: Any) -> None:
            connections.discard(channel)
            lost(reason)

        channel.connectionLost = connection_lost
        connections.add(channel)
        return channel


class _FirstUseFactory(protocol.Factory):
    """Listens for a factory made at the first connection (a BMC's site and TLS wrapper cost about 1.3 KiB, and
    most BMCs of a big rack never see a Redfish client); every connection then goes to that one factory."""

    noisy = False

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._built: Any = None  # a protocol.Factory (Twisted's stubs do not see a Site as one)
        self._listening = False

    def doStart(self) -> None:
        self._listening = True
        if self._built is not None:
            self._built.doStart()

    def doStop(self) -> None:
        self._listening = False
        if self._built is not None:
            self._built.doStop()

    def buildProtocol(self, addr: Any) -> Any:
        if self._built is None:
            self._built = self._build()
            if self._listening:
                self._built.doStart()
        return self._built.buildProtocol(addr)


class RedfishListener(service.Service):
    """Serves ``redfish`` on ``address``: HTTPS on ``https_port`` (None: off), HTTP on ``http_port`` (None: off).

    With both on, plain HTTP answers every request with a 308 redirect to HTTPS (credentials never cross in clear).

    Port 0 binds an ephemeral port; :attr:`https_port` and :attr:`http_port` are the bound ports afterwards.
    ``redfish`` is the service, or a function that builds it: then it is built on first use (the first request,
    or the first caller of :attr:`redfish`), so a rack of 100,000 BMCs pays for the Redfish inventories clients
    look at, not for all of them at start.
    """

    def __init__(
        self,
        redfish: RedfishService | Callable[[], RedfishService],
        address: str,
        *,
        reactor: Any,
        https_port: int | None = 443,
        http_port: int | None = None,
        credential: Callable[[str], Credential] | None = None,
        name: str = "bmc",
    ) -> None:
        if https_port is not None and credential is None:
            raise ValueError("HTTPS needs a credential (redfish_sim.tls.CertificateAuthority.issue)")
        self._redfish: RedfishService | None = redfish if isinstance(redfish, RedfishService) else None
        self._build = redfish if not isinstance(redfish, RedfishService) else None
        self.address = address
        self.https_port = https_port
        self.http_port = http_port
        self.device_name = name
        self._reactor = reactor
        self._credential = credential
        self._tls: _LazyTls | None = None
        self._site: _Site | None = None
        if self._redfish is not None:
            self._redfish.events.send = event_sender(reactor, self._redfish)
        self._ports: list[Any] = []

    @property
    def redfish(self) -> RedfishService:
        """The service (built now if it was given as a function and nobody needed it yet)."""
        if self._redfish is None:
            assert self._build is not None
            built = self._redfish = self._build()
            built.events.send = event_sender(self._reactor, built)
        return self._redfish

    @property
    def built(self) -> bool:
        """Whether the service exists yet (a lazily built one before its first use does not)."""
        return self._redfish is not None

    @property
    def site(self) -> _Site:
        """The HTTP site (both ports share it), made at the first connection or first look."""
        if self._site is None:
            root = RedfishResource(lambda: self.redfish, self._reactor.callLater, self._https_base)
            self._site = _Site(root, self._reactor)
        return self._site

    def _tls_factory(self) -> Any:
        assert self._credential is not None  # the constructor insists on a credential for HTTPS
        if self._tls is None:
            self._tls = _LazyTls(self._credential, lambda: self.address)
        return self._tls

    def _https_factory(self) -> Any:
        site: Any = self.site
        return TLSMemoryBIOFactory(self._tls_factory(), False, site, clock=self._reactor)

    def _https_base(self) -> str | None:
        if self.https_port is None:
            return None
        return f"https://{self.address}" + ("" if self.https_port == 443 else f":{self.https_port}")

    def startService(self) -> None:
        try:
            if self.https_port is not None:
                port = self._listen(self.https_port, True)
                self.https_port = int(port.getHost().port)
            if self.http_port is not None:
                port = self._listen(self.http_port, False)
                self.http_port = int(port.getHost().port)
        except RedfishBindError:
            for port in self._ports:
                port.stopListening()
            self._ports = []
            raise
        super().startService()

    def _listen(self, port: int, tls: bool) -> Any:
        try:
            # TLS wrapped here so its write aggregation runs on this reactor (listenSSL uses the global one)
            factory = _FirstUseFactory(self._https_factory if tls else lambda: self.site)
            listening = self._reactor.listenTCP(port, factory, interface=self.address)
        except error.CannotListenError as exc:
            code = getattr(exc.socketError, "errno", None)
            if code == errno.EACCES:
                reason = f"port {port} needs root or CAP_NET_BIND_SERVICE; run as root or set ports.redfish >= 1024"
            elif code == errno.EADDRINUSE:
                reason = "address already in use (another BMC or process is bound there)"
            else:
                reason = str(exc.socketError)
            raise RedfishBindError(self.device_name, self.address, port, reason) from exc
        self._ports.append(listening)
        return listening

    def stopService(self) -> defer.Deferred[Any]:
        super().stopService()
        ports, self._ports = self._ports, []
        for channel in list(self._site.connections if self._site is not None else ()):
            if channel.transport is not None:
                channel.transport.abortConnection()
        return defer.DeferredList([defer.maybeDeferred(p.stopListening) for p in ports], consumeErrors=True)
