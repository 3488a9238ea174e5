"""bench.load_bench --rounds: the rounds of one server and client count combine into one row of totals."""

from __future__ import annotations

from typing import Any

from bench.load_bench import combine


def _round(requests: int, duration: float, server_cpu: float | None, p50: float, other: float) -> dict[str, Any]:
    return {
        "server": "vrack", "clients": 8, "duration_s": duration, "requests_ok": requests, "errors": 1, "timeouts": 0,
        "strays": 0, "malformed": 0, "rps": requests / duration, "p50_us": p50, "p90_us": 2 * p50, "p99_us": 3 * p50,
        "max_us": 10 * p50, "mean_us": p50, "client_cpu_util": 0.5, "server_cpu_s": server_cpu,
        "server_cpu_util": None, "server_cpu_per_request_us": None, "other_cpu_util": other, "loadavg_before": 1.5,
        "rss_kib": 1000,
    }  # fmt: skip


def test_rounds_add_up_requests_time_and_cpu() -> None:
    row = combine(
        [_round(1000, 2.0, 0.05, 400.0, 1.0), _round(3000, 2.0, 0.07, 300.0, 0.0), _round(2000, 2.0, 0.06, 500.0, 0.5)]
    )
    assert row["requests_ok"] == 6000 and row["errors"] == 3 and row["duration_s"] == 6.0
    assert row["rps"] == 1000.0
    assert row["server_cpu_s"] == 0.18 and row["server_cpu_per_request_us"] == 30.0  # 0.18 s over 6,000 requests
    assert row["server_cpu_util"] == 0.03 and row["other_cpu_util"] == 0.5
    assert (row["p50_us"], row["p99_us"], row["max_us"]) == (400.0, 1200.0, 5000.0)  # medians, and the largest
    assert row["rounds"] == 3


def test_a_round_without_the_server_cpu_leaves_it_unknown() -> None:
    row = combine([_round(1000, 2.0, 0.05, 400.0, 1.0), _round(1000, 2.0, None, 400.0, 1.0)])
    assert row["server_cpu_s"] is None and row["server_cpu_per_request_us"] is None


def _split(user: float, system: float, voluntary: float, involuntary: float) -> dict[str, float]:
    return {
        "server_user_us_per_request": user,
        "server_sys_us_per_request": system,
        "server_voluntary_switches_per_request": voluntary,
        "server_involuntary_switches_per_request": involuntary,
    }


def test_the_user_and_system_split_combines_weighted_by_requests() -> None:
    rounds = [_round(1000, 2.0, 0.05, 400.0, 1.0), _round(3000, 2.0, 0.07, 300.0, 0.0)]
    rounds[0] |= _split(40.0, 10.0, 0.5, 0.1)
    rounds[1] |= _split(20.0, 6.0, 0.1, 0.3)
    assert {key: value for key, value in combine(rounds).items() if key.endswith("_per_request")} == _split(
        25.0, 7.0, 0.2, 0.25
    )


def test_rounds_without_the_split_leave_it_out() -> None:
    assert "server_user_us_per_request" not in combine([_round(1000, 2.0, 0.05, 400.0, 1.0)])
