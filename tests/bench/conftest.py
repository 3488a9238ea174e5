"""The benchmarks' servers and peers, started by a smoke test and stopped (every one) after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.peers import Processes
from tests.support.privileges import require_root


@pytest.fixture()
def procs() -> Iterator[Processes]:
    require_root("the benchmark servers bind UDP 623 and 161 on 127.0.0.0/8: run as root")
    owner = Processes()
    try:
        yield owner
    finally:
        owner.stop_all()
        assert not owner.running
