"""The README's test kit examples, run as a user runs them: pytest, python -m unittest and nose2.

The code is taken from the README itself (the blocks after ``<!-- example: ... -->``), so the README
cannot drift from what works.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def readme_example(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.S)
    assert match, f"README has no '<!-- example: {name} -->' python block"
    return match.group(1)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=180, check=False)


def test_the_pytest_example_passes(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(readme_example("pytest"))
    done = run(["-m", "pytest", "-p", "no:cacheprovider", "-q", "test_example.py"], tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("runner", [["-m", "unittest", "-v", "example_ut"], ["-m", "nose2", "-v", "example_ut"]])
def test_the_unittest_example_passes_under_unittest_and_nose2(tmp_path: Path, runner: list[str]) -> None:
    (tmp_path / "example_ut.py").write_text(readme_example("unittest"))
    done = run(runner, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "test_outlet_off_cuts_the_node" in output and "Ran 1 test" in output, output
    assert "OK" in output.splitlines()
