"""bmc_sim.direct_read: a BMC's UDP socket read from the asyncio loop (real sockets on 127.65.3.0/24).

The reader's own behaviour runs on a plain asyncio loop; the take-over of a ``listenUDP`` port runs in a fresh
interpreter with Twisted's asyncio reactor (what ``vrack up`` runs; pytest's reactor cannot be swapped).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bmc_sim import direct_read
from bmc_sim.direct_read import DirectReader, read_directly

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.65.3.1", 0))
    server.setblocking(False)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.65.3.2", 0))
    yield server, client
    server.close()
    client.close()


def _turn(loop: asyncio.AbstractEventLoop) -> None:
    """One loop iteration that polls the selector (the datagrams are queued already)."""
    loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(asyncio.sleep(0))


def test_a_wake_up_drains_the_queued_datagrams_in_order(
    loop: asyncio.AbstractEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    server, client = pair
    got: list[tuple[bytes, Any]] = []
    reader = DirectReader(loop, server, lambda datagram, peer: got.append((datagram, peer)))
    reader.start()
    reader.start()  # once only
    for i in range(5):
        client.sendto(bytes([i]), server.getsockname())
    _turn(loop)
    assert got == [(bytes([i]), client.getsockname()) for i in range(5)]
    reader.stop()
    reader.stop()  # idempotent
    client.sendto(b"late", server.getsockname())
    _turn(loop)
    assert len(got) == 5 and not reader.reading


def test_at_most_a_batch_per_call_and_a_failing_delivery_does_not_stop_the_reading(
    loop: asyncio.AbstractEventLoop, pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, client = pair
    monkeypatch.setattr(direct_read, "READ_BATCH", 4)  # a whole real batch may not fit a socket buffer
    got: list[bytes] = []

    def deliver(datagram: bytes, peer: Any) -> None:
        got.append(datagram)
        if datagram == b"bad":
            raise ValueError("a broken protocol")

    reader = DirectReader(loop, server, deliver)
    client.sendto(b"bad", server.getsockname())
    for _ in range(4 + 1):
        client.sendto(b"ok", server.getsockname())
    reader.read_ready()
    assert got[0] == b"bad" and len(got) == 4
    reader.read_ready()
    assert len(got) == 4 + 2
    reader.read_ready()  # nothing queued: returns on EAGAIN
    assert len(got) == 4 + 2


def test_an_icmp_error_for_an_earlier_reply_is_skipped(
    loop: asyncio.AbstractEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A reply to a closed port queues ECONNREFUSED on a connected socket; the next datagram is still read."""
    server, _ = pair
    gone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gone.bind(("127.65.3.3", 0))
    address = gone.getsockname()
    gone.close()
    server.connect(address)  # only connected UDP sockets report ICMP errors
    server.send(b"reply to nobody")
    got: list[bytes] = []
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(address)
    try:
        DirectReader(loop, server, lambda datagram, peer: got.append(datagram)).read_ready()
        sender.sendto(b"next", server.getsockname())
        DirectReader(loop, server, lambda datagram, peer: got.append(datagram)).read_ready()
    finally:
        sender.close()
    assert got == [b"next"]


def test_anything_but_a_twisted_udp_port_keeps_its_own_reading() -> None:
    class NotAPort:
        socket = None

    assert read_directly(NotAPort(), lambda datagram, peer: None) is None


SERVE = """
from snmp_agent.reactor import install_asyncio_reactor
loop = install_asyncio_reactor()
import socket
from twisted.internet import reactor
from bmc_sim import wire
from bmc_sim.protocol import BmcService
from tests.bmc_sim.ipmi_testkit import make_rig

rig = make_rig()
service = BmcService(rig.endpoint, "127.65.3.10", 0, reactor=reactor)
service.startService()
port = service.listening_port
fd = port.fileno()
assert port not in reactor.getReaders(), "Twisted still reads the port"
assert service.protocol._reader is not None and service.protocol._reader.reading
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.bind(("127.65.3.11", 0))
client.settimeout(10)
ping = wire.encode_asf(wire.AsfMessage(wire.ASF_IANA, wire.ASF_PRESENCE_PING, 7))

def check():
    client.sendto(ping, ("127.65.3.10", service.port))
    reactor.callLater(0, answer)

def answer():
    try:
        assert client.recv(512) == wire.presence_pong(7)
        d = service.stopService()
        d.addCallback(lambda _: reactor.callLater(0, stopped))
    except BaseException as exc:
        print("FAILED", repr(exc))
        reactor.stop()

def stopped():
    assert service.protocol._reader is None
    assert fd not in loop._selector.get_map(), "the loop still watches the closed descriptor"
    print("OK", rig.endpoint.stats.received, rig.endpoint.stats.replies)
    reactor.stop()

reactor.callWhenRunning(check)
reactor.run()
"""


def test_the_asyncio_reactor_port_is_read_directly_and_released_on_stop() -> None:
    """Under Twisted's asyncio reactor a BMC answers through the direct reader and gives the descriptor back."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SERVE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK 1 1", result.stdout + result.stderr
