"""A bench given a bad count says which option and why, as a usage error."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bench.args import positive_int


@pytest.mark.parametrize("text", ["0", "-5", "many"])
def test_a_count_must_be_a_whole_number_of_at_least_one(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"whole number|at least 1"):
        positive_int(text)
    assert positive_int("3") == 3


def test_the_benches_refuse_a_bad_count_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.device_build", "--bmcs", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "argument --bmcs: 0 is not at least 1" in done.stderr
    assert "Traceback" not in done.stderr
