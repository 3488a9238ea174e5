"""A rack inside the test's own process, on a reactor thread of its own.

:class:`ReactorThread` runs a private Twisted asyncio reactor (pysnmp needs asyncio) on its own
event loop in a daemon thread; nothing is installed as the process's global reactor, so this works
beside pytest-twisted's reactor, trial's, or none.  :class:`InProcessRunner` runs a
:class:`vrack.runtime.RackRuntime` on it; calls into the rack go through
``blockingCallFromThread``.  A test that already runs a reactor of its own (pytest-twisted, trial)
can instead run :class:`vrack.runtime.RackRuntime` on that reactor directly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.threads import blockingCallFromThread

from vrack.plan import RackPlan
from vrack.statedir import RackDir
from vrack.testing.assertions import EventSource
from vrack.testing.events import JournalEventSource
from vrack.testing.process import RackStartError

T = TypeVar("T")


class ReactorThread:
    """A private asyncio reactor running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.reactor: Any = AsyncioSelectorReactor(self.loop)
        self._thread = threading.Thread(target=self._run, name=f"vrack-reactor-{name}", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.reactor.run(installSignalHandlers=False)

    def start(self, timeout: float) -> None:
        running = threading.Event()
        self.reactor.callWhenRunning(running.set)
        self._thread.start()
        if not running.wait(timeout):
            raise RackStartError(f"the rack's reactor thread did not start within {timeout:g} s")

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the reactor thread and return its result (waiting for a Deferred's)."""
        result: T = blockingCallFromThread(self.reactor, fn, *args)
        return result

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self.reactor.callFromThread(self.reactor.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()


class InProcessRunner:
    """One rack on a :class:`ReactorThread`."""

    mode = "inprocess"

    def __init__(self, plan: RackPlan, spec_file: Path, state_root: Path) -> None:
        self.plan = plan
        self.spec_file = spec_file
        self.rack_dir = RackDir(state_root / plan.spec.rack)
        self.thread = ReactorThread(plan.spec.rack)
        self.runtime: Any = None
        self._source: JournalEventSource | None = None

    def start(self, timeout: float) -> None:
        from vrack.runtime import RackRuntime, RackStartFailure

        self.thread.start(timeout)
        self.runtime = RackRuntime(self.plan, self.rack_dir, self.thread.reactor, spec_path=self.spec_file)
        try:
            self.thread.call(self.runtime.start)
        except RackStartFailure as exc:
            self.thread.stop()
            raise RackStartError(str(exc)) from None

    @property
    def api_url(self) -> str:
        assert self.runtime is not None and self.runtime.url is not None
        return str(self.runtime.url)

    @property
    def run_id(self) -> str | None:
        return self.runtime.run_id if self.runtime is not None else None

    @property
    def api_token(self) -> str | None:
        return self.runtime.token if self.runtime is not None else None

    @property
    def journal(self) -> Any:
        return self.runtime.journal

    def event_source(self) -> EventSource:
        if self._source is None:
            self._source = JournalEventSource(self.thread.reactor, self.runtime.journal)
        return self._source

    def stop(self, timeout: float = 30.0) -> None:
        if self.runtime is not None and self.thread.reactor.running:
            self.thread.call(self.runtime.stop)
        self.thread.stop(timeout)
        if self.runtime is not None:
            self.runtime.cleanup()

    def output(self) -> str:
        return ""
