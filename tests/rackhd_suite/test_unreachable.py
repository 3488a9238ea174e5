"""Without a reachable RackHD the suite says exactly that and exits non-zero, whichever way it is run."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "rack_specs" / "rackhd-loopback.yaml"
VRACK = [sys.executable, "-m", "vrack"]


@pytest.fixture
def closed_url() -> str:
    """A URL on this helper's loopback range where nothing listens."""
    return f"http://127.71.0.1:{free_port('127.71.0.1')}"


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RACKHD_", "VRACK_"))}
    return subprocess.run(argv, env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_vrack_test_rackhd_exits_3_and_writes_the_error_to_junit(closed_url: str, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = run([*VRACK, "test", "rackhd", str(SPEC), "--junit", str(junit)], {"RACKHD_URL": closed_url}, tmp_path)
    assert done.returncode == 3, done.stderr
    assert f"vrack: RackHD is not reachable at {closed_url}: connection refused" in done.stderr
    assert "nothing was run" in done.stderr
    error = ET.parse(junit).getroot().find("testsuite/testcase/error")
    assert error is not None and "RackHD is not reachable" in (error.text or "")


@pytest.mark.parametrize(
    ("runner", "failed"),
    [
        (["-m", "unittest", "rackhd_suite"], "FAILED (errors=6)"),  # setUpClass of each of the six groups
        (["-m", "nose2", "rackhd_suite"], "FAILED (errors=6)"),
        (["-m", "pytest", "--pyargs", "rackhd_suite", "-p", "no:cacheprovider", "-p", "no:vrack"], " errors in "),
    ],
    ids=["unittest", "nose2", "pytest"],
)
def test_every_runner_errors_every_group(closed_url: str, tmp_path: Path, runner: list[str], failed: str) -> None:
    env = {"RACKHD_URL": closed_url, "RACKHD_SUITE_SPEC": str(SPEC), "PYTHONPATH": str(ROOT)}
    done = run([sys.executable, *runner], env, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"RackHD is not reachable at {closed_url}" in output
    assert failed in output
    assert "skipped" not in output and " passed" not in output  # never a skip, never a pass


def test_setting_errors_exit_2_naming_the_setting(tmp_path: Path) -> None:
    done = run([*VRACK, "test", "rackhd", str(SPEC)], {}, tmp_path)
    assert done.returncode == 2
    assert "[rackhd] url (environment RACKHD_URL) is not set" in done.stderr
    ini = tmp_path / "bad.ini"
    ini.write_text("[rackhd]\nurl = http://127.71.0.1:8080\n[suite]\ngroups = smoke, pollerz\n")
    done = run([*VRACK, "test", "rackhd", str(SPEC), "--config", str(ini)], {}, tmp_path)
    assert done.returncode == 2
    assert "[suite] groups (environment RACKHD_SUITE_GROUPS): 'pollerz' is not a group" in done.stderr
    done = run([*VRACK, "test", "rackhd", "nowhere.yaml"], {"RACKHD_URL": "http://127.71.0.1:1"}, tmp_path)
    assert done.returncode == 2 and "nowhere.yaml: no such file" in done.stderr


def test_vrack_cli_does_not_import_the_suite() -> None:
    """The arrow points from rackhd_suite to vrack: vrack's own modules never name it."""
    for path in (ROOT / "vrack").rglob("*.py"):
        assert "rackhd_suite" not in path.read_text(), path
