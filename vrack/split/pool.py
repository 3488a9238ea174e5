"""The coordinator's side of ``vrack up --workers K``: start the workers, wait until they serve, route messages.

:meth:`WorkerPool.start` spawns K :mod:`vrack.split.worker` processes (each in a session of its own, so a
Ctrl-C reaches only the coordinator, which then stops them), each with one end of a Unix socket pair, and
waits blocking until every worker has bound its nodes, summing their progress for the terminal; the
stand-ins take the node states the workers send (in messages of 1,000) as they come.  A worker
that fails to bind (or exits) fails the start with its errors, and the others are stopped.  Then the
channels go to the reactor: journal entries are appended to the rack's journal in the order each worker
sent them (two workers' entries interleave in arrival order; each gets the coordinator's sequence number
and rack time), node states update the :class:`~vrack.split.remote.RemoteNode` stand-ins, and a worker's ``reply`` to a
call (a read of a node's SEL or sensors) fires that call's Deferred.  A worker that
exits while the rack runs is journalled and stops the rack (a rack missing nodes is not the spec's rack).
"""

from __future__ import annotations

import logging
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, DeferredList, fail

from vrack import errors
from vrack.errors import RackError, Unavailable
from vrack.journal import Journal
from vrack.plan import RackPlan
from vrack.split.channel import ChannelClosed, Message, MessageProtocol, encode, read_message
from vrack.split.partition import partition
from vrack.split.remote import RemoteNode

log = logging.getLogger("vrack.split")

START_TIMEOUT = 900.0  # seconds for a worker to build and bind its slice (50,000 nodes on a busy machine)
STOP_TIMEOUT = 10.0
REMOTE_ERRORS: dict[str, type[RackError]] = {
    cls.__name__: cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, RackError)
}  # a node's error in a worker becomes the same error here, so the API answers the same status


class WorkerStartError(Exception):
    """A worker could not serve its nodes; the message lists what each failing worker reported."""


class _Worker:
    def __init__(self, index: int, names: tuple[str, ...], process: subprocess.Popen[bytes], sock: socket.socket):
        self.index = index
        self.names = names
        self.process = process
        self.sock: socket.socket | None = sock
        self.protocol: MessageProtocol | None = None
        self.progress = {"built": 0, "bound": 0}
        self.ready: Message | None = None
        self.early: list[list[Any]] = []  # journal entries sent before ready
        self.stopping = False


