"""bench/snmp_agent_start.py starts agents on one shared engine and reports the CPU each start took."""

from __future__ import annotations

from bench.snmp_agent_start import measure


def test_it_starts_every_agent_on_one_hub_and_reports_a_cost() -> None:
    result = measure(5, "127.67.5")
    assert result["agents"] == 5 and result["hubs"] == 1
    assert result["first_start_ms"] > 0 and result["start_ms_each"] >= 0
