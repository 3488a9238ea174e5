"""A rack in memory: every device, the power model, faults and the API on a fake clock, no sockets.

The devices are built exactly as ``vrack up`` builds them; only binding their ports is skipped, so
tests of the composition layer run in milliseconds and drive time with ``clock.advance``.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twisted.internet.testing import MemoryReactorClock
from twisted.web import server
from twisted.web.resource import getChildForRequest
from twisted.web.test.requesthelper import DummyRequest

from vrack.api import RackControl, make_site
from vrack.clock import RackClock
from vrack.journal import WINDOW, Journal
from vrack.plan import build_plan
from vrack.rack import Rack
from vrack.spec import parse_spec

SMALL = """\
rack: mem
seed: mem-seed
networks: {management: 127.60.0.0/24}
devices:
  - {name: "node{n:02d}", kind: compute, model: quanta-d51, count: 2, bmc: {boot_time: 2}}
  - {name: node03, kind: compute, model: dell-r630, power_supplies: 2}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8, reboot_delay: 4}
  - {name: sw1, kind: switch, model: arista-7050, ports: 8}
power:
  - {outlet: pdu1/1, to: node01/psu1}
  - {outlet: pdu1/2, to: node02/psu1}
  - {outlet: pdu1/3, to: node03/psu1}
  - {outlet: pdu1/4, to: node03/psu2}
cables:
  - {a: node01/nic0, b: sw1/1}
  - {a: node02/nic0, b: sw1/2}
  - {a: node03/nic1, b: sw1/3}
"""


class _ApiRequest(DummyRequest):
    """twisted.web's request double with the body the control API reads (``Request.content``)."""

    content: io.BytesIO


@dataclass
class Response:
    status: int
    body: Any


class MemoryRack:
    """A :class:`Rack` whose devices run on a :class:`MemoryReactorClock` without binding ports."""

    def __init__(self, spec_text: str = SMALL, token: str | None = None, window: int = WINDOW) -> None:
        self.reactor = MemoryReactorClock()
        plan = build_plan(parse_spec(spec_text))
        self.clock = RackClock(self.reactor, plan.spec.epoch)
        self.journal = Journal(self.clock, window=window)
        self.rack = Rack(plan, self.reactor, self.journal, self.clock)
        self.rack.power.apply_initial_state()
        self.rack.running = 1
        self.stopped = False
        self.site = make_site(RackControl(self.rack, self._stop, token), self.reactor)

    def _stop(self) -> None:
        self.stopped = True

    def advance(self, seconds: float, step: float = 0.1) -> None:
        """Let ``seconds`` of rack time pass, in ``step`` increments (timers fire in order)."""
        remaining = seconds
        while remaining > 1e-9:
            self.reactor.advance(min(step, remaining))
            remaining -= step

    def events(self, **match: Any) -> list[dict[str, Any]]:
        """Journal entries whose fields equal every ``match`` item."""
        return [e for e in self.journal.entries() if all(e.get(k) == v for k, v in match.items())]

    def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        """One control API request, rendered in memory; a long poll is driven by :meth:`advance`."""
        url = urlsplit(path)
        request = _ApiRequest([p.encode("utf-8", "surrogateescape") for p in url.path.lstrip("/").split("/")])
        request.method = method.encode()
        request.uri = path.encode("utf-8", "surrogateescape")
        request.args = {k.encode(): [v.encode() for v in vs] for k, vs in parse_qs(url.query).items()}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        request.content = io.BytesIO(payload)
        for name, value in (headers or {}).items():
            request.requestHeaders.addRawHeader(name.encode(), value.encode())
        resource = getChildForRequest(self.site.resource, request)
        result = resource.render(request)
        if result != server.NOT_DONE_YET:
            request.write(result)
            request.finish()
        for _ in range(600):
            if request.finished:
                break
            self.advance(0.1)
        assert request.finished, f"{method} {path} did not finish"
        text = b"".join(request.written)
        return Response(request.responseCode or 200, json.loads(text))
