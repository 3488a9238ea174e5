"""A worker process: serves a slice of a rack's compute nodes for the coordinator (``vrack up --workers``).

    python -m vrack.split.worker --spec SPEC --index K --count N --fd FD [--state-path DIR]

Plans its slice of the nodes from the spec (plans are deterministic: the same addresses, serials and keys
as in one process), finds the rack's network namespace in netns mode (the coordinator made it, with every
BMC's link and every simulated NIC's veth), builds only the nodes of slice ``K`` of ``N``
(:func:`vrack.split.partition`) with their BMCs, Redfish services and simulated hosts, binds them (inside
the namespace in netns mode) and reports each node's state (``states`` messages of 1,000 nodes, the last
ones with ``ready``) over the socket ``FD`` (see :mod:`vrack.split.channel`).  From then on it forwards
every journal entry its nodes make (batched: at most 20 ms or 256 entries), applies AC power, chassis
control, faults and neighbours from the coordinator, answers its calls, and sends a node's state after each
change (its full ``describe()`` after a host power change).  It stops on ``stop`` or when the
coordinator's end closes (the coordinator exited), and ignores SIGINT (Ctrl-C reaches the coordinator, which
stops the workers).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vrack.clock import RackClock
from vrack.journal import Entry, Journal
from vrack.shared_listeners import SharedListeners
from vrack.split.channel import Message, MessageProtocol, encode

log = logging.getLogger("vrack.split.worker")

BATCH_INTERVAL = 0.02
LISTENER_REPORT_INTERVAL = 1.0  # seconds between reports of the shared sockets' counters (when they change)
BATCH_SIZE = 256
PROGRESS_EVERY = 500
READY_CHUNK = 1000  # node states per message before ready (the last ones go with ready)
COMMANDS = frozenset(
    {
        "set_bmc_fault",
        "reset_bmc",
        "force_sensor",
        "log_power_supply_failure",
        "set_link_latency",
        "set_link_loss",
        "set_disk_failing",
    }
)  # fault and record commands a worker's node takes from the coordinator (RemoteNode)
QUERIES = frozenset({"sel_entries", "sensor_readings", "add_sel_event", "control_power", "describe"})  # ... answered


class Worker:
    """The nodes of one slice on ``reactor``, talking to the coordinator over ``sock``."""

    def __init__(self, args: argparse.Namespace, sock: socket.socket, reactor: Any) -> None:
        from vrack.devices import RackContext
        from vrack.hostnet import attach_network
        from vrack.plan import build_plan
        from vrack.spec import load_spec
        from vrack.split.partition import node_names, partition, worker_plan

        self.reactor = reactor
        self._sock = sock
        self._protocol: MessageProtocol | None = None
        spec = load_spec(args.spec)
        names = partition(node_names(spec), args.count)[args.index]
        # only this slice's node plans (the rest of a 100,000-node plan is seconds of identities), except in
        # netns mode, where the links are numbered over the whole plan (vrack.hostnet.attach_network)
        plan = build_plan(spec, only=None if spec.mode == "netns" else frozenset(names))
        self.plan = worker_plan(plan, names)
        clock = RackClock(reactor, plan.spec.epoch)
        self._pending: list[list[Any]] = []
        self.journal = _ForwardingJournal(clock, self._entry)
        self._flush_call: Any = None
        state_path = Path(args.state_path) if args.state_path else None
        self.network = attach_network(plan)  # netns mode: the coordinator made it; bind inside it
        listeners = None
        if plan.spec.ports.shared:  # the coordinator's steered sockets (vrack.split.steering), one per port
            adopted = {}
            for item in args.shared:
                kind, port, fd = item.split(":")
                adopted[(kind, int(port))] = socket.socket(fileno=int(fd))
            listeners = SharedListeners(reactor, adopted)
        self.listeners = listeners
        self.context = RackContext(reactor, self.journal, clock, self.network, state_path, listeners)
        self.devices: dict[str, Any] = {}

    # ------------------------------------------------------------------ start-up (blocking)

    def start(self) -> bool:
        """Build and bind the slice, reporting progress; send ``ready`` or ``failed``.  True if ready."""
        from vrack.devices.base import start_devices
        from vrack.devices.compute import build_compute_devices
        from vrack.fdlimit import FdLimitTooLow, ensure_fd_limit, fds_needed
        from vrack.startup_gc import StartupCollector

        try:
            ensure_fd_limit(fds_needed(self.plan))
        except FdLimitTooLow as exc:
            self._send_now({"t": "failed", "errors": [str(exc)]})
            return False
        with StartupCollector() as collector:  # the collector's passes would grow with the slice
            for built, device in enumerate(build_compute_devices(self.plan, self.context), start=1):
                self.devices[device.device_name] = device
                collector.device_done()
                if built % PROGRESS_EVERY == 0:
                    self._send_now({"t": "progress", "phase": "built", "done": built})

            def bound(done: int) -> None:
                collector.device_done()
                if done % PROGRESS_EVERY == 0:
                    self._send_now({"t": "progress", "phase": "bound", "done": done})

            started, failures = start_devices(self.devices.values(), self.network, bound)
        if failures:
            for device in reversed(started):
                device.stopService()
            self._send_now({"t": "failed", "errors": failures})
            return False
        for name, device in self.devices.items():
            device.add_host_power_listener(self._host_power_listener(name))
        nodes: Message = {}
        for name, device in self.devices.items():  # in messages of READY_CHUNK nodes: no 100 MB peak either side
            nodes[name] = {**self.state(name), "credentials": device.credentials()}
            if len(nodes) == READY_CHUNK:
                self._send_now({"t": "states", "nodes": nodes})
                nodes = {}
        self._send_now({"t": "ready", "nodes": nodes})
        return True

    def _send_now(self, message: Message) -> None:
        self._sock.sendall(encode(message))

    def serve(self) -> None:
        """Hand the channel to the reactor (after ``ready``): commands in, events and states out."""
        from twisted.internet.protocol import Factory

        protocol = self._protocol = MessageProtocol(self._command, self._coordinator_gone)
        factory = Factory.forProtocol(lambda: protocol)
        self.reactor.adoptStreamConnection(self._sock.fileno(), socket.AF_UNIX, factory)
        self._sock.close()  # the reactor holds its own copy of the descriptor
        self._flush()
        if self.listeners is not None:  # what the shared sockets dropped, for the coordinator's GET /rack
            self._report_listeners()

    def _report_listeners(self, last: Any = None) -> None:
        """Send the shared sockets' counters when they changed; again in a second."""
        assert self.listeners is not None
        stats = self.listeners.stats()
        if stats != last:
            self._send({"t": "listeners", "stats": stats})
        self.reactor.callLater(LISTENER_REPORT_INTERVAL, self._report_listeners, stats)

    # ------------------------------------------------------------------ worker to coordinator

    def state(self, name: str, cause: str = "", *, full: bool = False) -> Message:
        """The node's state message (:func:`node_state`)."""
        return node_state(self.devices[name], cause, full=full)

    def _send(self, message: Message) -> None:
        if self._protocol is not None:
            self._protocol.send(message)

    def _send_state(self, name: str, cause: str = "", *, full: bool = False) -> None:
        self._flush()  # the node's journal entries go before its new state
        self._send({"t": "state", "node": name, "state": self.state(name, cause, full=full)})

    def _host_power_listener(self, name: str) -> Any:
        return lambda on, cause: self._send_state(name, cause, full=True)

    def _entry(self, device: str, protocol: str, operation: str, fields: dict[str, Any] | None) -> None:
        self._pending.append([device, protocol, operation, fields])
        if len(self._pending) >= BATCH_SIZE:
            self._flush()
        elif self._flush_call is None:
            self._flush_call = self.reactor.callLater(BATCH_INTERVAL, self._flush)

    def _flush(self) -> None:
        call, self._flush_call = self._flush_call, None
        if call is not None and call.active():
            call.cancel()
        if self._pending and self._protocol is not None:
            batch, self._pending = self._pending, []
            self._protocol.send({"t": "events", "entries": batch})

    # ------------------------------------------------------------------ coordinator to worker

    def _command(self, message: Message) -> None:

        kind = message.get("t")
        if kind == "stop":
            self.stop()
            return
        name = str(message.get("node"))
        device = self.devices.get(name)
        if device is None:
            log.warning("worker: a %r message for %r, a node it does not serve", kind, name)
            return
        if kind == "op":
            self._operation(name, device, message)
            return
        if kind == "call":
            self._answer(name, device, message)
            return
        if kind == "neighbors":
            heard = self.neighbors_of(message["heard"])
            device.set_neighbor_source(lambda: heard)
            return
        if kind == "ac":
            device.set_ac(bool(message["on"]), str(message["cause"]))
        else:
            log.warning("worker: unknown message kind %r", kind)
            return
        self._send_state(name, str(message.get("cause", "")))

    @staticmethod
    def neighbors_of(heard: list[Any]) -> tuple[Any, ...]:
        """The ``HeardNeighbor``s of a ``neighbors`` message (``[[nic, LinkEnd fields], ...]``)."""
        from vrack.roles import HeardNeighbor, LinkEnd

        return tuple(HeardNeighbor(int(nic), LinkEnd(**end)) for nic, end in heard)

    def _operation(self, name: str, device: Any, message: Message) -> None:
        """A fault or record command the coordinator checked; journalled as ``control op-failed`` if the node
        still refuses it (e.g. a sensor's thresholds changed over IPMI since)."""
        from vrack.errors import RackError
        from vrack.split.remote import rng_from_state

        op, args = str(message["op"]), list(message["args"])
        if op not in COMMANDS:
            log.warning("worker: unknown operation %r", op)
            return
        if op in ("set_link_latency", "set_link_loss"):
            args[-2] = rng_from_state(args[-2])
        try:
            getattr(device, op)(*args)
        except RackError as exc:
            self.journal.append(name, "control", "op-failed", op=op, error=exc.message)
        self._send_state(name, str(args[-1]), full=True)

    def _answer(self, name: str, device: Any, message: Message) -> None:
        """Answer a read, a SEL event (whose record id only this process knows) or a chassis control (whose
        refusal only the node's BMC knows) with ``reply``; the node's journal entries, and after a chassis
        control its state, go before it."""
        from vrack.errors import RackError

        op, reply = str(message["op"]), {"t": "reply", "id": message["id"]}
        try:
            if op not in QUERIES:
                raise ValueError(f"unknown call {op!r}")
            reply["value"] = getattr(device, op)(*message["args"])
        except RackError as exc:
            reply["error"] = {"type": type(exc).__name__, **exc.as_dict()}
        except Exception as exc:  # the coordinator answers 500 and logs it
            log.exception("worker: %s of %s failed", op, name)
            reply["error"] = {"type": "internal", "error": str(exc)}
        if op == "control_power":
            self._send_state(name, str(message["args"][-1]))
        self._flush()
        self._send(reply)

    def _coordinator_gone(self) -> None:
        if self.reactor.running:
            self.stop()

    def stop(self) -> None:
        """Stop every node (closing its ports), then the reactor."""
        from twisted.internet.defer import DeferredList, maybeDeferred

        self._flush()
        stops = [maybeDeferred(device.stopService) for device in reversed(list(self.devices.values()))]
        done = DeferredList(stops, consumeErrors=True)
        done.addBoth(lambda _: self.reactor.stop() if self.reactor.running else None)


