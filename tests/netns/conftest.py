"""Fixtures: rack networks with the test prefix ``vrt-ns-``, removed after the test even if it fails."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vrack.netns import RackNetwork

TEST_PREFIX = "vrt-ns-"
RackFactory = Callable[..., RackNetwork]


@pytest.fixture
def make_rack(tmp_path: Path) -> Iterator[RackFactory]:
    """``make_rack(rack, third_octet, uplink)``: a created RackNetwork with management 10.232.N.0/25 and
    provisioning 10.232.N.128/25; state files under the test's tmp dir."""
    made: list[RackNetwork] = []

    def make(rack: str, octet: int, uplink: str = "host") -> RackNetwork:
        network = RackNetwork(
            rack,
            ipaddress.IPv4Network(f"10.232.{octet}.0/25"),
            ipaddress.IPv4Network(f"10.232.{octet}.128/25"),
            uplink,
            prefix=TEST_PREFIX,
            state_dir=tmp_path / "state",
        )
        network.destroy()  # a leftover of an earlier, killed run
        made.append(network)
        network.create()
        return network

    yield make
    for network in made:
        network.destroy()
