"""The shipped example (ci/example.yaml) runs one cycle end to end: its rack, its pytest suite with
ipmitool against the rack's BMCs, JUnit and journal kept; ``vrack ci history`` shows it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.ci.conftest import git
from vrack.cli import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_the_shipped_example_runs_a_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The example watches the repository it lives in; here a copy of this checkout's HEAD stands for it.
    upstream = tmp_path / "vrack"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "unborn")  # main is fetched, never checked out here
    git(upstream, "fetch", "-q", str(ROOT), "HEAD:refs/heads/main")
    example = yaml.safe_load((ROOT / "ci/example.yaml").read_text())
    example["repositories"][0]["url"] = str(upstream)
    shutil.copy(ROOT / "ci/example-rack.yaml", tmp_path / "example-rack.yaml")
    config = tmp_path / "example.yaml"
    config.write_text(yaml.safe_dump(example))

    assert main(["ci", "run", str(config), "--cycles", "1"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "vrack ci: cycle 1: vrack main @ " in out and "vrack ci: cycle 1: passed in " in out
    junit = (tmp_path / "ci-state/artifacts/1/junit/example.xml").read_text()
    assert 'name="test_power_on_through_ipmi"' in junit and "<failure" not in junit
    assert list((tmp_path / "ci-state/artifacts/1/rack/ci-example/runs").glob("*/events.jsonl"))
    assert main(["ci", "history", str(config)]) == 0
    assert "passed" in capsys.readouterr().out
    assert main(["ci", "history", str(config), "--flaky"]) == 0
    assert "0 flaky tests" in capsys.readouterr().out
