"""Every CLI command with hostile arguments: a clear message and a documented exit code, never a traceback or a 500."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.rack_process import ROOT, RackProcess, running_rack

pytestmark = pytest.mark.e2e

SPEC = """\
rack: lead-hostile
networks: {management: 127.60.2.0/24}
devices:
  - {name: node01, kind: compute, model: quanta-d51}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}
  - {name: sw1, kind: switch, model: arista-7050, ports: 8}
power:
  - {outlet: pdu1/1, to: node01/psu1}
cables:
  - {a: node01/nic0, b: sw1/1}
"""
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5}
WEIRD = ["", " ", "..", "../../etc/passwd", "node01\x1b[31m", "\u0663", "\u00b2", "n" * 5000, "%ff%fe", "-1", "0"]


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RackProcess, Path]]:
    base = tmp_path_factory.mktemp("hostile")
    with running_rack(base, SPEC, "lead-hostile") as started:
        yield started, base


def vrack(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(state), *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


def _assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert "Internal Server Error" not in output and "internal error" not in output, output
    assert done.returncode in DOCUMENTED_EXIT_CODES, (done.returncode, output)
    if done.returncode:
        assert done.stderr.strip(), "a failure must say why"


def hostile_commands(spec_dir: Path) -> list[list[str]]:
    binary, directory, empty = spec_dir / "binary.yaml", spec_dir, spec_dir / "empty.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    empty.write_text("")
    commands: list[list[str]] = [
        ["validate", str(binary)], ["validate", str(directory)], ["validate", str(empty)],
        ["validate", "/nonexistent/spec.yaml"], ["up", str(binary)], ["up", str(directory)],
        ["scenario", "validate", str(binary)], ["scenario", "validate", str(directory)],
        ["power", "node01", "reset"], ["power", "node01", "cycle"], ["power", "pdu1", "on"], ["power", "sw1", "status"],
        ["outlet", "pdu1", "99", "off"], ["outlet", "node01", "1", "off"], ["outlet", "pdu1", "-3", "on"],
        ["cable", "sw1", "7", "unplug"], ["cable", "sw1", "999999999999", "plug"], ["cable", "pdu1", "1", "plug"],
        ["events", "--device", "ghost"], ["status", "--rack", "ghost"], ["credentials", "ghost"],
        ["fault", "inject", "bmc-melt", "node01"], ["fault", "inject", "bmc-hang", "sw1"],
        ["fault", "inject", "port-down", "sw1", "ports=[99]"], ["fault", "inject", "port-down", "sw1", "nokey"],
        ["fault", "clear", "4242"], ["fault", "clear"], ["scenario", "stop", "77"],
        ["scenario", "run", str(binary)], ["scenario", "run", "/nonexistent.yaml"],
    ]  # fmt: skip
    for weird in WEIRD:
        commands += [
            ["power", weird, "on"], ["power", "node01", weird], ["outlet", "pdu1", weird, "on"],
            ["cable", weird, "1", "plug"], ["events", "--device", weird], ["credentials", weird],
            ["validate", weird], ["fault", "inject", weird, weird],
        ]  # fmt: skip
    return commands


def test_no_command_ends_in_a_traceback_or_a_500(rack: tuple[RackProcess, Path], tmp_path: Path) -> None:
    _, base = rack
    state = base / "state"
    for argv in hostile_commands(tmp_path):
        _assert_clean(vrack(state, *argv))


def test_refusals_use_the_documented_exit_codes(rack: tuple[RackProcess, Path]) -> None:
    _, base = rack
    state = base / "state"
    reset = vrack(state, "power", "node01", "reset")
    assert reset.returncode == 4 and "reset needs the host on" in reset.stderr
    assert vrack(state, "power", "ghost", "on").returncode == 2
    assert vrack(base / "nowhere", "status").returncode == 3


def test_global_options_work_after_the_subcommand(rack: tuple[RackProcess, Path]) -> None:
    _, base = rack
    argv = [sys.executable, "-m", "vrack", "status", "--state-dir", str(base / "state")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0 and "lead-hostile" in done.stdout, done.stderr
