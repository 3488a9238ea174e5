"""The control API: HTTP JSON on a local port, served by the rack's reactor.

Routes (all under ``/api/v1``):

========  ======================================  =====================================
GET       /rack                                   rack name, seed, mode, device counts, web paths
GET       /devices                                every device's ``describe()``
GET       /layout                                 elevation (cabinet, U, height), feeds, cables
GET       /devices/NAME                           one device
GET       /credentials, /devices/NAME/credentials live users, passwords, communities (the
                                                  owner's view; never logged or journalled)
GET/POST  /devices/NAME/sel                       a node's SEL; POST logs a system event (201)
GET       /devices/NAME/sensors                   every sensor's reading
POST      /devices/NAME/sensors/S {"value": x}    force a threshold sensor (null: release); the
                                                  thresholds it crosses are SEL events
POST      /devices/NAME/power    {"action": ...}  node power: on, off, cycle, reset, soft
POST      /pdus/NAME/outlets/N   {"action": ...}  outlet: on, off, reboot
POST      /switches/NAME/ports/N {"plugged": b}   plug or unplug the cable at a port
GET       /faults                                 active faults and the kinds on offer
POST      /faults  {"kind", "target", "params"}   inject a fault (201, the fault's record)
DELETE    /faults/ID, /faults                     clear one fault, or all of them
GET       /scenarios[/ID]                         scenario runs and their progress
POST      /scenarios {"text": YAML, "source"}     validate (400 with every located error) and run
DELETE    /scenarios/ID                           stop a run, clearing the faults it injected
GET       /events?after=S&device=D&protocol=P     journal entries after seq S (``run``: the run
          &wait=T&limit=L                         id); ``wait`` long-polls up to T seconds
GET       /events/stream?after=S&device=D&        Server-Sent Events: ``id:`` the seq,
          protocol=P                              ``data:`` the JSON entry; backlog, then live
POST      /shutdown                               stop the rack (as ``vrack down``)
========  ======================================  =====================================

Handlers call the rack's public operations (:class:`vrack.rack.Rack`), which
raise :mod:`vrack.errors`; :data:`HTTP_STATUS` maps those to statuses here and
nowhere else.  Every error, also for a malformed request, is JSON
``{"error": ..., "parameter": ..., "valid": [...]}`` with a 4xx status; a fault
in vrack itself is a JSON 500 and is logged.  Request bodies are limited to
:data:`vrack.api_input.MAX_BODY` bytes (413), numbers in paths and queries are ASCII digits
(:mod:`vrack.api_input`).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

import orjson
from twisted.internet.defer import Deferred
from twisted.web import resource, server
from twisted.web.http import Request

from vrack.api_input import LimitedRequest, ascii_number, json_body, query_number, query_text, utf8_text
from vrack.errors import (
    DeviceStateConflict,
    InvalidArgument,
    NotFound,
    RackError,
    RequestTooLarge,
    Unauthorized,
    Unavailable,
    UnknownDevice,
    WrongKind,
)
from vrack.events_api import STREAMING, event_stream, long_poll
from vrack.faults import Fault
from vrack.located import SpecError
from vrack.roles import LiveDescription, then
from vrack.scenario import Scenario, parse_scenario

log = logging.getLogger("vrack")

HTTP_STATUS: dict[type[RackError], int] = {
    InvalidArgument: 400,
    UnknownDevice: 404,
    NotFound: 404,
    WrongKind: 409,
    DeviceStateConflict: 409,
    RequestTooLarge: 413,
    Unauthorized: 401,
    Unavailable: 503,
}


def _json(value: Any) -> bytes:
    """A response body: compact JSON in UTF-8 (orjson: a page of journal entries encodes about 5x faster)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def status_of(error: RackError) -> int:
    """The HTTP status for ``error`` (its class or nearest mapped base class)."""
    for cls in type(error).__mro__:
        status = HTTP_STATUS.get(cls)
        if status is not None:
            return status
    return 400


