"""Functional smoke tests of the journal benchmarks (no timed asserts).

``bench.journal_append`` runs in memory; ``bench.journal_bench`` runs a short load against ipmi_sim and a
one-node vrack with real followers (SSE and long poll) on 127.16.10.0/24, reserved for this test.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench import journal_append, journal_bench
from bench.load_bench import LoadPlan


def test_journal_append_reports_cpu_and_bytes_per_request() -> None:
    result = journal_append.measure(requests=2000, repeat=1)
    assert result["requests"] == 2000 and result["cpu_us_per_request"] > 0
    assert 150 < result["bytes_per_request"] < 400  # one JSON line per request


@pytest.mark.slow
@pytest.mark.e2e
def test_journal_bench_delivers_every_entry_to_every_follower(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("ipmi_sim") is None:
        pytest.fail("needs root (UDP 623) and OpenIPMI's ipmi_sim: run scripts/test")
    plan = LoadPlan(clients=(2,), duration=0.5, warmup=0.3, processes=1)
    rows = journal_bench.run(plan, [3], tmp_path, addresses=("127.16.10.1", "127.16.10.3"))
    phases = {row["phase"]: row for row in rows}
    assert list(phases) == [
        "ipmi_sim (no journal)", "none",
        "stream 3", "stream 3, just gone", "stream 3, of an idle node",
        "poll 3", "poll 3, just gone", "poll 3, of an idle node",
    ]  # fmt: skip
    for name in ("stream 3", "poll 3"):
        row = phases[name]
        assert row["connected"] == 3 and row["errors"] == 0 and row["journalled"] > 0
        assert row["delivered"] == 1.0, row  # every follower got every entry journalled in the phase
    for name in ("stream 3, of an idle node", "poll 3, of an idle node"):
        assert phases[name]["connected"] == 3 and phases[name]["events"] == 0  # node02 got no request
    assert all(row["requests_ok"] > 0 for row in rows)
    assert "| stream 3 |" in journal_bench.table(rows)
    json.dumps(rows)
