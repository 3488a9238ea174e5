"""A running rack on a given reactor: network, libvirtd, devices, journal run, control API, control.json.

:class:`RackRuntime` is what ``vrack up`` runs (through :func:`vrack.runner.run`, which adds the
process's reactor, signals and printing) and what the test kit (:mod:`vrack.testing`) runs inside a
test's own reactor or a reactor thread.  It never touches the global reactor: everything is bound on
the reactor it is given.

``start()`` runs in the reactor's thread and either leaves the whole rack running or raises
:class:`RackStartFailure` having released everything it had taken (ports, namespace, libvirtd, an
empty journal run).  ``stop()`` is idempotent and undoes ``start()`` in reverse: control.json first
(so no client finds a rack that is going away), the control API, the devices (their last journal
entries are flushed and the file closed), libvirtd, the namespace.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, maybeDeferred, succeed

from vrack.plan import RackPlan
from vrack.startup_gc import release_frozen
from vrack.statedir import RackDir


class RackStartFailure(Exception):
    """The rack could not start; the message is for the user (it names the device, address or step)."""


class RackRuntime:
    """One rack's lifetime on ``reactor``; see the module docstring."""

    def __init__(
        self,
        plan: RackPlan,
        rack_dir: RackDir,
        reactor: Any,
        *,
        spec_path: str | Path | None = None,
        on_shutdown_request: Callable[[], None] | None = None,
        segment_size: int | None = None,
        keep_runs: int | None = None,
        extra_control: dict[str, Any] | None = None,
        progress: Callable[[str, int], None] | None = None,
        workers: int = 0,
    ) -> None:
        """``workers`` > 0 serves the compute nodes from that many worker processes (:mod:`vrack.split`)."""
        self.plan = plan
        self.workers = workers
        self.pool: Any = None
        self.rack_dir = rack_dir
        self.reactor = reactor
        self.spec_path = Path(spec_path).resolve() if spec_path is not None else None
        self._on_shutdown_request = on_shutdown_request
        self.segment_size = segment_size if segment_size is not None else plan.spec.journal.segment_size
        self.keep_runs = keep_runs if keep_runs is not None else plan.spec.journal.keep_runs
        self._extra_control = dict(extra_control or {})
        self._progress = progress  # called per device and start-up pass (vrack.progress.StartupProgress)
        self.rack: Any = None
        self.journal: Any = None
        self.network: Any = None
        self.url: str | None = None
        self.web_urls: list[str] = []  # the web view's pages (vrack.web plugins), e.g. http://127.0.0.1:PORT/web/
        self.run_id: str | None = None
        self._libvirtd: Any = None
        self._listening: Any = None
        self._stopping: Deferred[None] | None = None
        self._token: str | None = None

    @property
    def running(self) -> bool:
        return self.url is not None and self._stopping is None

    @property
    def run_path(self) -> Path:
        assert self.run_id is not None
        return self.rack_dir.runs.path(self.run_id)

    def start(self) -> None:
        """Build and bind everything; raise :class:`RackStartFailure` (with everything released) on failure."""
        from vrack.api import RackControl, make_site
        from vrack.clock import RackClock
        from vrack.devices import build_devices
        from vrack.fdlimit import FdLimitTooLow, ensure_fd_limit, fds_needed
        from vrack.hostnet import build_network, start_libvirtd
        from vrack.journal import Journal
        from vrack.rack import Rack, RackStartError
        from vrack.startup_gc import StartupCollector

        spec = self.plan.spec
        if self.workers:
            self._check_split()
        try:
            ensure_fd_limit(fds_needed(self._local_plan()) + 2 * self.workers)
        except FdLimitTooLow as exc:
            raise RackStartFailure(str(exc)) from exc
        self.rack_dir.path.mkdir(parents=True, exist_ok=True)
        self.run_id = self.rack_dir.runs.create(self.keep_runs)
        clock = RackClock(self.reactor, spec.epoch)
        self.journal = Journal(
            clock, self.run_path / "events.jsonl", segment_size=self.segment_size, run_id=self.run_id
        )
        try:
            try:
                self.network = build_network(self.plan, self.rack_dir.path)
            except Exception as exc:
                raise RackStartFailure(f"cannot build the rack network: {exc}") from exc
            try:
                self._libvirtd = start_libvirtd(self.plan, self.network)
            except Exception as exc:
                raise RackStartFailure(f"cannot start libvirtd for the VM nodes: {exc}") from exc
            devices = self._start_workers() if self.workers else build_devices
            with StartupCollector() as collector:
                progress = self._progress

                def device_done(phase: str, done: int) -> None:
                    collector.device_done()
                    if progress is not None:
                        progress(phase, done)

                self.rack = Rack(
                    self.plan, self.reactor, self.journal, clock, self.network, self.rack_dir.path, device_done, devices
                )
                if self.pool is not None:
                    self.rack.remote_listeners = self.pool.listener_sockets
                try:
                    self.rack.startService()
                except RackStartError as exc:
                    raise RackStartFailure(str(exc)) from exc
            if self.pool is not None:
                self.pool.replay_early_events()
            self._token = secrets.token_urlsafe(32) if spec.control.allow_remote else None
            control = RackControl(self.rack, self.request_shutdown, self._token)
            try:
                site = make_site(control, self.reactor)
                self._listening = self.reactor.listenTCP(spec.control.port, site, interface=str(spec.control.address))
            except Exception as exc:
                raise RackStartFailure(
                    f"control API cannot listen on {spec.control.address}:{spec.control.port}: {exc}"
                ) from exc
        except RackStartFailure:
            self._release_after_failure()
            raise
        self.url = f"http://{spec.control.address}:{self._listening.getHost().port}"
        self.web_urls = [self.url + path for path in control.web_paths]
        self.rack_dir.write_control(self.control_info())

    def _check_split(self) -> None:
        if self.workers < 0:
            raise RackStartFailure(f"--workers must be 0 (one process) or more, got {self.workers}")
        if self.spec_path is None:
            raise RackStartFailure("worker processes rebuild the rack from its spec file: give the spec's path")
        if any(node.spec.backend != "sim" for node in self.plan.nodes):
            raise RackStartFailure("worker processes serve simulated nodes only (this rack has VM nodes)")

    def _local_plan(self) -> RackPlan:
        """What this process itself serves: everything, or with workers everything but the compute nodes."""
        return dataclasses.replace(self.plan, nodes=()) if self.workers else self.plan

    def _start_workers(self) -> Any:
        """Start the worker processes (blocking until they serve); the device factory that uses their nodes."""
        from vrack.devices.pdu import build_pdu_devices
        from vrack.devices.switch import build_switch_devices
        from vrack.split.pool import WorkerPool, WorkerStartError

        assert self.spec_path is not None
        self.pool = WorkerPool(
            self.plan,
            self.spec_path,
            self.workers,
            self.reactor,
            self.journal,
            state_path=self.rack_dir.path,
            progress=self._progress,
            on_worker_lost=lambda why: self.request_shutdown(),
        )
        try:
            self.pool.start()
        except WorkerStartError as exc:
            self.pool = None
            raise RackStartFailure(f"the worker processes could not serve the nodes:\n{exc}") from exc
        nodes = self.pool.nodes

        def devices(plan: RackPlan, context: Any) -> Any:
            yield from nodes.values()
            yield from build_pdu_devices(plan, context)
            yield from build_switch_devices(plan, context)

        return devices

    @property
    def token(self) -> str | None:
        """The control API's token when it may be reached from other machines (``control.allow_remote``)."""
        return self._token

    def control_info(self) -> dict[str, Any]:
        """What ``control.json`` says about the running rack."""
        assert self.url is not None and self.run_id is not None
        info: dict[str, Any] = {
            "pid": os.getpid(),
            "rack": self.plan.spec.rack,
            "api": self.url,
            "spec": str(self.spec_path) if self.spec_path is not None else None,
            "status": "running",
            "run": self.run_id,
            "events": str(self.run_path / "events.jsonl"),
            "web": self.web_urls,
        }
        if self._token:
            info["token"] = self._token  # control.json is written 0600
        info.update(self._extra_control)
        return info

    def _release_after_failure(self) -> None:
        if self.rack is not None and self.rack.running:
            self.rack.stopService()
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.kill()
        if self.journal is not None:
            self.journal.close()
        self._release_host()
        release_frozen()
        if self.run_id is not None:
            self.rack_dir.runs.discard_if_empty(self.run_id)

    def _release_host(self) -> None:
        libvirtd, self._libvirtd = self._libvirtd, None
        if libvirtd is not None:
            libvirtd.stop()
        network, self.network = self.network, None
        if network is not None and network.exists():
            network.destroy()

    def request_shutdown(self) -> None:
        """``POST /api/v1/shutdown``: the owner decides (``vrack up`` stops its reactor)."""
        if self._on_shutdown_request is not None:
            self._on_shutdown_request()
        else:
            self.stop()

    def stop(self) -> Deferred[None]:
        """Stop everything ``start`` built (idempotent; the same Deferred while stopping)."""
        if self._stopping is not None:
            return self._stopping
        if self.url is None:
            return succeed(None)
        self.rack_dir.remove_control()
        listening, self._listening = self._listening, None
        if listening is not None:
            listening.stopListening()
        stopped: Deferred[Any] = maybeDeferred(self.rack.stopService)
        pool = self.pool
        if pool is not None:
            stopped.addBoth(lambda result: pool.stop().addCallback(lambda _: result))

        def release(result: Any) -> Any:
            self._release_host()
            release_frozen()  # what the start froze (vrack.startup_gc) may be garbage now
            return result

        stopped.addBoth(release)
        stopped.addCallback(lambda _: None)
        self._stopping = stopped
        return stopped

    def cleanup(self) -> None:
        """Last resort after the reactor stopped (a crash path): no control.json, no worker, no namespace left."""
        self.rack_dir.remove_control()
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.kill()
        self._release_host()
