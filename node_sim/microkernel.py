"""RackHD's discovery microkernel, simulated: bootstrap.js's task loop against the southbound API.

As on RackHD's microkernels: first the OS images the booted kernel downloads
before anything of RackHD's runs (the Ubuntu initrd's ``BASEFS``/``OVERLAYFS``,
given to :meth:`Microkernel.start`; the RancherOS cloud-config's ``wget`` of the
discovery container, read from the cloud-config the kernel was pointed at).  An
image that does not download (not 200, or no answer) leaves the node ``stuck`` as
a real one is (the initramfs cannot mount its root; rc.local retries ``docker
load`` for ever): it never asks RackHD for a task until it is powered off.  Then
``GET /api/current/tasks/bootstrap.js?macAddress=<mac>`` and take the node id,
server and port from the rendered script.  Then loop:
``GET /api/current/tasks/<id>``; a network error, a non-JSON body or one
without a task list means "no tasks", wait ``poll_interval`` (5 s) on the
clock and ask again.  For each task in order: download ``downloadUrl`` (saved
under its base name), run ``cmd`` through :func:`node_sim.catalog.run_command`,
record ``stdout``/``stderr``/``error`` exactly as bootstrap.js does (a failing
command without download keeps only ``error``), and stop the batch at an error
whose code is not in ``acceptedResponseCodes``.  ``POST`` the same object back
(retrying network errors after ``min(5 s x attempt, 60 s)``); if it carried
``exit``, end with ``exit.code || exit || 0``, else wait and ask again.

Exit codes as the container's entry script treats them: 1 reboot, 2 power
cycle through the BMC (run here in band: ``ipmitool -I open chassis power
cycle``), 127 stay up, anything else reboot.  ``on_exit(code)`` tells the rack;
:func:`exit_action` names what it should do.  A bootstrap.js that cannot be
fetched ends like the real pipeline: 404 or junk -> node exits 1; no answer
-> exits 0.  Every step is reported to ``observer`` as a
:class:`MicrokernelEvent` (no credentials: commands, codes and sizes only).
"""

from __future__ import annotations

import enum
import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urljoin, urlparse

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from node_sim.catalog import NodeContext, run_command
from node_sim.microkernel_http import Fetcher

POLL_INTERVAL = 5.0
MAX_RETRY_INTERVAL = 60.0
_TASKS_PATH = re.compile(r"/api/(?:current|common|2\.0|1\.1)/tasks/([A-Za-z0-9._~-]+)")
_SERVER = re.compile(r"""\bserver\s*=\s*['"]([^'"]+)['"]""")
_PORT = re.compile(r"""\bport\s*=\s*['"]?(\d+)""")
_ENV_SERVER = re.compile(r"-e\s+SERVER=([^\s'\"]+)")
_ENV_PORT = re.compile(r"-e\s+PORT=(\d+)")
_WGET_URL = re.compile(r"^\s*wget\b.*?(https?://\S+)", re.MULTILINE)


class DelayedCall(Protocol):
    def active(self) -> bool: ...

    def cancel(self) -> None: ...


class Clock(Protocol):
    """The part of ``IReactorTime`` the runner uses (the reactor, or ``task.Clock`` in tests)."""

    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> DelayedCall: ...


class ExitAction(enum.Enum):
    REBOOT = "reboot"
    POWER_CYCLE = "power-cycle"
    STAY_UP = "stay-up"


def exit_action(code: int) -> ExitAction:
    """What the microkernel container does after the task runner exits with ``code``."""
    if code == 2:
        return ExitAction.POWER_CYCLE
    if code == 127:
        return ExitAction.STAY_UP
    return ExitAction.REBOOT


def exit_code(exit_field: Any) -> int:
    """bootstrap.js's ``process.exit(data.exit.code || data.exit || 0)`` (``null`` crashes node: 1)."""
    if exit_field is None:
        return 1
    if isinstance(exit_field, dict):
        code = exit_field.get("code")
        if code:
            return int(code) if isinstance(code, int | float) else 1
        return 1 if exit_field else 0
    if isinstance(exit_field, bool):
        return 1 if exit_field else 0
    if isinstance(exit_field, int | float):
        return int(exit_field)
    return 1 if exit_field else 0


@dataclass(frozen=True)
class MicrokernelEvent:
    """One step of the task runner, for the rack's journal."""

    time: float
    node: str
    kind: str  # image | stuck | cloud-config | bootstrap | no-tasks | download | task | posted | post-retry | exit
    # | power-cycle | stopped
    node_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


Observer = Callable[[MicrokernelEvent], None]