class _ForwardingJournal(Journal):
    """The journal the worker's devices write to: each entry goes to ``forward`` as it is made (no sequence
    number, time or window here: the coordinator's journal gives those)."""

    def __init__(self, clock: RackClock, forward: Callable[[str, str, str, dict[str, Any] | None], None]) -> None:
        super().__init__(clock, None, 1)
        self._forward = forward

    def append_fields(self, device: str, protocol: str, operation: str, fields: dict[str, Any] | None) -> Entry:
        self._forward(device, protocol, operation, fields)
        return {"device": device, "protocol": protocol, "operation": operation, **(fields or {})}


def node_state(device: Any, cause: str = "", *, full: bool = False) -> Message:
    """A node's power state and whether its BMC answers; ``full`` adds ``describe()`` and credentials (sent
    when the host's power changes and with ``ready``'s credentials: describing 8,000 nodes after every AC
    change of a rack start would cost seconds)."""
    state: Message = {
        "ac": device.bmc.ac_powered,
        "host": device.host_powered,
        "draw": device.power_draw(),
        "responsive": device.answers_on_the_wire(),
        "cause": cause,
    }
    if full:
        state["describe"] = device.describe()
        state["credentials"] = device.credentials()
    return state


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="serve a slice of a rack's compute nodes (vrack up --workers)")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--index", type=int, required=True, help="this worker's slice, from 0")
    parser.add_argument("--count", type=int, required=True, help="how many workers share the nodes")
    parser.add_argument("--fd", type=int, required=True, help="the channel to the coordinator")
    parser.add_argument("--state-path", help="the rack's state directory (Redfish CA file)")
    parser.add_argument(
        "--shared", action="append", default=[], help="KIND:PORT:FD: this worker's socket of a steered shared port"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    from vrack import logsetup
    from vrack.heap import keep_heap_top
    from vrack.runner import install_reactor

    logsetup.configure(logsetup.level_from(None))
    keep_heap_top()  # as the coordinator does (vrack.heap)
    reactor = install_reactor()
    status = [0]

    def start() -> None:
        try:
            worker = Worker(args, sock, reactor)
            ready = worker.start()
        except Exception as exc:  # the coordinator shows this to the user
            log.debug("worker %d failed to start", args.index, exc_info=True)
            with contextlib.suppress(OSError):
                sock.sendall(encode({"t": "failed", "errors": [f"worker {args.index}: {exc}"]}))
            ready = False
        if not ready:
            status[0] = 1
            reactor.stop()
            return
        worker.serve()

    reactor.callWhenRunning(start)
    reactor.run()
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
