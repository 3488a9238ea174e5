"""The control API: HTTP JSON on a local port, served by the rack's reactor.

Routes (all under ``/api/v1``):

========  ======================================  =====================================
GET       /rack                                   rack name, seed, mode, device counts
GET       /devices                                every device's ``describe()``
GET       /devices/NAME                           one device
POST      /devices/NAME/power    {"action": ...}  node power: on, off, cycle, reset, soft
POST      /pdus/NAME/outlets/N   {"action": ...}  outlet: on, off, reboot
POST      /switches/NAME/ports/N {"plugged": b}   plug or unplug the cable at a port
GET       /events?after=S&device=D&protocol=P     journal entries after seq S (``run``: the run
          &wait=T&limit=L                         id); ``wait`` long-polls up to T seconds
GET       /events/stream?after=S&device=D&        Server-Sent Events: ``id:`` the seq,
          protocol=P                              ``data:`` the JSON entry; backlog, then live
POST      /shutdown                               stop the rack (as ``vrack down``)
========  ======================================  =====================================

Errors are JSON ``{"error": ..., "parameter": ..., "valid": [...]}`` with 400
(bad parameter), 404 (unknown device or route) or 409 (wrong device kind).
Typed :class:`ApiError` is raised inside handlers and mapped to a response in
one place (:meth:`ControlResource.render`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.web import resource, server
from twisted.web.http import Request

from vrack.events_api import STREAMING, event_stream, long_poll


class ApiError(Exception):
    def __init__(self, status: int, message: str, parameter: str | None = None, valid: list[Any] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": message}
        if parameter is not None:
            self.body["parameter"] = parameter
        if valid is not None:
            self.body["valid"] = valid


class RackControl:
    """What the API needs from the running rack (kept narrow for tests)."""

    def __init__(self, rack: Any, shutdown: Callable[[], None]) -> None:
        self.rack = rack
        self.shutdown = shutdown

    def device(self, name: str, kind: str | None = None) -> Any:
        device = self.rack.devices.get(name)
        if device is None:
            valid = sorted(n for n, d in self.rack.devices.items() if kind is None or d.kind == kind)
            raise ApiError(404, f"no device named {name!r}", "name", valid)
        if kind is not None and device.kind != kind:
            raise ApiError(409, f"{name!r} is a {device.kind}, not a {kind}", "name")
        return device


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.content.read() if request.content is not None else b""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not JSON: {exc}", "body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object", "body")
    return data


def _choice(body: dict[str, Any], key: str, valid: list[str]) -> str:
    value = body.get(key)
    if value not in valid:
        raise ApiError(400, f"{key} must be one of {', '.join(valid)} (got {value!r})", key, valid)
    return str(value)


def _int_arg(request: Request, name: str, default: int) -> int:
    values = request.args.get(name.encode()) if request.args else None
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError:
        raise ApiError(400, f"query parameter {name} must be an integer", name) from None


def _str_arg(request: Request, name: str) -> str | None:
    values = request.args.get(name.encode()) if request.args else None
    return values[0].decode() if values else None


class ControlResource(resource.Resource):
    """Dispatches ``/api/v1/...`` to handlers; renders JSON and errors."""

    isLeaf = True

    def __init__(self, control: RackControl, reactor: Any) -> None:
        super().__init__()
        self.control = control
        self.reactor = reactor

    def render(self, request: Request) -> bytes | int:
        request.setHeader(b"content-type", b"application/json")
        parts = [p.decode() for p in getattr(request, "postpath", []) if p]
        if parts[:2] != ["api", "v1"]:
            return self._error(request, ApiError(404, "unknown route; the API lives under /api/v1", "path"))
        method = request.method.decode()
        try:
            result = self._route(method, parts[2:], request)
        except ApiError as exc:
            return self._error(request, exc)
        except KeyError as exc:
            return self._error(request, ApiError(404, f"not found: {exc}", "path"))
        if result is STREAMING:  # a stream: it writes and finishes by itself
            return int(server.NOT_DONE_YET)
        if isinstance(result, Deferred):
            result.addCallback(lambda value: self._finish(request, value))
            result.addErrback(lambda failure: self._finish_error(request, failure))
            return server.NOT_DONE_YET
        return result if isinstance(result, bytes) else json.dumps(result).encode()

    def _finish(self, request: Request, value: Any) -> None:
        if not request.finished and not getattr(request, "_disconnected", False):
            request.write(value if isinstance(value, bytes) else json.dumps(value).encode())
            request.finish()

    def _finish_error(self, request: Request, failure: Any) -> None:
        error = failure.value if isinstance(failure.value, ApiError) else ApiError(500, str(failure.value))
        if not request.finished:
            request.write(self._error(request, error))
            request.finish()

    @staticmethod
    def _error(request: Request, error: ApiError) -> bytes:
        request.setResponseCode(error.status)
        return json.dumps(error.body).encode()

    def _route(self, method: str, parts: list[str], request: Request) -> Any:
        c = self.control
        match (method, parts):
            case ("GET", ["rack"]):
                return self._rack_info()
            case ("GET", ["devices"]):
                return [d.describe() for d in c.rack.devices.values()]
            case ("GET", ["devices", name]):
                return c.device(name).describe()
            case ("POST", ["devices", name, "power"]):
                device = c.device(name, "compute")
                action = _choice(_json_body(request), "action", ["on", "off", "cycle", "reset", "soft"])
                device.control_power(action, "control API")
                return device.describe()
            case ("POST", ["pdus", name, "outlets", outlet]):
                device = c.device(name, "pdu")
                action = _choice(_json_body(request), "action", ["on", "off", "reboot"])
                number = self._number(outlet, "outlet", device.outlet_count)
                device.control_outlet(number, action, "control API")
                return device.describe()
            case ("POST", ["switches", name, "ports", port]):
                device = c.device(name, "switch")
                body = _json_body(request)
                plugged = body.get("plugged")
                if not isinstance(plugged, bool):
                    raise ApiError(400, "plugged must be true or false", "plugged", [True, False])
                number = self._number(port, "port", device.port_count)
                try:
                    c.rack.power.set_cable(name, number, plugged, "control API")
                except KeyError:
                    raise ApiError(404, f"no cable at {name}/{number}", "port") from None
                return device.describe()
            case ("GET", ["events"]):
                return self._events(request)
            case ("GET", ["events", "stream"]):
                return self._event_stream(request)
            case ("POST", ["shutdown"]):
                self.reactor.callLater(0, c.shutdown)
                return {"status": "stopping"}
        raise ApiError(404, f"unknown route {method} /api/v1/{'/'.join(parts)}", "path")

    @staticmethod
    def _number(text: str, what: str, count: int) -> int:
        if not text.isdigit() or not 1 <= int(text) <= count:
            raise ApiError(400, f"{what} must be 1..{count} (got {text!r})", what)
        return int(text)

    def _rack_info(self) -> dict[str, Any]:
        rack = self.control.rack
        kinds: dict[str, int] = {}
        for device in rack.devices.values():
            kinds[device.kind] = kinds.get(device.kind, 0) + 1
        spec = rack.plan.spec
        return {
            "rack": spec.rack,
            "seed": spec.identity_seed,
            "mode": spec.mode,
            "time": rack.clock.isoformat(),
            "devices": kinds,
            "journal_last_seq": rack.journal.last_seq,
            "run": rack.journal.run_id,
        }

    def _event_filters(self, request: Request) -> tuple[int, str | None, str | None]:
        after = _int_arg(request, "after", 0)
        device = _str_arg(request, "device")
        protocol = _str_arg(request, "protocol")
        rack = self.control.rack
        if device is not None and device not in rack.devices and device != rack.name:
            raise ApiError(404, f"no device named {device!r}", "device", sorted(rack.devices))
        return after, device, protocol

    def _events(self, request: Request) -> Any:
        after, device, protocol = self._event_filters(request)
        limit = _int_arg(request, "limit", 1000)
        wait = _int_arg(request, "wait", 0)
        return long_poll(self.control.rack.journal, request, self.reactor, after, device, protocol, limit, wait)

    def _event_stream(self, request: Request) -> Any:
        after, device, protocol = self._event_filters(request)
        return event_stream(self.control.rack.journal, request, self.reactor, after, device, protocol)


WEB_GROUP = "vrack.web"


class RootResource(resource.Resource):
    """``/api/...`` is the control API; other top-level paths belong to web plugins (``vrack.web``)."""

    def __init__(self, api: ControlResource, mounts: dict[str, resource.Resource]) -> None:
        super().__init__()
        self.api = api
        self.mounts = {name.encode(): child for name, child in mounts.items()}

    def getChild(self, path: bytes, request: Any) -> resource.Resource:
        mounted = self.mounts.get(path)
        if mounted is not None:
            return mounted
        request.postpath.insert(0, path)  # the API resource routes on the whole path
        request.prepath.pop()
        return self.api

    def render(self, request: Request) -> bytes | int:
        return self.api.render(request)


def plugin_mounts(control: RackControl) -> dict[str, resource.Resource]:
    """Resources that packages standing on vrack serve beside the API (e.g. the web view).

    Each entry point of the group ``vrack.web`` names a callable ``mount(control) -> {segment: Resource}``;
    the segment ``api`` is reserved.
    """
    import importlib.metadata

    mounts: dict[str, resource.Resource] = {}
    for entry in sorted(importlib.metadata.entry_points(group=WEB_GROUP), key=lambda e: e.name):
        for name, child in entry.load()(control).items():
            if name == "api" or name in mounts:
                raise ValueError(f"web plugin {entry.name!r} cannot mount /{name}: already taken")
            mounts[name] = child
    return mounts


def make_site(control: RackControl, reactor: Any) -> server.Site:
    site = server.Site(RootResource(ControlResource(control, reactor), plugin_mounts(control)), reactor=reactor)
    site.displayTracebacks = False
    site.noisy = False
    return site
