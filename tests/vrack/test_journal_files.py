"""The journal on disk: runs, rotation by size, pruning, torn last lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from twisted.internet.task import Clock

from vrack.clock import RackClock
from vrack.journal import Journal
from vrack.journalfiles import ReadReport, RunStore, read_run, read_segment, repair_tail, segments


def test_segments_rotate_by_size_and_read_back_in_order(tmp_path: Path) -> None:
    run = tmp_path / "run"
    journal = Journal(RackClock(Clock(), datetime(2026, 1, 1, tzinfo=UTC)), run / "events.jsonl", segment_size=4096)
    journal.open()
    appended = []
    for n in range(400):
        appended.append(journal.append("node01", "ipmi", "chassis.get_status", n=n))
        if n % 20 == 19:
            journal.flush()
    journal.close()
    files = segments(run)
    assert len(files) > 3 and files[-1].name == "events.jsonl" and files[0].name == "events.1.jsonl"
    assert all(path.stat().st_size < 4096 + 20 * 200 for path in files)
    assert list(read_run(run)) == appended


def test_a_torn_last_line_is_skipped_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    whole = [json.dumps({"seq": n}) + "\n" for n in (1, 2)]
    path.write_text("".join(whole) + '{"seq": 3, "ti')
    report = ReadReport()
    assert [e["seq"] for e in read_segment(path, report)] == [1, 2] and report.skipped == 1
    assert repair_tail(path) == len('{"seq": 3, "ti') and path.read_text() == "".join(whole)
    assert repair_tail(path) == 0


def test_a_garbled_line_in_the_middle_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"seq": 1}\nnot json\n[1, 2]\n{"seq": 4}\n')
    report = ReadReport()
    assert [e["seq"] for e in read_segment(path, report)] == [1, 4] and report.skipped == 2


def test_runs_are_created_newest_last_linked_and_pruned(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    (tmp_path / "events.jsonl").write_text('{"seq": 1}\n')  # a journal from before runs existed
    created = []
    for _ in range(4):
        run = store.create(keep_runs=3)
        (store.path(run) / "events.jsonl").write_text('{"seq": 1}\n')
        created.append(run)
    assert store.runs() == created[1:] and store.latest() == created[-1]
    assert (tmp_path / "latest").resolve() == store.path(created[-1]).resolve()
    assert (tmp_path / "events.jsonl").resolve() == (store.path(created[-1]) / "events.jsonl").resolve()
    assert (tmp_path / "events.pre-runs.jsonl").read_text() == '{"seq": 1}\n'


def test_a_run_that_recorded_nothing_is_discarded_and_links_go_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    kept = store.create()
    (store.path(kept) / "events.jsonl").write_text('{"seq": 1}\n')
    empty = store.create()
    (store.path(empty) / "events.jsonl").touch()
    assert store.discard_if_empty(empty) and store.runs() == [kept]
    assert (tmp_path / "latest").resolve() == store.path(kept).resolve()
    assert not store.discard_if_empty(kept)


def test_a_new_run_repairs_the_previous_runs_torn_tail(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    crashed = store.create()
    (store.path(crashed) / "events.jsonl").write_text('{"seq": 1}\n{"seq": 2, "op')
    store.create()
    assert (store.path(crashed) / "events.jsonl").read_text() == '{"seq": 1}\n'
