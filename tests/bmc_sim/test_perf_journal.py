"""The journal's cheaper request path: batched file writes, one encoder, per-second rack-time text (fake clock)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from twisted.internet.task import Clock

from vrack.clock import RackClock
from vrack.journal import FLUSH_INTERVAL, Journal

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class SecondsOnly:
    """A time source without timers."""

    def __init__(self) -> None:
        self.now = 0.0

    def seconds(self) -> float:
        return self.now


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lines_reach_the_file_within_the_flush_interval(tmp_path: Path) -> None:
    """Appends are visible in memory at once and in events.jsonl after FLUSH_INTERVAL of reactor time;
    each line is exactly json.dumps(entry, separators=(",", ":"), ensure_ascii=False) in UTF-8."""
    clock = Clock()
    path = tmp_path / "events.jsonl"
    journal = Journal(RackClock(clock, EPOCH), path)
    journal.open()
    first = journal.append("node01", "ipmi", "chassis.get_status", peer="127.20.77.9:1", user="admin", code=None)
    clock.advance(0.01)
    second = journal.append("node01", "power", "host-power", on=True, cause="ipmi", note="caf\u00e9 \u2603")
    assert journal.last_seq == 2 and journal.entries() == [first, second]
    assert path.read_text(encoding="utf-8") == ""
    clock.advance(FLUSH_INTERVAL)
    text = path.read_text(encoding="utf-8")
    assert text == "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in (first, second))
    assert clock.getDelayedCalls() == []  # nothing scheduled while nothing waits
    third = journal.append("node01", "control", "x")
    journal.close()
    assert _lines(path) == [first, second, third] and clock.getDelayedCalls() == []


def test_a_full_batch_is_written_at_once(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "events.jsonl"
    journal = Journal(RackClock(clock, EPOCH), path, flush_batch=3)
    journal.open()
    for n in range(7):
        journal.append("node01", "ipmi", f"op{n}")
    assert [e["operation"] for e in _lines(path)] == ["op0", "op1", "op2", "op3", "op4", "op5"]
    journal.flush()
    assert len(_lines(path)) == 7 and clock.getDelayedCalls() == []
    journal.close()


def test_without_timers_every_entry_is_written_through(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    journal = Journal(RackClock(SecondsOnly(), EPOCH), path)
    journal.open()
    entry = journal.append("node01", "ipmi", "chassis.get_status")
    assert _lines(path) == [entry]
    journal.close()


def test_a_closed_journal_keeps_entries_in_memory_only(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "events.jsonl"
    journal = Journal(RackClock(clock, EPOCH), path)
    journal.open()
    journal.append("rack", "control", "rack-started")
    journal.close()
    journal.append("rack", "control", "late")
    clock.advance(1.0)
    assert [e["operation"] for e in _lines(path)] == ["rack-started"] and journal.last_seq == 2


def test_entry_time_and_elapsed_come_from_one_clock_reading() -> None:
    source = SecondsOnly()
    source.now = 100.0
    journal = Journal(RackClock(source, EPOCH))
    source.now = 101.2345
    entry = journal.append("node01", "ipmi", "chassis.get_status")
    assert entry["elapsed"] == 1.2345 and entry["time"] == "2026-01-01T00:00:01.234Z"


@pytest.mark.parametrize(
    "epoch",
    [
        EPOCH,
        datetime(2026, 3, 4, 5, 6, 7, 999_999, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0, 0, 123_456),  # naive: no offset
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 3, 29, 0, 59, 59, 500_000, tzinfo=ZoneInfo("Europe/Berlin")),  # daylight saving starts
    ],
)
def test_isoformat_is_the_datetime_text(epoch: datetime) -> None:
    """Per-second caching gives now().isoformat(timespec="milliseconds") with +00:00 as Z, for any elapsed time:
    random, in order, around second and millisecond edges, and before the start."""
    source = SecondsOnly()
    clock = RackClock(source, epoch)
    rng = random.Random(3)
    values = [rng.uniform(-5, 5) for _ in range(2000)] + [rng.uniform(0, 1e7) for _ in range(2000)]
    values += sorted(values) + [i / 1000 for i in range(-1500, 1500)] + [0.0005, 0.9995, 1.9999995, 2.0000005, 7200.5]
    for elapsed in values:
        expected = (epoch + timedelta(seconds=elapsed)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert clock.isoformat(elapsed) == expected, elapsed
        source.now = elapsed
        assert clock.isoformat() == expected == clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_the_file_holds_entries_as_appended_in_order(tmp_path: Path) -> None:
    """Many entries over several batches and timed flushes reach the file complete and in sequence."""
    clock = Clock()
    path = tmp_path / "events.jsonl"
    journal = Journal(RackClock(clock, EPOCH), path, flush_batch=64)
    journal.open()
    appended = []
    for n in range(1000):
        appended.append(journal.append("node01", "ipmi", "chassis.get_status", n=n))
        clock.advance(0.007)
    journal.close()
    assert _lines(path) == appended
