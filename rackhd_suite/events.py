"""RackHD's AMQP bus: wait for ``graph.finished`` events instead of polling the workflow API.

RackHD publishes ``graph.finished.<graphId>`` with ``{"status": ...}`` on the topic exchange
``on.events`` (on-core ``lib/protocol/events.js``; rackhd-facts §4).  :class:`GraphEvents` binds a
private queue to ``graph.finished.#`` *before* the suite starts a graph, so an event that comes
before the wait is not lost; events of other graphs are kept for their own wait.  The routing key's
last parts and the body's ``graphId`` / ``typeId`` are both accepted as the graph id, and a body
wrapped as ``{"value": ...}`` or ``{"data": {"status": ...}}`` is unwrapped.

:class:`PolledGraphs` does the same through ``GET /api/2.0/workflows/:id`` when no AMQP is configured.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from rackhd_suite.client import FINISHED, RackHD, status_of
from rackhd_suite.config import AMQP_URL, redact
from rackhd_suite.waiting import wait_until

EXCHANGE = "on.events"
FINISHED_KEY = "graph.finished.#"


class AmqpUnreachable(RuntimeError):
    """The configured RabbitMQ does not answer, or has no RackHD exchange."""


class GraphWaiter(Protocol):
    how: str

    def wait(self, graph_id: str, timeout: float) -> str | None:
        """The graph's final status, or None when it did not finish within ``timeout`` s."""
        ...

    def close(self) -> None: ...


def parse_finished(routing_key: str, body: bytes) -> tuple[str | None, str | None]:
    """(graph id, status) of a ``graph.finished`` message; (None, None) for anything else."""
    if not routing_key.startswith("graph.finished"):
        return None, None
    try:
        data: Any = json.loads(body or b"{}")
    except ValueError:
        data = {}
    if isinstance(data, dict) and isinstance(data.get("value"), dict):
        data = data["value"]
    data = data if isinstance(data, dict) else {}
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    status = data.get("status") or inner.get("status")
    graph = data.get("graphId") or data.get("typeId") or inner.get("graphId")
    if graph is None:
        parts = routing_key.split(".")[2:]
        graph = next((p for p in parts if len(p) >= 24), parts[-1] if parts else None)
    return (str(graph) if graph else None), (str(status) if status else None)


class GraphEvents:
    """A queue on RackHD's ``on.events`` exchange bound to every ``graph.finished`` event."""

    how = "AMQP graph.finished events"

    def __init__(self, url: str, connect_timeout: float = 10.0, fallback: GraphWaiter | None = None) -> None:
        import pika
        import pika.exceptions

        self._url = url
        self._fallback = fallback
        self._lost: str | None = None
        try:
            params = pika.URLParameters(url)
            params.socket_timeout = connect_timeout
            params.blocked_connection_timeout = connect_timeout
            if "heartbeat" not in url:
                # The suite leaves the connection alone for minutes (a poller wait); with heartbeats on, the
                # broker would close it for missed heartbeats (seen against a real RackHD's RabbitMQ).
                params.heartbeat = 0
            self._connection = pika.BlockingConnection(params)
        except pika.exceptions.AMQPError as exc:
            raise AmqpUnreachable(f"AMQP is not reachable at {redact(url)} ({AMQP_URL}): {exc!r}") from None
        except OSError as exc:
            raise AmqpUnreachable(f"AMQP is not reachable at {redact(url)} ({AMQP_URL}): {exc}") from None
        self._channel = self._connection.channel()
        try:
            self._channel.exchange_declare(EXCHANGE, passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            self._connection.close()
            raise AmqpUnreachable(
                f"the RabbitMQ at {redact(url)} has no exchange {EXCHANGE!r}: is RackHD connected to it?"
            ) from None
        self._queue = self._channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self._channel.queue_bind(self._queue, EXCHANGE, routing_key=FINISHED_KEY)
        self._finished: dict[str, str] = {}
        self._channel.basic_consume(self._queue, self._on_message, auto_ack=True)

    def _on_message(self, _channel: Any, method: Any, _props: Any, body: bytes) -> None:
        graph, status = parse_finished(method.routing_key, body)
        if graph and status:
            self._finished[graph] = status

    def wait(self, graph_id: str, timeout: float) -> str | None:
        """The graph's status from its ``graph.finished`` event.  When the AMQP connection is lost, this and
        every later wait go to ``fallback`` (the workflow API: an event may have been missed) and
        :attr:`how` says so; without a fallback the loss is raised."""
        import pika.exceptions

        deadline = time.monotonic() + timeout
        if self._lost is None:
            try:
                while graph_id not in self._finished:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._connection.process_data_events(time_limit=min(remaining, 1.0))
                return self._finished[graph_id]
            except pika.exceptions.AMQPError as exc:
                if self._fallback is None:
                    raise
                self._lost = repr(exc)
                self.how = f"AMQP until the connection was lost ({self._lost}), then {self._fallback.how}"
        if graph_id in self._finished:
            return self._finished[graph_id]
        assert self._fallback is not None
        return self._fallback.wait(graph_id, max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken connection must not hide the test's own result
            self._connection.close()


class PolledGraphs:
    """Waits through the workflow API (when no AMQP is configured)."""

    how = "polling GET /api/2.0/workflows/:id (no AMQP configured)"

    def __init__(self, rackhd: RackHD, pause: Callable[[float], None] = time.sleep) -> None:
        self._rackhd = rackhd
        self._pause = pause

    def wait(self, graph_id: str, timeout: float) -> str | None:
        def finished() -> str | None:
            status = status_of(self._rackhd.workflow(graph_id))
            return status if status in FINISHED else None

        try:
            return wait_until(finished, timeout, f"graph {graph_id}", pause=self._pause)
        except AssertionError:
            return None

    def close(self) -> None:
        pass
