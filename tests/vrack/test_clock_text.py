"""RackClock.isoformat: the millisecond text it remembers is exactly what formatting afresh gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from vrack.clock import RackClock


class FixedTime:
    def seconds(self) -> float:
        return 0.0


def _fresh(epoch: datetime, elapsed: float) -> str:
    return (epoch + timedelta(seconds=elapsed)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize("epoch_micros", [0, 1, 499_999, 999_500, 999_999])
def test_remembered_millisecond_text_matches_fresh_formatting(epoch_micros: int) -> None:
    epoch = datetime(2026, 12, 31, 23, 59, 58, epoch_micros, tzinfo=UTC)
    clock = RackClock(FixedTime(), epoch)
    rng = random.Random(epoch_micros)
    values: list[float] = []
    start = 0.0
    for _ in range(300):  # runs of close times, as requests ask (several per millisecond), across seconds and days
        start += rng.choice([0.0003, 0.7, 1.0, 86_399.9995])
        values.extend(start + rng.uniform(0, 0.004) for _ in range(20))
    for millisecond in range(3000):  # next to every millisecond boundary, both sides, where rounding decides
        boundary = millisecond / 1000 - epoch_micros / 1e6
        values.extend([boundary - 5e-7, boundary - 4e-7, boundary, boundary + 4e-7, boundary + 5e-7, boundary + 1e-6])
    for elapsed in values:
        assert clock.isoformat(elapsed) == _fresh(epoch, elapsed), elapsed


def test_a_clock_formats_its_own_time_when_not_given_one() -> None:
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    assert RackClock(FixedTime(), epoch).isoformat() == "2026-01-01T00:00:00.000Z"
