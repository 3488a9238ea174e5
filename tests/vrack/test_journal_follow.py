"""The journal's reads and followers on a fake clock: sequence-indexed, per device, batched, cancellable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twisted.internet.task import Clock

from vrack.clock import RackClock
from vrack.journal import FLUSH_INTERVAL, Journal

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def journal(window: int = 100, path: Path | None = None, **kw: Any) -> tuple[Clock, Journal]:
    clock = Clock()
    return clock, Journal(RackClock(clock, EPOCH), path, window, **kw)


def fill(j: Journal, count: int) -> None:
    for n in range(count):
        j.append(f"node{n % 3}", "ipmi" if n % 2 else "power", f"op{n}")


def test_reads_after_a_sequence_number_across_eviction() -> None:
    _, j = journal(window=10)
    fill(j, 25)
    assert j.first_seq == 16 and j.last_seq == 25
    assert [e["seq"] for e in j.entries()] == list(range(16, 26))
    assert [e["seq"] for e in j.entries(after=20)] == [21, 22, 23, 24, 25]
    assert [e["seq"] for e in j.entries(after=17, limit=2)] == [18, 19]
    assert j.entries(after=25) == [] and j.entries(after=99) == []


def test_device_and_protocol_reads_match_a_scan_of_the_window() -> None:
    """Per-device deques stay in step with the window through evictions, for every after/limit."""
    _, j = journal(window=37)
    fill(j, 200)
    window = j.entries()
    for device in ("node0", "node1", "node2", "nobody"):
        for protocol in (None, "ipmi", "power"):
            for after in (0, 150, 170, 190, 199, 200):
                for limit in (None, 1, 5):
                    expected = [
                        e
                        for e in window
                        if e["seq"] > after and e["device"] == device and protocol in (None, e["protocol"])
                    ][:limit]
                    assert j.entries(after, device, limit, protocol) == expected, (device, protocol, after, limit)


def test_followers_get_only_their_device_and_protocol_once_per_batch() -> None:
    clock, j = journal()
    batches: dict[str, list[list[int]]] = {"all": [], "node1": [], "node1-ipmi": [], "node2": []}

    def record(name: str) -> Any:
        return lambda entries, lines: batches[name].append([e["seq"] for e in entries])

    j.follow(record("all"))
    j.follow(record("node1"), device="node1")
    j.follow(record("node1-ipmi"), device="node1", protocol="ipmi")
    j.follow(record("node2"), device="node2")
    fill(j, 6)  # node0 power, node1 ipmi, node2 power, node0 ipmi, node1 power, node2 ipmi
    assert batches["all"] == []  # nothing before the flush
    clock.advance(FLUSH_INTERVAL)
    assert batches == {"all": [[1, 2, 3, 4, 5, 6]], "node1": [[2, 5]], "node1-ipmi": [[2]], "node2": [[3, 6]]}


def test_lines_handed_to_followers_are_the_file_lines(tmp_path: Path) -> None:
    clock, j = journal(path=tmp_path / "events.jsonl")
    j.open()
    got: list[bytes] = []
    j.follow(lambda entries, lines: got.extend(lines))
    fill(j, 3)
    clock.advance(FLUSH_INTERVAL)
    assert (tmp_path / "events.jsonl").read_bytes() == b"".join(line + b"\n" for line in got) and len(got) == 3


def test_a_line_is_compact_json_that_reads_back_as_the_entry(tmp_path: Path) -> None:
    _clock, j = journal(path=tmp_path / "events.jsonl")
    j.open()
    entry = j.append("node1", "ipmi", "chassis-status", user="ädmin", ratio=0.1, code=None, flag=True)
    j.append("node1", "power", "odd", value=Path("/x"))  # not JSON: written as its text, the batch kept
    j.flush()
    first, second = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert json.loads(first) == entry and b", " not in first and b'": ' not in first
    assert json.loads(second)["value"] == "/x"


def test_a_waiter_fires_once_and_a_cancelled_one_is_gone_at_once() -> None:
    clock, j = journal()
    first = j.wait(device="node1")
    fired: list[list[int]] = []
    first.addCallback(lambda entries: fired.append([e["seq"] for e in entries]))
    gone = j.wait(device="node2")
    gone.addErrback(lambda failure: None)
    assert j.follower_count == 2
    gone.cancel()
    assert j.follower_count == 1
    fill(j, 6)
    clock.advance(FLUSH_INTERVAL)
    assert fired == [[2, 5]] and j.follower_count == 0


def test_closing_ends_followers_and_waiters() -> None:
    _, j = journal()
    ended: list[str] = []
    j.follow(lambda entries, lines: None, on_end=lambda: ended.append("stream"))
    waiter = j.wait()
    results: list[Any] = []
    waiter.addCallback(results.append)
    j.close()
    assert ended == ["stream"] and results == [[]] and j.follower_count == 0


def test_without_file_or_followers_nothing_is_buffered_or_scheduled() -> None:
    clock, j = journal()
    fill(j, 10)
    assert clock.getDelayedCalls() == [] and j.last_seq == 10


def test_listeners_see_each_entry_at_once_and_can_be_removed() -> None:
    _, j = journal()
    seen: list[int] = []
    remove = j.add_listener(lambda entry: seen.append(entry["seq"]))
    fill(j, 2)
    remove()
    fill(j, 2)
    assert seen == [1, 2]
