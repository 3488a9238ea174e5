"""The journal of real `vrack up` runs: kill -9 loses at most the last batch and leaves no torn line,
a stopped rack's journal is read by `vrack events` (saying which run), and a restart is a new run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import ipmitool
from tests.support.rack_process import ROOT, RackProcess
from tests.support.waiting import wait_for
from vrack.journal import FLUSH_BATCH
from vrack.journalfiles import ReadReport, read_run

pytestmark = pytest.mark.e2e

SPEC = """\
rack: testkit-runs
networks: {management: 127.62.40.0/24}
devices:
  - {name: "n{n}", kind: compute, count: 2}
"""


def vrack(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vrack", "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_kill_9_loses_at_most_the_last_batch_and_runs_stay_apart(tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    state = tmp_path / "state"
    rack = RackProcess(spec, state, "testkit-runs").start()
    first_run = rack.info["run"]
    try:
        for _ in range(3):
            ipmitool("127.62.40.1", "chassis power status").ok()
        served = rack.events()
        run_dir = Path(rack.info["events"]).parent
        on_disk = wait_for(lambda: len(list(read_run(run_dir))) >= len(served) and list(read_run(run_dir)), 10, "flush")
        ipmitool("127.62.40.2", "chassis power status").ok()  # in memory at once; on disk within 50 ms
        served = rack.events()
    finally:
        assert rack.proc is not None
        rack.proc.send_signal(signal.SIGKILL)
        rack.proc.wait(30)
    report = ReadReport()
    kept = list(read_run(run_dir, report))
    assert kept == served[: len(kept)], "the file must hold a prefix of what the rack served"
    assert len(kept) >= len(on_disk) and len(served) - len(kept) <= FLUSH_BATCH
    assert report.skipped <= 1

    stopped = vrack(state, "events", "--json")  # no running rack: the kept journal, named
    assert stopped.returncode == 0 and f"run {first_run} (stopped" in stopped.stderr, stopped.stderr
    assert [json.loads(line)["seq"] for line in stopped.stdout.splitlines()] == [e["seq"] for e in kept]

    assert "removed stale control file of rack testkit-runs" in vrack(state, "cleanup").stdout
    again = RackProcess(spec, state, "testkit-runs").start()  # a restart is a new run
    try:
        assert again.info["run"] != first_run and again.api("GET", "/api/v1/rack")["run"] == again.info["run"]
        assert again.events()[0]["operation"] == "rack-started" and again.last_seq() < len(served)
    finally:
        code = again.stop()
        assert code == 0, again.output()
    listed = vrack(state, "events", "--list-runs").stdout
    assert first_run in listed and again.info["run"] in listed
    older = vrack(state, "events", "--run", first_run, "--device", "n2", "--json")
    assert [json.loads(line)["device"] for line in older.stdout.splitlines()] == ["n2"] * len(
        [e for e in kept if e["device"] == "n2"]
    )
    latest = vrack(state, "events", "--json")
    assert f"run {again.info['run']} (stopped" in latest.stderr
    assert json.loads(latest.stdout.splitlines()[-1])["operation"] == "rack-stopping"
