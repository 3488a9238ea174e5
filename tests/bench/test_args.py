"""A bench given a bad count says which option and why, as a usage error."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from bench.args import existing_directory, loopback_network, loopback_prefix, positive_int


@pytest.mark.parametrize("text", ["0", "-5", "many"])
def test_a_count_must_be_a_whole_number_of_at_least_one(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"whole number|at least 1"):
        positive_int(text)
    assert positive_int("3") == 3


def test_the_benches_refuse_a_bad_count_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.device_build", "--bmcs", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "argument --bmcs: 0 is not at least 1" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "why"),
    [("10.0.0.0/8", "outside 127.0.0.0/8"), ("8.8.8.0/24", "outside 127.0.0.0/8"), ("bogus", "not an IPv4 network")],
)
def test_a_bench_network_must_be_loopback(text: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=why):
        loopback_network(text)
    assert loopback_network("127.67.0.0/16") == "127.67.0.0/16"


@pytest.mark.parametrize(("text", "why"), [("999.1.1", "not three octets"), ("10.1.1", "outside 127.0.0.0/8")])
def test_an_address_prefix_must_be_three_loopback_octets(text: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=why):
        loopback_prefix(text)
    assert loopback_prefix("127.67.4") == "127.67.4"


def test_a_tree_must_be_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a directory"):
        existing_directory(str(tmp_path / "gone"))
    assert existing_directory(str(tmp_path)) == tmp_path


@pytest.mark.parametrize(
    ("bench", "option", "value"),
    [
        ("snmp_agent_start", "--base", "999.1.1"),
        ("snmp_rack_start", "--network", "10.0.0.0/8"),
        ("rack_scale", "--network", "8.8.8.0/24"),
    ],
)
def test_the_benches_refuse_a_bad_address_without_a_traceback(bench: str, option: str, value: str) -> None:
    done = subprocess.run([sys.executable, "-m", f"bench.{bench}", option, value], capture_output=True, text=True)
    assert done.returncode == 2 and f"argument {option}:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
