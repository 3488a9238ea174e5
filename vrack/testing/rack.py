"""``start_rack()`` and the :class:`RackHandle` it returns (the test kit's entry point)."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal, Protocol

from vrack.testing.assertions import EventSource, RackJournal
from vrack.testing.handle import ControlClient, NodeHandle, PduHandle, SnmpCommunity, SwitchHandle
from vrack.testing.process import RackStartError
from vrack.testing.specinput import Ports, PortsUnavailable, ReadySpec, SpecSource, prepare

Mode = Literal["process", "inprocess"]
START_ATTEMPTS = 3  # "auto" ports are free when chosen; another process may take one before the rack binds


class Runner(Protocol):
    mode: str

    @property
    def api_url(self) -> str: ...

    @property
    def run_id(self) -> str | None: ...

    @property
    def api_token(self) -> str | None: ...

    def start(self, timeout: float) -> None: ...

    def stop(self, timeout: float = 30.0) -> None: ...

    def event_source(self) -> EventSource: ...

    def output(self) -> str: ...


_live: set[RackHandle] = set()


@atexit.register
def _stop_all() -> None:
    """An interpreter that exits (also after Ctrl-C) stops every rack it started."""
    for handle in list(_live):
        handle.stop()


class RackHandle:
    """A running rack: its devices, its journal, and ``stop()`` (also a context manager)."""

    def __init__(self, runner: Runner, ready: ReadySpec, spec_path: Path, state_dir: Path, temporary: bool) -> None:
        self._runner = runner
        self._temporary = temporary
        self.plan = ready.plan
        self.name: str = ready.plan.spec.rack
        self.spec_path = spec_path
        self.state_dir = state_dir
        self.mode: str = runner.mode
        self.api_url: str = runner.api_url
        self.run_id = runner.run_id
        self.moved_ports: dict[str, int] = dict(ready.moved_ports)
        self.failed = False  # set by the frameworks (or __exit__) so that stop() keeps the journal
        self.stopped = False
        self._client = ControlClient(self.api_url, token=runner.api_token)
        self.journal = RackJournal(runner.event_source())

    # ------------------------------------------------------------------ devices

    def devices(self) -> list[dict[str, Any]]:
        """The control API's description of every device."""
        found: list[dict[str, Any]] = self._client.get("/api/v1/devices")
        return found

    def info(self) -> dict[str, Any]:
        """``GET /api/v1/rack``: name, seed, mode, rack time, device counts, journal position, run id."""
        found: dict[str, Any] = self._client.get("/api/v1/rack")
        return found

    def node(self, name: str) -> NodeHandle:
        return NodeHandle(self._client, self._client.get(f"/api/v1/devices/{name}"))

    def nodes(self) -> list[NodeHandle]:
        return [NodeHandle(self._client, d) for d in self.devices() if d["kind"] == "compute"]

    def _communities(self, name: str) -> list[SnmpCommunity]:
        for device in (*self.plan.pdus, *self.plan.switches):
            if device.name == name:
                return [SnmpCommunity(c.name, c.access) for c in device.spec.snmp.communities]
        return []

    def pdu(self, name: str) -> PduHandle:
        return PduHandle(self._client, self._client.get(f"/api/v1/devices/{name}"), self._communities(name))

    def switch(self, name: str) -> SwitchHandle:
        return SwitchHandle(self._client, self._client.get(f"/api/v1/devices/{name}"), self._communities(name))

    def endpoints(self) -> dict[str, tuple[str, str, int]]:
        """Device name -> (protocol, address, port) where it really listens."""
        found = {}
        for device in self.devices():
            if device["kind"] == "compute":
                bmc = device["bmc"]
                found[device["name"]] = ("ipmi", bmc["address"], int(bmc.get("bound_port") or bmc["port"]))
            elif "address" in device:
                found[device["name"]] = ("snmp", device["address"], int(device.get("bound_port") or device["port"]))
        return found

    @property
    def journal_dir(self) -> Path | None:
        """This run's journal directory (its files stay after the rack stops)."""
        return self.state_dir / self.name / "runs" / self.run_id if self.run_id else None

    def output(self) -> str:
        """What the rack printed (a child process's output; empty in process)."""
        return self._runner.output()

    # ------------------------------------------------------------------ lifecycle

    def stop(self, keep_journal: bool | None = None) -> None:
        """Stop the rack and release everything (idempotent).  A temporary state directory is removed,
        unless ``keep_journal`` (default: whether the test failed), then its path is printed."""
        if self.stopped:
            return
        self.stopped = True
        _live.discard(self)
        try:
            self._runner.stop()
        finally:
            keep = self.failed if keep_journal is None else keep_journal
            if self._temporary and not keep:
                shutil.rmtree(self.state_dir, ignore_errors=True)
            elif self._temporary:
                print(f"vrack.testing: kept the journal of rack {self.name} in {self.journal_dir}", file=sys.stderr)

    def __enter__(self) -> RackHandle:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.failed = True
        self.stop()

    def __repr__(self) -> str:
        return f"<RackHandle {self.name} {self.mode} {self.api_url} {'stopped' if self.stopped else 'running'}>"


def _runner(mode: Mode, ready: ReadySpec, spec_file: Path, root: Path, env: dict[str, str] | None) -> Runner:
    if mode == "process":
        from vrack.testing.process import ProcessRunner

        return ProcessRunner(spec_file, root, ready.plan.spec.rack, env)
    if mode == "inprocess":
        from vrack.testing.inprocess import InProcessRunner

        return InProcessRunner(ready.plan, spec_file, root)
    raise ValueError(f"mode must be 'process' or 'inprocess', not {mode!r}")


def start_rack(
    spec: SpecSource,
    mode: Mode = "process",
    ports: Ports = "auto",
    state_dir: str | Path | None = None,
    timeout: float = 120.0,
    *,
    env: dict[str, str] | None = None,
) -> RackHandle:
    """Start a rack for a test and return its handle once every device answers.

    ``spec``: a path, YAML text (a string with a newline) or a dict.  ``mode``: ``"process"`` (a child
    ``vrack up``) or ``"inprocess"`` (a reactor thread in this process).  ``ports``: ``"auto"`` (the
    spec's ports when this process may bind them, else free high ports; see ``handle.moved_ports``) or
    ``"standard"`` (the spec's ports or :class:`PortsUnavailable`).  ``state_dir``: default a temporary
    directory removed at stop (kept when the test failed).  Raises :class:`vrack.spec.SpecError` for a
    bad spec and :class:`RackStartError` with the rack's own reason when it cannot start.
    """
    temporary = state_dir is None
    last: RackStartError | None = None
    for _attempt in range(START_ATTEMPTS):
        ready = prepare(spec, ports)
        name = ready.plan.spec.rack
        root = Path(tempfile.mkdtemp(prefix=f"vrack-{name}-")) if temporary else Path(state_dir or ".")
        root.mkdir(parents=True, exist_ok=True)
        spec_file = root / f"{name}.spec.yaml"
        spec_file.write_text(ready.text, encoding="utf-8")
        runner = _runner(mode, ready, spec_file, root, env)
        try:
            runner.start(timeout)
        except RackStartError as exc:
            if temporary:
                shutil.rmtree(root, ignore_errors=True)
            last = exc
            if ready.moved_ports and "in use" in str(exc):
                continue  # a chosen free port was taken meanwhile: choose again
            raise
        handle = RackHandle(runner, ready, spec_file, root, temporary)
        _live.add(handle)
        return handle
    assert last is not None
    raise last


__all__ = ["PortsUnavailable", "RackHandle", "RackStartError", "start_rack"]
