"""The garbage collector while a rack starts (vrack.startup_gc): batched young collections, frozen
survivors, automatic collection restored, and the frozen objects released when the rack stops."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.peers import vrack_spec
from vrack.plan import build_plan
from vrack.spec import load_spec
from vrack.startup_gc import StartupCollector, release_frozen
from vrack.testing.inprocess import InProcessRunner


class Cyclic:
    """An object that refers to itself: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """Each test starts and ends with no frozen objects and the collector on."""
    release_frozen()
    gc.enable()
    yield
    release_frozen()
    gc.enable()


def test_collection_is_off_while_starting_and_restored_after() -> None:
    with StartupCollector(batch=1_000):
        assert not gc.isenabled()
    assert gc.isenabled()

    gc.disable()
    try:
        with StartupCollector():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()


def test_each_batch_frees_its_cycles_and_freezes_what_survives() -> None:
    kept = Cyclic()  # still referenced: survives and is frozen
    with StartupCollector(batch=3) as collector:
        garbage = weakref.ref(Cyclic())  # unreachable at once, but a cycle: refcounting cannot free it
        collector.device_done()
        collector.device_done()
        assert garbage() is not None, "nothing is collected before the batch is full"
        assert gc.get_freeze_count() == 0
        collector.device_done()
        assert garbage() is None
        assert collector.collections == 1
        frozen = gc.get_freeze_count()
        assert frozen > 0
        late = weakref.ref(Cyclic())
    assert late() is None, "leaving the context settles the last, partial batch"
    assert collector.collections == 2
    assert gc.get_freeze_count() >= frozen
    assert kept.me is kept

    release_frozen()
    assert gc.get_freeze_count() == 0


def test_a_batch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        StartupCollector(batch=0)


def test_a_rack_freezes_what_it_built_and_releases_it_when_it_stops(tmp_path: Path) -> None:
    spec_file = tmp_path / "gc.yaml"
    spec_file.write_text(vrack_spec("gcrack", "127.60.91.0/24", 3), encoding="utf-8")
    runner = InProcessRunner(build_plan(load_spec(spec_file)), spec_file, tmp_path / "state")
    runner.start(timeout=60)
    try:
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        rack = weakref.ref(runner.runtime.rack)
    finally:
        runner.stop()
    assert gc.get_freeze_count() == 0
    runner.runtime = None
    gc.collect()
    assert rack() is None, "a stopped rack's objects are collectable again"


def test_overlapping_starts_leave_collection_as_the_first_found_it() -> None:
    """Two racks starting at once (in-process racks on their own threads): the first to finish must not turn
    collection back on under the other, and the last must not leave it off."""
    first, second = StartupCollector(), StartupCollector()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the second start is still building"
    second.__exit__(None, None, None)
    assert gc.isenabled()
