"""Fixtures for running the RackHD suite end to end against the stand-in (tests/rackhd_double/northbound.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rackhd_double import broker
from tests.rackhd_double.northbound import StandIn, serve

ADDRESS = "127.71.0.1"  # this area's loopback range: 127.71.0.0/16
AMQP_PORT = 25672


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[broker.Broker]:
    """A real RabbitMQ (Debian's rabbitmq-server, installed by scripts/test) on 127.71.0.1."""
    if not broker.available():
        pytest.fail("rabbitmq-server is not installed (scripts/test installs the Debian package)")
    started = broker.Broker(tmp_path_factory.mktemp("rabbitmq"), ADDRESS, AMQP_PORT).start()
    yield started
    started.stop()


@pytest.fixture
def standin(rabbitmq: broker.Broker) -> Iterator[tuple[StandIn, str]]:
    """The stand-in RackHD northbound API on 127.71.0.1 (a free port), publishing on the RabbitMQ."""
    api = StandIn(rabbitmq.url)
    api.declare_exchange()
    server = serve(api, ADDRESS)
    yield api, f"http://{ADDRESS}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def need_root() -> None:
    """RackHD (and so the stand-in) never passes an IPMI port: the rack's BMCs must be on UDP 623."""
    if os.geteuid() != 0:
        pytest.skip("BMCs on UDP 623 need root (CI runs as root)")


SPECS = Path(__file__).resolve().parents[2] / "rack_specs"
