"""A ``vrack ci run`` killed mid-cycle: the next one resumes from the history, loses no result, posts
no status twice; and two runners never share a history (cycles never overlap)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci.conftest import Upstream, write_config
from tests.ci.github_standin import GithubStandIn
from tests.support.waiting import wait_for
from vrack.cli import main
from vrack_ci.history import History

pytestmark = pytest.mark.e2e


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_runner_resumes_without_losing_or_reposting(
    tmp_path: Path, upstream: Upstream, github: tuple[GithubStandIn, str], capsys: pytest.CaptureFixture[str]
) -> None:
    standin, api_url = github
    waiting = upstream.pull(5, "wait")
    standin.add_pull("acme/proj", 5, waiting)
    started, release = tmp_path / "started", tmp_path / "release"
    suite = {"name": "gate", "repo": "proj", "gate": True, "timeout": 120,
             "env": {"SUITE_STARTED": str(started), "SUITE_RELEASE": str(release)},
             "command": [sys.executable, str(Path(__file__).with_name("junit_suite.py")), "{junit}"]}  # fmt: skip
    config = write_config(tmp_path, upstream, subnet=7, api_url=api_url, suites=[suite])
    log = (tmp_path / "runner.log").open("wb")
    runner = subprocess.Popen(
        [sys.executable, "-m", "vrack", "ci", "run", str(config)], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: started.exists() and started.read_text(), 60, "the PR cycle's suite to start", interval=0.05)
        suite_pid = int(started.read_text())
        # While it runs, a second runner on the same history refuses: cycles never overlap.
        assert main(["ci", "run", str(config), "--cycles", "1"]) == 3
        assert f"another vrack ci run (pid {runner.pid}) is using" in capsys.readouterr().err
        os.killpg(runner.pid, signal.SIGKILL)  # a crash: no cleanup at all
        runner.wait(timeout=30)
        wait_for(lambda: not _alive(suite_pid), 60, "the suite to die with its runner", interval=0.05)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
        log.close()
    history = History(tmp_path / "state/history.sqlite")
    assert [(c["target_ref"], c["state"]) for c in reversed(history.cycles())] == [
        ("main", "passed"),
        ("pull/5", "running"),
    ]
    rack_dirs = list((tmp_path / "state/art/2/rack/ci-test").glob("control.json"))
    wait_for(lambda: not any(p.exists() for p in rack_dirs), 60, "the rack to stop with its runner", interval=0.05)

    release.write_text("go")
    started.unlink()
    assert main(["ci", "run", str(config), "--cycles", "1"]) == 0
    out = capsys.readouterr().out
    assert "vrack ci: cycle 2 was interrupted by a restart; its target will be tested again" in out
    assert [(c["target_ref"], c["state"]) for c in reversed(history.cycles())] == [
        ("main", "passed"), ("pull/5", "interrupted"), ("pull/5", "passed")
    ]  # fmt: skip
    bodies = [r.body or {} for r in standin.posted()]
    posts = [f"{body['state']} {body.get('target_url', '')}" for body in bodies]
    assert posts == [
        "pending http://ci.example.invalid/cycles/2",
        "pending http://ci.example.invalid/cycles/3",
        "success http://ci.example.invalid/cycles/3",
    ]
    assert not history.unposted()
    history.close()
