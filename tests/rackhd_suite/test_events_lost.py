"""GraphEvents when the AMQP connection to a real RabbitMQ is cut mid-wait: the wait goes on through the fallback.

Against a real RackHD the broker closed the suite's idle connection (missed heartbeats during a 5-minute poller
wait) and the next graph wait died with StreamLostError.  Here a TCP relay between the suite and the broker is
cut, which loses the connection the same way.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import pytest

from rackhd_suite.events import GraphEvents
from tests.rackhd_double import broker
from tests.rackhd_double.northbound import StandIn
from tests.rackhd_suite.conftest import ADDRESS


class Relay:
    """Forwards one loopback port to the broker until :meth:`cut` closes every connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server((ADDRESS, 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
                self.sockets += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)

    def cut(self) -> None:
        for s in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class RecordingWaiter:
    how = "the workflow API (recorded)"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def wait(self, graph_id: str, timeout: float) -> str | None:
        self.asked.append(graph_id)
        return "succeeded"

    def close(self) -> None:
        pass


@pytest.fixture
def relay(rabbitmq: broker.Broker) -> Any:
    StandIn(rabbitmq.url).declare_exchange()
    cut = Relay((rabbitmq.address, rabbitmq.port))
    yield cut
    cut.cut()


def test_lost_connection_falls_back_and_says_so(relay: Relay) -> None:
    fallback = RecordingWaiter()
    events = GraphEvents(f"amqp://guest:guest@{ADDRESS}:{relay.port}/", fallback=fallback)
    assert events.wait("graph-1", 0.2) is None  # connected: nothing finished yet
    relay.cut()
    assert events.wait("graph-1", 5.0) == "succeeded"
    assert events.wait("graph-2", 5.0) == "succeeded"
    assert fallback.asked == ["graph-1", "graph-2"]
    assert "connection was lost" in events.how and fallback.how in events.how
    events.close()


def test_lost_connection_without_fallback_is_raised(relay: Relay) -> None:
    import pika.exceptions

    events = GraphEvents(f"amqp://guest:guest@{ADDRESS}:{relay.port}/")
    relay.cut()
    with pytest.raises(pika.exceptions.AMQPError):
        events.wait("graph-1", 5.0)
    events.close()


def test_heartbeats_are_off_unless_the_url_asks(rabbitmq: broker.Broker) -> None:
    quiet = GraphEvents(rabbitmq.url)
    asked = GraphEvents(rabbitmq.url + "?heartbeat=30")
    try:
        assert quiet._connection._impl.params.heartbeat == 0
        assert asked._connection._impl.params.heartbeat == 30
    finally:
        quiet.close()
        asked.close()
