"""bench/device_build.py builds every kind of device and reports a cost for each."""

from __future__ import annotations

from bench.device_build import measure


def test_it_reports_cpu_and_memory_for_bmcs_pdus_switches_and_stand_ins() -> None:
    result = measure(96)
    counts = {kind: row["count"] for kind, row in result.items()}
    assert counts == {"bmc": 96, "pdu": 3, "switch": 2, "pdu_mib": 3, "switch_mib": 2, "standin": 96}
    assert all(row["cpu_ms_each"] > 0 for row in result.values())
