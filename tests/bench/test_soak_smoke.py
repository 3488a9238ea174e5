"""bench/soak.py runs end to end (a few seconds, 5 BMCs) and its slope arithmetic is right."""

from __future__ import annotations

import pytest

from bench.soak import run, slope_mib_per_hour

pytestmark = pytest.mark.e2e


def test_the_slope_is_mib_per_hour_by_least_squares() -> None:
    assert slope_mib_per_hour([(0, 100.0), (1800, 101.0), (3600, 102.0)]) == pytest.approx(2.0)
    assert slope_mib_per_hour([(0, 100.0)]) is None


def test_a_short_soak_samples_memory_under_ipmitool_snmpget_redfish_and_sol_load() -> None:
    result = run(bmcs=5, clients=2, seconds=4.0, interval=0.5, warmup=1.0)
    assert all(count > 0 for count in result["runs_ok"].values()), result["runs_ok"]  # every kind of client
    assert len(result["samples"]) >= 4 and all(mib > 10 for _, mib in result["samples"])
    assert result["slope_mib_per_hour_after_warmup"] is not None
