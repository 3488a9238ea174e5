"""vrack ci end to end: cycles on fresh racks (a child ``vrack up`` each), PR gates on the GitHub stand-in,
artifacts, timeouts, crashes, flaky tests."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.ci.conftest import SUITE, TOKEN, Upstream, write_config
from tests.ci.github_standin import Fault, GithubStandIn
from vrack_ci.config import load_config
from vrack_ci.history import History
from vrack_ci.runner import Runner

pytestmark = pytest.mark.e2e


def _run(config: Path, cycles: int) -> tuple[list[str], Runner]:
    lines: list[str] = []
    runner = Runner(load_config(config), log=lines.append)
    runner.run(cycles=cycles)
    return lines, runner


def test_cycles_test_main_then_each_pr_and_post_gates(
    tmp_path: Path, upstream: Upstream, github: tuple[GithubStandIn, str]
) -> None:
    standin, api_url = github
    main = upstream.commit("pass", "main again")
    broken = upstream.pull(7, "fail")
    fixed = upstream.pull(8, "pass")
    standin.add_pull("acme/proj", 7, broken)
    standin.add_pull("acme/proj", 8, fixed)
    config = write_config(tmp_path, upstream, subnet=2, api_url=api_url)

    lines, _ = _run(config, cycles=3)

    history = History(tmp_path / "state/history.sqlite")
    cycles = list(reversed(history.cycles()))
    assert [(c["target_ref"], c["target_sha"], c["state"]) for c in cycles] == [
        ("main", main, "passed"),
        ("pull/7", broken, "failed"),
        ("pull/8", fixed, "passed"),
    ], lines
    assert {t["test_id"]: t["outcome"] for t in history.tests(cycles[1]["id"])} == {
        "junit_suite::test_rack_up": "passed",
        "junit_suite::test_feature": "failed",
    }
    # The exact requests: per cycle one pulls listing; per PR cycle a check and a post for pending and final.
    expected: list[tuple[str, str, str | None]] = []
    for sha, final in ((broken, "failure"), (fixed, "success")):
        expected.append(("GET", "/repos/acme/proj/pulls", None))
        for state in ("pending", final):
            expected.append(("GET", f"/repos/acme/proj/statuses/{sha}", None))
            expected.append(("POST", f"/repos/acme/proj/statuses/{sha}", state))
    seen = [(r.method, r.path, r.body["state"] if r.body else None) for r in standin.requests]
    assert seen == [("GET", "/repos/acme/proj/pulls", None), *expected]
    assert all(r.authorization == f"token {TOKEN}" for r in standin.requests)
    assert standin.requests[0].query == {"state": ["open"], "sort": ["created"]}
    posts = [r.body for r in standin.posted()]
    assert posts[0] == {
        "state": "pending",
        "context": "vrack-ci/gate",
        "description": "cycle 2 is running",
        "target_url": "http://ci.example.invalid/cycles/2",
    }
    assert posts[1] is not None and posts[1]["description"].startswith("failed: 1 passed, 1 failed (cycle 2, ")
    assert posts[3] is not None and posts[3]["description"].startswith("passed: 2 passed, 0 failed (cycle 3, ")
    assert {json.dumps(p) for p in posts}.isdisjoint({TOKEN})
    assert not history.unposted()
    # Artifacts: JUnit, the suite's output, the rack's journal and log; no checkout left behind.
    art = tmp_path / "state/art/2"
    assert (art / "junit/gate.xml").read_text().count("<testcase") == 2
    assert (art / "junit/gate.log").exists()
    journals = list((art / "rack/ci-test/runs").glob("*/events.jsonl"))
    assert len(journals) == 1 and journals[0].read_text().strip()
    assert (art / "rack/ci-test.log").exists() or (art / "rack").glob("**/*.log")
    assert json.loads((art / "cycle.json").read_text())["state"] == "failed"
    assert not (art / "src").exists()
    history.close()


def test_a_hanging_suite_stops_at_its_timeout_and_a_crash_is_an_error(tmp_path: Path, upstream: Upstream) -> None:
    upstream.commit("hang", "hangs")
    started = tmp_path / "started"
    suites = [
        {
            "name": "hangs",
            "repo": "proj",
            "timeout": 2,
            "env": {"SUITE_STARTED": str(started)},
            "command": [sys.executable, str(SUITE), "{junit}"],
        },
        {"name": "crashes", "timeout": 60, "command": [sys.executable, "-c", "import sys; sys.exit(3)", "{junit}"]},
    ]
    config = write_config(tmp_path, upstream, subnet=3, suites=suites)

    _run(config, cycles=1)

    history = History(tmp_path / "state/history.sqlite")
    (cycle,) = history.cycles()
    assert cycle["state"] == "timeout"
    suites_by_name = {s["name"]: s for s in history.suites(cycle["id"])}
    assert suites_by_name["hangs"]["state"] == "timeout"
    assert suites_by_name["hangs"]["reason"] == "stopped at its timeout of 2 s"
    assert suites_by_name["crashes"]["state"] == "error"
    assert "exit 3" in suites_by_name["crashes"]["reason"] and "no JUnit" in suites_by_name["crashes"]["reason"]
    pid = int(started.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the hanging suite's process is gone
    history.close()


def test_a_rack_that_does_not_start_is_an_error_for_every_suite(tmp_path: Path, upstream: Upstream) -> None:
    config = write_config(tmp_path, upstream, subnet=4)
    cfg = load_config(config)
    cfg.spec_path.write_text("rack: ci-test\ndevices: [\n")  # broken after validation: the rack cannot start
    lines: list[str] = []
    Runner(cfg, log=lines.append).run(cycles=1)
    history = History(tmp_path / "state/history.sqlite")
    (cycle,) = history.cycles()
    assert cycle["state"] == "error" and cycle["reason"].startswith("the rack did not start: ")
    assert [s["state"] for s in history.suites(cycle["id"])] == ["error"]
    assert (tmp_path / "state/art/1/rack-start-error.txt").exists()
    history.close()


def test_flaky_tests_are_those_passing_and_failing_on_the_same_inputs(tmp_path: Path, upstream: Upstream) -> None:
    upstream.commit("flaky", "flaky")
    suites = [
        {
            "name": "flaky",
            "repo": "proj",
            "env": {"FLAKY_STATE": str(tmp_path / "turn")},
            "command": [sys.executable, str(SUITE), "{junit}"],
        }
    ]
    config = write_config(tmp_path, upstream, subnet=5, suites=suites)
    _run(config, cycles=2)
    history = History(tmp_path / "state/history.sqlite")
    assert [c["state"] for c in reversed(history.cycles())] == ["passed", "failed"]
    (flaky,) = history.flaky()
    assert (flaky["suite"], flaky["test_id"], flaky["passed"], flaky["failed"]) == (
        "flaky",
        "junit_suite::test_feature",
        1,
        1,
    )
    history.close()


def test_a_lost_network_keeps_cycling_on_what_was_fetched(
    tmp_path: Path, upstream: Upstream, github: tuple[GithubStandIn, str]
) -> None:
    standin, api_url = github
    standin.pulls["acme/proj"] = []  # no pull request open
    config = write_config(tmp_path, upstream, subnet=9, api_url=api_url)
    moved = tmp_path / "unreachable"
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if line.startswith("vrack ci: cycle 1: passed"):  # the network goes away after the first cycle
            upstream.path.rename(moved)
            standin.fail("GET", "/repos/acme/proj/pulls", Fault(503, {"message": "unavailable"}), times=50)

    Runner(load_config(config), log=log).run(cycles=2)
    assert not any("failed" in line for line in lines[: lines.index(next(x for x in lines if "cycle 1: passed" in x))])
    assert any(line.startswith("vrack ci: listing the pull requests of proj failed (branch only this time): "
                               "GitHub kept failing") for line in lines), lines  # fmt: skip
    assert any(line.startswith("vrack ci: fetching proj failed (testing what was fetched before): git fetch")
               for line in lines), lines  # fmt: skip
    history = History(tmp_path / "state/history.sqlite")
    assert [(c["target_ref"], c["state"]) for c in reversed(history.cycles())] == [("main", "passed")] * 2
    history.close()
