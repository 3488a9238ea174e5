"""Smoke test of bench/ci_cycles.py: two cycles of the shipped example, every number present (no timed asserts)."""

from __future__ import annotations

import pytest

from bench.ci_cycles import run

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_the_ci_cycles_bench_reports_cycle_time_pause_and_memory() -> None:
    report = run(2, subnet=101)  # the full benchmark's rack is on 127.67.100.0/24
    assert report["states"] == {"passed": 2}
    assert 0 < report["cycle_seconds"]["min"] <= report["cycle_seconds"]["median"] <= report["cycle_seconds"]["max"]
    assert report["pause_seconds"]["median"] >= 0
    assert set(report["runner_rss_mib"]) == {"1", "2"} and all(v > 0 for v in report["runner_rss_mib"].values())
