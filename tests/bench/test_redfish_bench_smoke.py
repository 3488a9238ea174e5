"""Smoke test of bench/redfish_bench.py: a short run against vrack and sushy-tools gives every row and ratio.

Needs root (the vrack BMC binds TCP 443) and the redfish venv of bench/redfish_peers.py (built on first use).
Numbers are not asserted beyond being measured: benchmarks report, they do not gate.
"""

from __future__ import annotations

from pathlib import Path

from bench.redfish_bench import memory, report, throughput


def test_short_run_reports_both_servers_both_operations_and_memory(tmp_path: Path) -> None:
    results = throughput(tmp_path, 0.3, [1])
    assert {(r.server, r.operation) for r in results} == {
        (server, operation)
        for server in ("vrack", "sushy-tools", "sushy-tools (no auth)")
        for operation in ("get", "reset")
    }
    assert all(r.requests > 0 and r.p50_ms > 0 for r in results), results
    mem = memory(tmp_path, 3)
    assert mem["on, every BMC contacted"] > 0 and mem["off"] > 0
    text = report(results, mem, 3)
    assert "vrack / sushy-tools, get, 1 clients: req/s" in text and "KiB per BMC" in text