class WorkerPool:
    """K worker processes serving ``plan``'s compute nodes; ``nodes`` are their stand-ins, by name."""

    def __init__(
        self,
        plan: RackPlan,
        spec_path: Path,
        count: int,
        reactor: Any,
        journal: Journal,
        *,
        state_path: Path | None = None,
        progress: Callable[[str, int], None] | None = None,
        on_worker_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.plan = plan
        self.spec_path = spec_path
        self.reactor = reactor
        self.journal = journal
        self.state_path = state_path
        self._progress = progress
        self._on_worker_lost = on_worker_lost
        names = [node.name for node in plan.nodes]
        self.slices = partition(names, count)
        self.workers: list[_Worker] = []
        plans = {node.name: node for node in plan.nodes}
        self.nodes: dict[str, RemoteNode] = {}
        for index, slice_names in enumerate(self.slices):
            send, call = self._sender(index), self._caller(index)  # one pair per worker, shared by its nodes
            for name in slice_names:
                self.nodes[name] = RemoteNode(plans[name], index, send, call, plan)
        self._calls: dict[int, tuple[int, Deferred[Any]]] = {}  # call id: (worker, its answer)
        self.listener_stats: dict[int, dict[str, Any]] = {}  # ports.shared: each worker's latest counters
        self._next_call = 1

    def _sender(self, index: int) -> Callable[[Message], None]:
        def send(message: Message) -> None:
            protocol = self.workers[index].protocol if index < len(self.workers) else None
            if protocol is not None:
                protocol.send(message)

        return send

    def _caller(self, index: int) -> Callable[[Message], Deferred[Any]]:
        def call(message: Message) -> Deferred[Any]:
            protocol = self.workers[index].protocol if index < len(self.workers) else None
            if protocol is None:
                return fail(Unavailable(f"worker process {index} is not connected", "name"))
            call_id, self._next_call = self._next_call, self._next_call + 1
            answer: Deferred[Any] = Deferred()
            self._calls[call_id] = (index, answer)
            protocol.send({**message, "id": call_id})
            return answer

        return call

    def _reply(self, message: Message) -> None:
        """A worker's answer to a call: the value, or the error the node raised there (same class and words)."""
        _index, answer = self._calls.pop(int(message["id"]), (0, None))
        if answer is None:
            return
        error = message.get("error")
        if error is None:
            answer.callback(message.get("value"))
            return
        cls = REMOTE_ERRORS.get(str(error.get("type")))
        if cls is None:
            answer.errback(RuntimeError(f"worker: {error.get('error')}"))
        else:
            answer.errback(cls(str(error.get("error")), error.get("parameter"), error.get("valid")))

    # ------------------------------------------------------------------ start

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Spawn every worker and wait until all serve; :class:`WorkerStartError` (all stopped) otherwise."""
        shared = self._shared_sockets()
        for index, names in enumerate(self.slices):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            argv = [
                sys.executable, "-m", "vrack.split.worker", "--spec", str(self.spec_path),
                "--index", str(index), "--count", str(len(self.slices)), "--fd", str(theirs.fileno()),
            ]  # fmt: skip
            if self.state_path is not None:
                argv += ["--state-path", str(self.state_path)]
            mine = shared[index] if shared else {}
            for (kind, port), sock in mine.items():  # this worker's share of each steered port
                argv += ["--shared", f"{kind}:{port}:{sock.fileno()}"]
            process = subprocess.Popen(
                argv,
                pass_fds=[theirs.fileno(), *(sock.fileno() for sock in mine.values())],
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            theirs.close()
            for sock in mine.values():
                sock.close()
            self.workers.append(_Worker(index, names, process, ours))
        try:
            self._wait_ready(timeout)
        except WorkerStartError:
            self.kill()
            raise
        for worker in self.workers:
            self._adopt(worker)

    def _shared_sockets(self) -> list[dict[tuple[str, int], socket.socket]]:
        """``ports.shared``: every worker's socket of each port's steered group (:mod:`vrack.split.steering`)."""
        if not self.plan.spec.ports.shared:
            return []
        from vrack.split.steering import steered_sockets

        try:
            return steered_sockets(self.plan, self.slices)
        except (OSError, ValueError) as exc:
            raise WorkerStartError(f"ports.shared: cannot make the workers' shared sockets: {exc}") from exc

    def listener_sockets(self) -> list[dict[str, Any]]:
        """The workers' shared sockets as they last reported them, each with its ``worker``."""
        return [
            {**sock, "worker": index}
            for index, stats in sorted(self.listener_stats.items())
            for sock in stats.get("sockets", [])
        ]

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        for worker in self.workers:
            assert worker.sock is not None
            selector.register(worker.sock, selectors.EVENT_READ, worker)
        waiting, failures = len(self.workers), []
        try:
            while waiting:
                left = deadline - time.monotonic()
                if left <= 0:
                    slow = [str(w.index) for w in self.workers if w.ready is None]
                    raise WorkerStartError(f"workers {', '.join(slow)} did not bind their nodes within {timeout:.0f} s")
                for key, _ in selector.select(min(left, 1.0)):
                    worker = key.data
                    try:
                        message = read_message(worker.sock)
                    except ChannelClosed as exc:
                        failures.append(f"worker {worker.index} exited before serving ({exc})")
                        selector.unregister(worker.sock)
                        waiting -= 1
                        continue
                    kind = message.get("t")
                    if kind == "progress":
                        worker.progress[str(message["phase"])] = int(message["done"])
                        self._report(str(message["phase"]))
                    elif kind == "states":  # node states before ready, applied as they come (not kept)
                        self._apply_states(message)
                    elif kind == "ready":
                        self._apply_states(message)
                        worker.ready = message
                        worker.progress = {"built": len(worker.names), "bound": len(worker.names)}
                        self._report("bound")
                        selector.unregister(worker.sock)
                        waiting -= 1
                    elif kind == "failed":
                        failures.extend(str(error) for error in message.get("errors", []))
                        selector.unregister(worker.sock)
                        waiting -= 1
                    elif kind == "events":  # entries made while starting: appended once the rack's journal is open
                        worker.early.extend(message["entries"])
        finally:
            selector.close()
        if failures:
            raise WorkerStartError("\n".join(failures))

    def _apply_states(self, message: Message) -> None:
        """The stand-ins take the node states in ``message`` (which then holds none)."""
        for name, state in message.pop("nodes", {}).items():
            node = self.nodes.get(str(name))
            if node is not None:
                node.update(state)

    def _report(self, phase: str) -> None:
        if self._progress is not None:
            self._progress(phase, sum(w.progress[phase] for w in self.workers))

    def _adopt(self, worker: _Worker) -> None:
        from twisted.internet.protocol import Factory

        protocol = MessageProtocol(lambda m: self._message(worker, m), lambda: self._lost(worker))
        worker.protocol = protocol
        assert worker.sock is not None
        factory = Factory.forProtocol(lambda: protocol)
        self.reactor.adoptStreamConnection(worker.sock.fileno(), socket.AF_UNIX, factory)
        worker.sock.close()
        worker.sock = None

    def replay_early_events(self) -> None:
        """Append what workers journalled while they started (once the rack's journal is open)."""
        for worker in self.workers:
            early, worker.early = worker.early, []
            for device, protocol, operation, fields in early:
                self.journal.append_fields(device, protocol, operation, fields or None)

    # ------------------------------------------------------------------ messages

    def _message(self, worker: _Worker, message: Message) -> None:
        kind = message.get("t")
        if kind == "events":
            append = self.journal.append_fields
            for device, protocol, operation, fields in message["entries"]:
                append(device, protocol, operation, fields or None)
        elif kind == "state":
            node = self.nodes.get(str(message["node"]))
            if node is not None:
                node.update(message["state"])
        elif kind == "reply":
            self._reply(message)
        elif kind == "listeners":
            self.listener_stats[worker.index] = message["stats"]
        else:
            log.warning("worker %d sent an unknown message kind %r", worker.index, kind)

    def _lost(self, worker: _Worker) -> None:
        worker.protocol = None
        for call_id, (index, answer) in list(self._calls.items()):
            if index == worker.index:
                del self._calls[call_id]
                answer.errback(Unavailable(f"worker process {index} exited before it answered", "name"))
        if worker.stopping:
            return
        code = worker.process.poll()
        self.journal.append(
            self.plan.spec.rack, "control", "worker-lost", worker=worker.index, nodes=len(worker.names), exit_code=code
        )
        if self._on_worker_lost is not None:
            self._on_worker_lost(f"worker {worker.index} (serving {len(worker.names)} nodes) exited")

    # ------------------------------------------------------------------ stop

    def stop(self) -> Deferred[Any]:
        """Ask every worker to stop (closing its ports); fires when all exited (killed after 10 s)."""
        waits = []
        for worker in self.workers:
            worker.stopping = True
            if worker.protocol is not None:
                worker.protocol.send({"t": "stop"})
            waits.append(self._reaped(worker, time.monotonic() + STOP_TIMEOUT))
        return DeferredList(waits, consumeErrors=True)

    def _reaped(self, worker: _Worker, deadline: float) -> Deferred[None]:
        done: Deferred[None] = Deferred()

        def check() -> None:
            if worker.process.poll() is None:
                if time.monotonic() < deadline:
                    self.reactor.callLater(0.02, check)
                    return
                worker.process.kill()
                worker.process.wait()
            done.callback(None)

        check()
        return done

    def kill(self) -> None:
        """Stop every worker now (a failed start, or the coordinator's last resort)."""
        for worker in self.workers:
            worker.stopping = True
            if worker.process.poll() is None:
                try:
                    if worker.sock is not None:
                        worker.sock.sendall(encode({"t": "stop"}))
                except OSError:
                    pass
                worker.process.kill()
            worker.process.wait()
            if worker.sock is not None:
                worker.sock.close()
                worker.sock = None
