"""Functional smoke test of bench/web_render.py (no timed asserts): a small rack, every column measured.

The rack uses 127.68.2.0/24 and its control API 127.68.0.3 (this test's part of 127.68.0.0/16).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import web_render


def test_spec_feeds_and_cables_every_node() -> None:
    spec = web_render.rack_spec(50)
    assert "count: 50" in spec and "count: 2, outlets: 40" in spec and "count: 2, ports: 48" in spec
    assert "{outlet: pdu02/10, to: node0050/psu1}" in spec and "{a: node0050/nic0, b: sw02/2}" in spec


@pytest.mark.e2e
def test_web_render_measures_load_updates_and_a_burst(tmp_path: Path) -> None:
    rows = web_render.run([12], updates=2, burst=4, network="127.68.2.0/24", control="127.68.0.3", shots=str(tmp_path))
    (row,) = rows
    assert row["nodes"] == 12 and row["devices"] == 12 + 1 + 1
    for key in ("load_ms", "page_render_ms", "data_ms", "power_update_median_ms", "outlet_update_max_ms", "burst_ms"):
        assert row[key] > 0, key
    assert row["burst_nodes"] == 4 and row["errors"] == []
    assert (tmp_path / "web-render-12.png").stat().st_size > 0
    assert "| 12 | 14 |" in web_render.table(rows)