class Microkernel:
    """One node's task runner; see the module docstring.

    ``server`` is the southbound base URL (``http://172.31.128.1:9030``).
    :meth:`start` returns a Deferred that fires with the exit code when the
    runner ends (or with None after :meth:`stop`).
    """

    def __init__(
        self,
        node: NodeContext,
        fetcher: Fetcher,
        clock: Clock,
        *,
        server: str,
        mac: str,
        on_exit: Callable[[int], None] = lambda code: None,
        observer: Observer | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.node = node
        self.fetcher = fetcher
        self.clock = clock
        self.base = server.rstrip("/")
        self.mac = mac.lower()
        self.on_exit = on_exit
        self.observer = observer
        self.poll_interval = poll_interval
        self.node_id: str | None = None
        self.state = "idle"
        self.exit_code: int | None = None
        self.tasks_run = 0
        self._timer: DelayedCall | None = None
        self._done: Deferred[int | None] = Deferred()

    # -- public -----------------------------------------------------------
    def start(self, cloud_config_url: str | None = None, images: Sequence[str] = ()) -> Deferred[int | None]:
        """Begin: the OS ``images`` in order, the cloud-config (if given) and its images, bootstrap.js, then
        the task loop."""
        if self.state != "idle":
            raise RuntimeError(f"microkernel already {self.state}")
        self.state = "bootstrapping"
        if cloud_config_url:
            query = parse_qs(urlparse(cloud_config_url).query)
            self.node_id = query["nodeId"][0] if query.get("nodeId") else None

            def cloud_config() -> None:
                self._fetch(self.fetcher.get(cloud_config_url), self._cloud_config, self._bootstrap_unreachable)

            self._images(list(images), cloud_config)
        else:
            self._images(list(images), self._bootstrap)
        return self._done

    def stop(self) -> None:
        """Stop at once (power lost): cancel the pending wait, ignore replies still in flight."""
        if self.state in ("exited", "stopped"):
            return
        self.state = "stopped"
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self._emit("stopped")
        self._done.callback(None)

    @property
    def tasks_url(self) -> str:
        return f"{self.base}/api/current/tasks/{self.node_id}"

    # -- plumbing ---------------------------------------------------------
    def _emit(self, kind: str, **detail: Any) -> None:
        if self.observer is not None:
            self.observer(MicrokernelEvent(self.clock.seconds(), self.node.identity.name, kind, self.node_id, detail))

    def _active(self) -> bool:
        return self.state not in ("exited", "stopped", "stuck")

    def _fetch(
        self,
        d: Deferred[tuple[int, bytes]],
        ok: Callable[[tuple[int, bytes]], None],
        fail: Callable[[Failure], None],
    ) -> None:
        def on_ok(reply: tuple[int, bytes]) -> None:
            if self._active():
                ok(reply)

        def on_fail(failure: Failure) -> None:
            if self._active():
                fail(failure)

        d.addCallbacks(on_ok, on_fail)

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        if self._active():
            self._timer = self.clock.callLater(delay, fn)

    # -- OS images ---------------------------------------------------------
    def _images(self, urls: list[str], then: Callable[[], None]) -> None:
        """Download ``urls`` one after another, then ``then()``; the first that fails leaves the node stuck."""
        if not urls:
            then()
            return
        url, rest = urls[0], urls[1:]

        def got(reply: tuple[int, bytes]) -> None:
            status, body = reply
            if status != 200:
                self._stuck(url, status, f"HTTP {status}")
                return
            self._emit("image", url=url, status=status, size=len(body))
            self._images(rest, then)

        def failed(failure: Failure) -> None:
            self._stuck(url, None, failure.getErrorMessage())

        self._fetch(self.fetcher.get(url), got, failed)

    def _stuck(self, url: str, status: int | None, error: str) -> None:
        self._emit("image", url=url, status=status, error=error)
        self.state = "stuck"
        self._emit("stuck", reason=f"could not download {url}: {error}")

    # -- bootstrap --------------------------------------------------------
    def _cloud_config(self, reply: tuple[int, bytes]) -> None:
        status, body = reply
        text = body.decode("utf-8", "replace")
        server, port = _ENV_SERVER.search(text), _ENV_PORT.search(text)
        if status == 200 and server and port:
            self.base = f"http://{server.group(1)}:{port.group(1)}"
        self._emit("cloud-config", status=status)
        images = _WGET_URL.findall(text) if status == 200 else []
        self._images(images, self._bootstrap)

    def _bootstrap(self) -> None:
        url = f"{self.base}/api/current/tasks/bootstrap.js?macAddress={self.mac}"
        self._fetch(self.fetcher.get(url), self._bootstrapped, self._bootstrap_unreachable)

    def _bootstrap_unreachable(self, failure: Failure) -> None:
        self._emit("bootstrap", status=None, error=failure.getErrorMessage())
        self._exit(0)  # curl printed nothing; node ran an empty script

    def _bootstrapped(self, reply: tuple[int, bytes]) -> None:
        status, body = reply
        text = body.decode("utf-8", "replace")
        found = _TASKS_PATH.search(text)
        if status != 200 or found is None:
            self._emit("bootstrap", status=status, error="not a task runner script")
            self._exit(1)  # node fails to parse the 404 page: SyntaxError, exit 1
            return
        self.node_id = found.group(1)
        server, port = _SERVER.search(text), _PORT.search(text)
        if server and port:
            self.base = f"http://{server.group(1)}:{port.group(1)}"
        self._emit("bootstrap", status=status, server=self.base)
        self.state = "polling"
        self._poll()

    # -- task loop --------------------------------------------------------
    def _poll(self) -> None:
        self._timer = None
        self.state = "polling"
        self._fetch(self.fetcher.get(self.tasks_url), self._got_tasks, self._no_tasks_error)

    def _no_tasks_error(self, failure: Failure) -> None:
        self._emit("no-tasks", error=failure.getErrorMessage())
        self._later(self.poll_interval, self._poll)

    def _got_tasks(self, reply: tuple[int, bytes]) -> None:
        status, body = reply
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
            self._emit("no-tasks", status=status)
            self._later(self.poll_interval, self._poll)
            return
        self.state = "running"
        self._run_task(data, 0)

    def _run_task(self, data: dict[str, Any], index: int) -> None:
        tasks: list[Any] = data["tasks"]
        if index >= len(tasks):
            self._post(data, 0)
            return
        task = tasks[index]
        if not isinstance(task, dict):
            self._post(data, 0)
            return
        url = task.get("downloadUrl")
        if url:
            full = urljoin(self.base + "/", str(url))
            name = posixpath.basename(urlparse(full).path)

            def saved(reply: tuple[int, bytes]) -> None:
                self.node.files[name] = reply[1]
                self._emit("download", url=full, status=reply[0], size=len(reply[1]), file=name)
                self._execute(data, index, downloaded=True)

            def failed(failure: Failure) -> None:
                task["error"] = f"Error: {failure.getErrorMessage()}"
                self._emit("download", url=full, status=None, error=failure.getErrorMessage())
                self._post(data, 0)

            self._fetch(self.fetcher.get(full), saved, failed)
        else:
            self._execute(data, index, downloaded=False)

    def _execute(self, data: dict[str, Any], index: int, downloaded: bool) -> None:
        task = data["tasks"][index]
        cmd = str(task.get("cmd", ""))
        result = run_command(cmd, self.node)
        self.tasks_run += 1
        error = None
        if result.exit_code != 0:
            error = {"killed": False, "code": result.exit_code, "signal": None, "cmd": cmd}
        if downloaded or error is None:
            task["stdout"] = result.stdout
            task["stderr"] = result.stderr
        task["error"] = error
        accepted = task.get("acceptedResponseCodes")
        valid = isinstance(accepted, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in accepted)
        ok = error is None or (valid and result.exit_code in accepted)
        self._emit("task", cmd=cmd, exit_code=result.exit_code, accepted=ok, stdout_bytes=len(result.stdout))
        if ok:
            self._run_task(data, index + 1)
        else:
            self._post(data, 0)

    def _post(self, data: dict[str, Any], attempt: int) -> None:
        body = (json.dumps(data) + "\n").encode()

        def posted(reply: tuple[int, bytes]) -> None:
            self._emit("posted", status=reply[0], tasks=len(data["tasks"]))
            if "exit" in data:
                self._exit(exit_code(data["exit"]))
            else:
                self.state = "polling"
                self._later(self.poll_interval, self._poll)

        def retry(failure: Failure) -> None:
            delay = min(self.poll_interval * (attempt + 1), MAX_RETRY_INTERVAL)
            self._emit("post-retry", attempt=attempt + 1, delay=delay, error=failure.getErrorMessage())
            self._later(delay, lambda: self._post(data, attempt + 1))

        self._fetch(self.fetcher.post(self.tasks_url, body), posted, retry)

    # -- exit -------------------------------------------------------------
    def _exit(self, code: int) -> None:
        action = exit_action(code)
        self.exit_code = code
        self.state = "exited"
        self._emit("exit", code=code, action=action.value)
        if action is ExitAction.POWER_CYCLE:
            result = run_command("ipmitool -I open chassis power cycle", self.node)
            self._emit("power-cycle", exit_code=result.exit_code)
        self.on_exit(code)
        self._done.callback(code)
