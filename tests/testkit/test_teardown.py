"""Teardown leaves nothing behind: a pytest run interrupted (SIGINT, SIGTERM) mid-test, and a failing test.

Each case runs pytest in a child process on a test that uses the plugin's fixtures, as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

BLOCKING_TEST = textwrap.dedent(
    """\
    import json, os, sys
    import pytest
    from vrack.testing import RackHandle

    @pytest.fixture(scope="module")
    def vrack_spec():
        return "rack: testkit-interrupt\\nnetworks: {management: 127.62.30.0/24}\\n" \\
               "devices:\\n  - {name: node01, kind: compute}\\n"

    def test_blocks(vrack_rack: RackHandle) -> None:
        info = {"pid": vrack_rack._runner.pid, "state_dir": str(vrack_rack.state_dir)}
        with open(os.environ["REPORT"], "w") as out:
            json.dump(info, out)
        vrack_rack.journal.wait_for(operation="never-happens", timeout=600)
    """
)

FAILING_TEST = textwrap.dedent(
    """\
    import json, os
    from vrack.testing.pytest_plugin import rack_fixture

    lab = rack_fixture("rack: testkit-fails\\nnetworks: {management: 127.62.31.0/24}\\n"
                       "devices:\\n  - {name: node01, kind: compute}\\n", scope="module", mode="inprocess")

    def test_fails(lab) -> None:
        with open(os.environ["REPORT"], "w") as out:
            json.dump({"state_dir": str(lab.state_dir), "journal": str(lab.journal_dir)}, out)
        lab.node("node01").power("on")
        assert lab.node("node01").power_state() == "off", "fails on purpose"
    """
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_run_stops_the_rack(tmp_path: Path, sig: int) -> None:
    (tmp_path / "test_blocking.py").write_text(BLOCKING_TEST)
    report = tmp_path / "report.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_blocking.py"],
        cwd=tmp_path,
        env=dict(os.environ, REPORT=str(report)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        info = wait_for(lambda: report.exists() and report.read_text() and json.loads(report.read_text()), 60, "rack")
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    state = Path(info["state_dir"])
    if sig == signal.SIGINT:
        assert proc.returncode == 2, output  # pytest's "interrupted": its teardown stopped the rack
        assert not _pid_alive(int(info["pid"])), "the rack's process outlived the interrupted test run"
    else:  # no teardown at all: the kernel's parent-death signal stops the rack, which cleans up itself
        wait_for(lambda: not _pid_alive(int(info["pid"])), 30, "the rack to stop after the test runner died")
        shutil.rmtree(state, ignore_errors=True)
    assert not (state / "testkit-interrupt" / "control.json").exists()


def test_a_failing_test_keeps_its_journal_only(tmp_path: Path) -> None:
    (tmp_path / "test_failing.py").write_text(FAILING_TEST)
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_failing.py"],
        cwd=tmp_path,
        env=dict(os.environ, REPORT=str(report)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    info = json.loads(report.read_text())
    assert done.returncode == 1 and "fails on purpose" in done.stdout, done.stdout + done.stderr
    assert f"kept the journal of rack testkit-fails in {info['journal']}" in done.stdout + done.stderr
    journal = Path(info["journal"]) / "events.jsonl"
    assert "host-power" in journal.read_text()
    assert not (Path(info["state_dir"]) / "testkit-fails" / "control.json").exists()
    shutil.rmtree(info["state_dir"])
