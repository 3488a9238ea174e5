"""The Redfish service of one BMC, without sockets: authentication, routing, ETags, queries, errors.

:meth:`RedfishService.handle` takes one :class:`HttpRequest` and returns an :class:`HttpResponse` (or None
when the BMC is dark and must not answer at all); the transport (:mod:`redfish_sim.transport`) only moves
bytes.  Every request is reported once to ``observer`` as a :class:`RequestRecord` (method, path, user,
status, peer, operation): never a password, token or request body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson
from twisted.logger import Logger

from redfish_sim.device import Account, RedfishDevice
from redfish_sim.errors import RedfishError, not_found
from redfish_sim.events import EventHub
from redfish_sim.routing import ROLE_PRIVILEGES, Call, Reply, Route
from redfish_sim.sessions import Clock, SessionStore

OPEN_PATHS = {
    ("GET", "/redfish"),
    ("GET", "/redfish/v1"),
    ("GET", "/redfish/v1/odata"),
    ("GET", "/redfish/v1/$metadata"),
    ("POST", "/redfish/v1/SessionService/Sessions"),
    ("POST", "/redfish/v1/SessionService/Sessions/Members"),
}
SUPPORTED_QUERIES = {"$select", "$expand"}
BODY_LIMIT = 64 * 1024
EXPANDABLE = {".", "*", "~"}
SUBORDINATE = {".", "*"}  # expand forms that take in a resource's own (non-Links) references
NOT_EXPANDED = {"Links", "Actions", "Oem"}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    uri: str  # path and query as sent
    headers: dict[str, str]  # lower-case names
    body: bytes
    peer: str


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    after: Callable[[], None] | None = None  # the transport runs it once the response is written


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    user: str
    status: int
    peer: str
    operation: str
    outcome: str = "ok"  # ok | no-credentials | bad-credentials | denied | error
    expanded: tuple[str, ...] = ()  # resources served inline by $expand, in the order they appear


Observer = Callable[[RequestRecord], None]
_log = Logger()


def etag_of(body: dict[str, Any]) -> str:
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    return f'W/"{digest}"'


@dataclass
class _Auth:
    account: Account | None = None
    session_id: str | None = None
    outcome: str = "ok"
    expanded: list[str] = field(default_factory=list)  # reported with the request, see RequestRecord


class RedfishService:
    """Serves ``routes`` for ``device``; sessions live in :attr:`sessions`."""

    def __init__(
        self,
        device: RedfishDevice,
        clock: Clock,
        routes: Iterable[Route],
        *,
        observer: Observer | None = None,
        session_limit: int = 16,
        session_timeout: float = 1800.0,
    ) -> None:
        self.device = device
        self.clock = clock
        self.routes = routes if isinstance(routes, tuple) else tuple(routes)
        self.sessions = SessionStore(clock, session_limit, session_timeout)
        self.observer = observer
        self.ports: dict[str, int | None] = {}  # protocol -> port the BMC serves it on (NetworkProtocol)
        self.events = EventHub(clock=clock)
        self.virtual_media: dict[str, Any] = {}  # the Manager's CD slot: Image, Inserted, WriteProtected
        self.media_watchers: list[Callable[[dict[str, Any]], None]] = []  # told of every change to the slot
        device.watch(self._device_changed)

    # ------------------------------------------------------------------ entry point
    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """Answer one request; None means stay silent (BMC without power, booting or hung)."""
        availability = self.device.availability()
        if availability == "dark":
            return None
        path, query = _split(request.uri)
        auth = _Auth()
        operation = "unknown"
        try:
            if availability == "busy":
                raise RedfishError(503, "ServiceTemporarilyUnavailable", 5, headers={"Retry-After": "5"})
            if request.headers.get("odata-version", "4.0") != "4.0":
                raise RedfishError(412, "PreconditionFailed", note="Only OData-Version 4.0 is supported.")
            unsupported = sorted(k for k in query if k.startswith("$") and k not in SUPPORTED_QUERIES)
            if unsupported:
                raise RedfishError(
                    501,
                    "QueryNotSupported",
                    note=f"Unsupported: {', '.join(unsupported)}; supported: {', '.join(sorted(SUPPORTED_QUERIES))}.",
                )
            route, params = self._match(path)
            operation = route.operation
            auth = self._authenticate(request, path)
            reply = self._dispatch(route, params, request, path, query, auth)
            response = self._render(reply, request.method, route)
        except RedfishError as exc:
            reply = Reply(exc.status, exc.body(), dict(exc.headers))
            auth.outcome = exc.outcome or ("denied" if exc.status == 403 else "error")
            response = self._render(reply, request.method, None)
        if self.observer is not None:
            user = auth.account.name if auth.account is not None else ""
            self.observer(
                RequestRecord(
                    request.method,
                    path,
                    user,
                    response.status,
                    request.peer,
                    operation,
                    auth.outcome,
                    tuple(auth.expanded),
                )
            )
        if response.status < 300:
            response.after = reply.after
        return response

    def media_changed(self) -> None:
        """The virtual media slot changed (insert, eject, PATCH): each watcher gets a copy of it (a failing
        watcher is logged, never turned into the client's error)."""
        for watcher in list(self.media_watchers):
            try:
                watcher(dict(self.virtual_media))
            except Exception:
                _log.failure("a virtual media watcher failed")

    def _device_changed(self, kind: str, value: str) -> None:
        """A power change or a new log entry becomes an event for the subscribers (never raises into the BMC)."""
        ident = self.device.identity
        try:
            if kind == "power":
                origin = f"/redfish/v1/Systems/{ident.system_id}"
                self.events.publish(
                    "StatusChange",
                    "ResourceEvent.1.0.ResourceChanged",
                    f"The power state of the system changed to {value}.",
                    origin,
                    [value],
                )
            elif kind == "log":
                origin = f"/redfish/v1/Managers/{ident.manager_id}/LogServices/SEL/Entries/{value}"
                self.events.publish(
                    "Alert",
                    "ResourceEvent.1.0.ResourceCreated",
                    "A new entry was added to the system event log.",
                    origin,
                    [value],
                )
        except Exception:
            _log.failure("publishing a Redfish event failed")

    # ------------------------------------------------------------------ steps
    def _match(self, path: str) -> tuple[Route, dict[str, str]]:
        for candidate in self.routes:
            found = candidate.pattern.match(path)
            if found is not None:
                return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
        raise not_found(path)

    def _authenticate(self, request: HttpRequest, path: str) -> _Auth:
        if (request.method if request.method != "HEAD" else "GET", path) in OPEN_PATHS:
            return _Auth()
        token = request.headers.get("x-auth-token")
        if token:
            session = self.sessions.by_token(token)
            if session is not None:
                account = next((a for a in self.device.accounts() if a.slot == session.slot), None)
                if account is not None and account.enabled and account.name == session.user:
                    return _Auth(account, session.session_id)
                self.sessions.delete(session.session_id)
            raise _unauthorized("bad-credentials")
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _unauthorized("bad-credentials") from None
            account = self.device.authenticate(name, password)
            if account is None:
                raise _unauthorized("bad-credentials")
            return _Auth(account)
        raise _unauthorized("no-credentials")

    def _dispatch(
        self, route: Route, params: dict[str, str], request: HttpRequest, path: str, query: dict[str, str], auth: _Auth
    ) -> Reply:
        method = "GET" if request.method == "HEAD" else request.method
        entry = route.methods.get(method)
        if entry is None:
            allow = ", ".join(sorted({*route.methods, "HEAD"} if "GET" in route.methods else set(route.methods)))
            raise RedfishError(
                405,
                "GeneralError",
                note=f"{request.method} is not allowed on {path}; allowed: {allow}.",
                headers={"Allow": allow},
            )
        handler, privilege = entry
        if auth.account is not None and privilege not in ROLE_PRIVILEGES.get(auth.account.role, frozenset()):
            raise RedfishError(403, "InsufficientPrivilege", note=f"{method} {path} needs the {privilege} privilege.")
        body = _parse_body(request) if method in ("POST", "PATCH") else {}
        call = Call(self, method, path, params, body, auth.account, auth.session_id, request.headers)
        if method == "PATCH" and "if-match" in request.headers and "GET" in route.methods:
            current = etag_of(route.methods["GET"][0](call).body or {})
            wanted = [t.strip() for t in request.headers["if-match"].split(",")]
            if "*" not in wanted and current not in wanted and current[2:] not in wanted:
                raise RedfishError(412, "PreconditionFailed")
        reply = handler(call)
        auth.account = call.account  # a login names its user
        if method == "GET" and reply.body is not None:
            reply.body = self._query(reply.body, query, call, auth.expanded)
            tag = etag_of(reply.body)
            reply.headers["ETag"] = tag
            odata_type = reply.body.get("@odata.type")
            if isinstance(odata_type, str):
                reply.body["@odata.etag"] = tag
                schema = odata_type.lstrip("#").rsplit(".", 1)[0]
                reply.headers["Link"] = f"<https://redfish.dmtf.org/schemas/v1/{schema}.json>; rel=describedby"
            if request.headers.get("if-none-match") == tag:
                return Reply(304, None, {"ETag": tag})
        return reply

    def _query(self, body: dict[str, Any], query: dict[str, str], call: Call, expanded: list[str]) -> dict[str, Any]:
        """``$expand`` one level (a collection's Members; with ``.`` or ``*`` also a resource's own references
        such as a Chassis' Thermal and Power, never its Links), then ``$select``; ``expanded`` gets the paths
        served inline."""
        form = query.get("$expand", "").split("(")[0]
        if form in EXPANDABLE and isinstance(body.get("Members"), list):
            body = {**body, "Members": [self._inline(m, call, expanded) for m in body["Members"]]}
        elif form in SUBORDINATE:
            body = {k: v if k in NOT_EXPANDED else self._inline(v, call, expanded) for k, v in body.items()}
        select = query.get("$select")
        if select:
            keep = {s.strip() for s in select.split(",")}
            body = {k: v for k, v in body.items() if k.startswith("@odata") or k in keep}
        return body

    def _inline(self, value: Any, call: Call, expanded: list[str]) -> Any:
        """A bare reference ``{"@odata.id": path}`` to a resource this BMC serves becomes that resource's
        body; anything else (or a reference that does not resolve) is returned as it is."""
        if not (isinstance(value, dict) and len(value) == 1 and isinstance(value.get("@odata.id"), str)):
            return value
        path = value["@odata.id"]
        if "#" in path:
            return value
        try:
            route, params = self._match(path)
            handler = route.methods["GET"][0]
            body = handler(Call(self, "GET", path, params, {}, call.account)).body
        except (RedfishError, KeyError):
            return value
        if body is None:
            return value
        expanded.append(path)
        return body

    def _render(self, reply: Reply, method: str, route: Route | None) -> HttpResponse:
        headers = {"OData-Version": "4.0", "Cache-Control": "no-cache", **reply.headers}
        if route is not None and "GET" in route.methods and "Allow" not in headers:
            headers["Allow"] = ", ".join(sorted({*route.methods, "HEAD"}))
        payload = b""
        if reply.raw is not None:
            headers["Content-Type"] = reply.content_type
            payload = reply.raw
        elif reply.body is not None:
            headers["Content-Type"] = reply.content_type
            payload = orjson.dumps(reply.body)
        if method == "HEAD":
            payload = b""
        return HttpResponse(reply.status, headers, payload)


def _unauthorized(outcome: str) -> RedfishError:
    return RedfishError(401, "NoValidSession", outcome=outcome)


def _split(uri: str) -> tuple[str, dict[str, str]]:
    path, _, raw_query = uri.partition("?")
    path = path.rstrip("/") or "/"
    query = {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
    return path, query


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > BODY_LIMIT:
        raise RedfishError(413, "GeneralError", note=f"The request body exceeds {BODY_LIMIT} bytes.")
    if not request.body.strip():
        return {}
    try:
        parsed = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise RedfishError(400, "MalformedJSON") from None
    if not isinstance(parsed, dict):
        raise RedfishError(400, "MalformedJSON", note="The body must be a JSON object.")
    return parsed
