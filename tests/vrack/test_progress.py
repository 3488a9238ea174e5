"""Start-up progress (vrack.progress): when it writes, what it says, and a real ``vrack up`` showing it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peers import vrack_spec
from vrack.progress import StartupProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fast_start_prints_nothing_and_a_slow_one_reports_each_interval_and_the_end() -> None:
    clock, out = FakeClock(), io.StringIO()
    fast = StartupProgress("r", 3, out, interval=1.0, clock=clock)
    for phase in ("built", "bound"):
        for done in (1, 2, 3):
            clock.now += 0.1
            fast(phase, done)
    assert out.getvalue() == ""

    clock.now, out = 0.0, io.StringIO()
    slow = StartupProgress("big", 4, out, interval=1.0, clock=clock)
    for phase in ("built", "bound"):
        for done in (1, 2, 3, 4):
            clock.now += 0.5
            slow(phase, done)
    assert out.getvalue().splitlines() == [
        "rack big: 2/4 devices built, 0/4 bound, 1.0 s, about 3 s left",
        "rack big: 4/4 devices built, 0/4 bound, 2.0 s, about 2 s left",
        "rack big: 4/4 devices built, 2/4 bound, 3.0 s, about 1 s left",
        "rack big: 4/4 devices built, 4/4 bound, 4.0 s",
    ]


def test_bad_interval_and_phase_are_refused_with_what_is_valid() -> None:
    with pytest.raises(ValueError, match="0 or more seconds"):
        StartupProgress("r", 1, io.StringIO(), interval=-1)
    with pytest.raises(ValueError, match="built, bound"):
        StartupProgress("r", 1, io.StringIO())("listening", 1)


@pytest.mark.e2e
def test_vrack_up_prints_progress_on_stderr_until_every_device_is_bound(tmp_path: Path) -> None:
    """30 BMCs on 127.16.17.0/24 with ``--progress-interval 0``: every step is reported, the last says 30/30."""
    spec = tmp_path / "progress.yaml"
    spec.write_text(vrack_spec("progress", "127.16.17.0/24", 30), encoding="utf-8")
    state = tmp_path / "state"
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(state), "up", str(spec), "--progress-interval", "0"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            first = proc.stdout.readline()
            assert first.startswith("rack progress is up"), first + proc.stderr.read()
        finally:
            proc.terminate()
        _, err = proc.communicate(timeout=30)
    lines = [line for line in err.splitlines() if line.startswith("rack progress:")]
    assert lines[0].startswith("rack progress: 1/30 devices built, 0/30 bound, ")
    assert lines[-1].startswith("rack progress: 30/30 devices built, 30/30 bound, ") and "left" not in lines[-1]
    assert len(lines) == 60
