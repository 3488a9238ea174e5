"""The long poll and the Server-Sent Events stream in memory (fake clock, Twisted's test requests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.web.test.requesthelper import DummyRequest

from vrack.clock import RackClock
from vrack.events_api import KEEPALIVE, STREAMING, event_stream, long_poll
from vrack.journal import FLUSH_INTERVAL, Journal


def setup() -> tuple[Clock, Journal]:
    clock = Clock()
    return clock, Journal(RackClock(clock, datetime(2026, 1, 1, tzinfo=UTC)), run_id="r1")


def frames(request: DummyRequest) -> list[dict[str, str]]:
    text = b"".join(request.written).decode()
    out = []
    for block in text.split("\n\n"):
        if not block:
            continue
        frame: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            frame[key] = value
        out.append(frame)
    return out


def test_long_poll_answers_at_the_first_matching_batch() -> None:
    clock, journal = setup()
    journal.append("node1", "ipmi", "old")
    request = DummyRequest([b""])
    result = long_poll(journal, request, clock, 1, "node2", None, 100, 30)
    assert isinstance(result, Deferred)
    answers: list[dict[str, Any]] = []
    result.addCallback(answers.append)
    journal.append("node1", "ipmi", "other device")
    clock.advance(FLUSH_INTERVAL)
    assert answers == [] and journal.follower_count == 1
    journal.append("node2", "ipmi", "mine")
    clock.advance(FLUSH_INTERVAL)
    assert [e["operation"] for e in answers[0]["events"]] == ["mine"] and answers[0]["run"] == "r1"
    assert journal.follower_count == 0 and clock.getDelayedCalls() == []


def test_long_poll_of_a_client_that_went_away_costs_nothing_at_once() -> None:
    clock, journal = setup()
    request = DummyRequest([b""])
    long_poll(journal, request, clock, 0, None, None, 100, 30)
    assert journal.follower_count == 1 and len(clock.getDelayedCalls()) == 1
    request.processingFailed(Failure(ConnectionError("client closed")))
    assert journal.follower_count == 0 and clock.getDelayedCalls() == []


def test_long_poll_expires_empty() -> None:
    clock, journal = setup()
    result = long_poll(journal, DummyRequest([b""]), clock, 0, None, None, 100, 5)
    answers: list[dict[str, Any]] = []
    assert isinstance(result, Deferred)
    result.addCallback(answers.append)
    clock.advance(5)
    assert answers == [{"events": [], "last_seq": 0, "run": "r1"}] and journal.follower_count == 0


def test_stream_sends_run_backlog_then_live_entries_with_seq_ids() -> None:
    clock, journal = setup()
    for n in range(3):
        journal.append("node1", "ipmi", f"before{n}")
    request = DummyRequest([b""])
    assert event_stream(journal, request, clock, 1, "node1", None) is STREAMING
    journal.append("node2", "ipmi", "elsewhere")
    journal.append("node1", "power", "live")
    clock.advance(FLUSH_INTERVAL)
    got = frames(request)
    assert got[0]["event"] == "run" and json.loads(got[0]["data"])["run"] == "r1"
    assert [(f["id"], json.loads(f["data"])["operation"]) for f in got[1:]] == [
        ("2", "before1"),
        ("3", "before2"),
        ("5", "live"),
    ]
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"text/event-stream; charset=utf-8"]


def test_stream_reports_a_gap_keeps_alive_and_ends_with_the_rack() -> None:
    clock = Clock()
    journal = Journal(RackClock(clock, datetime(2026, 1, 1, tzinfo=UTC)), window=2)
    for n in range(5):
        journal.append("node1", "ipmi", f"op{n}")
    request = DummyRequest([b""])
    event_stream(journal, request, clock, 0, None, None)
    clock.advance(KEEPALIVE)
    journal.close()
    text = b"".join(request.written).decode()
    assert 'event: gap\ndata: {"from":1,"to":3}' in text and ": keep-alive" in text
    assert text.endswith("event: end\ndata: {}\n\n") and request.finished and clock.getDelayedCalls() == []


def test_stream_of_a_client_that_went_away_stops_at_once() -> None:
    clock, journal = setup()
    request = DummyRequest([b""])
    event_stream(journal, request, clock, 0, None, None)
    assert journal.follower_count == 1
    request.processingFailed(Failure(ConnectionError("client closed")))
    assert journal.follower_count == 0 and clock.getDelayedCalls() == []


def test_a_poller_back_while_a_batch_is_unflushed_is_answered_once_with_the_whole_batch() -> None:
    clock, journal = setup()
    journal.follow(lambda entries, lines: None)  # another reader: appends now wait for the flush
    journal.append("node1", "ipmi", "a")
    journal.append("node1", "ipmi", "b")
    assert journal.unflushed_from == 1
    result = long_poll(journal, DummyRequest([b""]), clock, 0, None, None, 100, 30)
    assert isinstance(result, Deferred)  # not answered with the first entry alone
    answers: list[dict[str, Any]] = []
    result.addCallback(answers.append)
    journal.append("node1", "ipmi", "c")
    clock.advance(FLUSH_INTERVAL)
    assert [[e["operation"] for e in a["events"]] for a in answers] == [["a", "b", "c"]]
    assert journal.unflushed_from is None
    behind = long_poll(journal, DummyRequest([b""]), clock, 1, None, None, 100, 30)  # flushed: at once
    assert isinstance(behind, dict) and [e["operation"] for e in behind["events"]] == ["b", "c"]


def test_streams_with_the_same_filter_share_one_framing_of_a_batch() -> None:
    clock, journal = setup()
    requests = [DummyRequest([b""]) for _ in range(3)]
    for request in requests:
        assert event_stream(journal, request, clock, 0, None, None) is STREAMING
    journal.append("node1", "ipmi", "a")
    journal.append("node2", "ipmi", "b")
    clock.advance(FLUSH_INTERVAL)
    written = [request.written[-1] for request in requests]
    assert written[0] is written[1] is written[2]  # the same bytes object, framed once
    assert [f["id"] for f in frames(requests[0]) if "id" in f] == ["1", "2"]