class RackControl:
    """What the API serves: the running rack, how to stop it, and the token clients must show (if any).

    With a ``token`` (a control API that may be reached from other machines, ``control.allow_remote``)
    every request must carry ``Authorization: Bearer <token>``; web plugins check :meth:`authorized` too.
    """

    def __init__(self, rack: Any, shutdown: Callable[[], None], token: str | None = None) -> None:
        self.rack = rack
        self.shutdown = shutdown
        self._token = token.encode() if token else None
        self.web_paths: list[str] = []  # what web plugins serve beside the API ("/web/"), set by make_site

    def authorized(self, request: Any) -> bool:
        if self._token is None:
            return True
        header = request.getHeader(b"authorization") or b""
        return hmac.compare_digest(header, b"Bearer " + self._token)


class ControlResource(resource.Resource):
    """Dispatches ``/api/v1/...`` to handlers; renders JSON results and errors."""

    isLeaf = True

    def __init__(self, control: RackControl, reactor: Any) -> None:
        super().__init__()
        self.control = control
        self.reactor = reactor

    def render(self, request: Request) -> bytes | int:
        request.setHeader(b"content-type", b"application/json")
        try:
            parts = [utf8_text(p, "path") for p in getattr(request, "postpath", []) if p]
            if not self.control.authorized(request):
                raise Unauthorized("this rack's control API needs its token: Authorization: Bearer <token>", "token")
            if parts[:2] != ["api", "v1"]:
                raise NotFound("unknown route; the API lives under /api/v1", "path")
            result = self._route(request.method.decode("ascii", "replace"), parts[2:], request)
        except RackError as exc:
            return self._error(request, exc)
        except Exception:
            log.exception("control API: %s %r failed", request.method, request.uri)
            return self._internal_error(request)
        if result is STREAMING:  # an event stream writes and finishes the response itself
            return int(server.NOT_DONE_YET)
        if isinstance(result, Deferred):
            result.addCallbacks(lambda value: self._finish(request, value), lambda f: self._finish_error(request, f))
            return server.NOT_DONE_YET
        return _json(result)

    def _finish(self, request: Request, value: Any) -> None:
        if not request.finished and not getattr(request, "_disconnected", False):
            request.write(_json(value))
            request.finish()

    def _finish_error(self, request: Request, failure: Any) -> None:
        if isinstance(failure.value, RackError):
            body = self._error(request, failure.value)
        else:
            log.error("control API: %s %r failed: %s", request.method, request.uri, failure.getTraceback())
            body = self._internal_error(request)
        if not request.finished and not getattr(request, "_disconnected", False):
            request.write(body)
            request.finish()

    @staticmethod
    def _error(request: Request, error: RackError) -> bytes:
        request.setResponseCode(status_of(error))
        return _json(error.as_dict())

    @staticmethod
    def _internal_error(request: Request) -> bytes:
        request.setResponseCode(500)
        return _json({"error": "internal error in vrack (see the rack's log)"})

    def _route(self, method: str, parts: list[str], request: Request) -> Any:
        rack = self.control.rack
        match (method, parts):
            case ("GET", ["rack"]):
                return {**rack.info(), "web": self.control.web_paths}
            case ("GET", ["devices"]):
                return [d.describe() for d in rack.devices.values()]
            case ("GET", ["layout"]):
                return rack.layout()
            case ("GET", ["devices", name]):
                return _describe_now(rack.device(name))
            case ("GET", ["credentials"]):
                return {name: device.credentials() for name, device in rack.devices.items()}
            case ("GET", ["devices", name, "credentials"]):
                return rack.device(name).credentials()
            case ("GET", ["devices", name, "sel"]):
                return rack.node(name).sel_entries()
            case ("POST", ["devices", name, "sel"]):
                request.setResponseCode(201)
                return then(rack.node(name).add_sel_event(json_body(request), "control API"), lambda i: {"id": i})
            case ("GET", ["devices", name, "sensors"]):
                return rack.node(name).sensor_readings()
            case ("POST", ["devices", name, "sensors", sensor]):
                value = json_body(request).get("value")
                if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                    raise InvalidArgument(f"value must be a number or null (got {value!r})", "value")
                node = rack.node(name)
                node.force_sensor(sensor, None if value is None else float(value), "control API")
                return then(node.sensor_readings(), lambda readings: next(r for r in readings if r["name"] == sensor))
            case ("POST", ["devices", name, "power"]):
                action = str(json_body(request).get("action"))
                return then(rack.power_node(name, action, "control API"), _describe_now)
            case ("POST", ["pdus", name, "outlets", outlet]):
                action = str(json_body(request).get("action"))
                number = ascii_number(outlet, "outlet")
                return rack.switch_outlet(name, number, action, "control API").describe()
            case ("POST", ["switches", name, "ports", port]):
                plugged = json_body(request).get("plugged")
                if not isinstance(plugged, bool):
                    raise InvalidArgument("plugged must be true or false", "plugged", [True, False])
                return rack.set_cable(name, ascii_number(port, "port"), plugged, "control API").describe()
            case ("GET", ["faults"]):
                return {"active": rack.faults.active(), "kinds": rack.faults.kinds()}
            case ("POST", ["faults"]):
                request.setResponseCode(201)
                return rack.faults.inject(_fault_from(json_body(request)), "control API").describe()
            case ("DELETE", ["faults", fault_id]):
                return rack.faults.clear(ascii_number(fault_id, "id"), "control API").describe()
            case ("DELETE", ["faults"]):
                return {"cleared": [f.describe() for f in rack.faults.clear_all("control API")]}
            case ("GET", ["scenarios"]):
                return rack.scenarios.all()
            case ("POST", ["scenarios"]):
                run = rack.scenarios.start(_scenario_from(json_body(request)))
                request.setResponseCode(201)
                return run.describe()
            case ("GET", ["scenarios", run_id]):
                return rack.scenarios.get(ascii_number(run_id, "id")).describe()
            case ("DELETE", ["scenarios", run_id]):
                run = rack.scenarios.get(ascii_number(run_id, "id"))
                run.cancel("control API")
                return run.describe()
            case ("GET", ["events"]):
                return self._events(request)
            case ("GET", ["events", "stream"]):
                return self._event_stream(request)
            case ("POST", ["shutdown"]):
                self.reactor.callLater(0, self.control.shutdown)
                return {"status": "stopping"}
        raise NotFound(f"unknown route {method} /api/v1/{'/'.join(parts)}", "path")

    def _event_filters(self, request: Request) -> tuple[int, str | None, str | None]:
        rack = self.control.rack
        after = query_number(request, "after", 0)
        device = query_text(request, "device")
        protocol = query_text(request, "protocol")
        if device is not None and device not in rack.devices and device != rack.rack_name:
            raise UnknownDevice(f"no device named {device!r}", "device", sorted(rack.devices))
        return after, device, protocol

    def _events(self, request: Request) -> Any:
        after, device, protocol = self._event_filters(request)
        limit = query_number(request, "limit", 1000, 1, 100_000)
        wait = query_number(request, "wait", 0, 0, 3600)
        return long_poll(self.control.rack.journal, request, self.reactor, after, device, protocol, limit, wait)

    def _event_stream(self, request: Request) -> Any:
        after, device, protocol = self._event_filters(request)
        return event_stream(self.control.rack.journal, request, self.reactor, after, device, protocol)


