"""bench.udp_wakeups: every mode echoes its datagrams and reports a CPU cost and a ratio to asyncio."""

from __future__ import annotations

from bench.udp_wakeups import MODES, measure


def test_every_mode_and_burst_reports() -> None:
    rows = measure([1, 3], datagrams=600, repeat=1)
    assert [(r["mode"], r["burst"]) for r in rows] == [(m, b) for b in (1, 3) for m in MODES]
    assert all(r["cpu_us_per_datagram"] > 0 for r in rows), rows
    assert all(r["ratio_to_asyncio"] == 1.0 for r in rows if r["mode"] == "asyncio"), rows