def _describe_now(device: Any) -> Any:
    """The device's state now: ``describe()``, or for a node a worker process serves its worker's answer."""
    return device.describe_now() if isinstance(device, LiveDescription) else device.describe()


def _fault_from(body: dict[str, Any]) -> Fault:
    kind, target, params, seed = body.get("kind"), body.get("target"), body.get("params", {}), body.get("seed")
    if not isinstance(kind, str):
        raise InvalidArgument("kind must be a fault kind's name (GET /api/v1/faults lists them)", "kind")
    if not isinstance(target, str):
        raise InvalidArgument("target must be a device name or a pattern such as node0*", "target")
    if not isinstance(params, dict):
        raise InvalidArgument("params must be a JSON object", "params")
    if seed is not None and not isinstance(seed, str):
        raise InvalidArgument("seed must be a string", "seed")
    return Fault(kind, target, params, seed)


def _scenario_from(body: dict[str, Any]) -> Scenario:
    text, source = body.get("text"), body.get("source", "<scenario>")
    if not isinstance(text, str) or not isinstance(source, str):
        raise InvalidArgument("text must be the scenario's YAML as a string (source: its file name)", "text")
    try:
        return parse_scenario(text, source)
    except SpecError as exc:
        raise InvalidArgument(str(exc), "text") from None


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
    mounts = plugin_mounts(control)
    control.web_paths = [f"/{name}/" for name in sorted(mounts)]
    site = server.Site(RootResource(ControlResource(control, reactor), mounts), reactor=reactor)
    site.requestFactory = LimitedRequest
    site.displayTracebacks = False
    site.noisy = False
    return site
