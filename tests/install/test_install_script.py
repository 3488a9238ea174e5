"""The README's install command works on the system Python, which refuses a system-wide pip install."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")

pytestmark = pytest.mark.slow


def test_system_python_refuses_a_global_pip_install_which_is_why_the_script_exists() -> None:
    marker = next(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"), None)
    assert marker is not None, "this Debian's Python is not marked externally managed (PEP 668)"


def test_install_script_puts_a_working_vrack_on_path_from_the_system_python(tmp_path: Path) -> None:
    assert SYSTEM_PYTHON.exists(), "Debian's /usr/bin/python3 is missing"
    prefix, bindir = tmp_path / "prefix", tmp_path / "bin"
    env = dict(os.environ, PATH=f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin")
    argv = ["bash", str(ROOT / "scripts" / "install"), "--prefix", str(prefix), "--bindir", str(bindir)]
    done = subprocess.run(
        [*argv, "--python", str(SYSTEM_PYTHON), "--no-clients"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"is {bindir}/vrack" in done.stdout
    version = subprocess.run(["vrack", "--version"], capture_output=True, text=True, env=env, check=True)
    assert version.stdout.startswith("vrack ")
    interpreter = (prefix / "venv" / "bin" / "python").resolve()
    assert interpreter == SYSTEM_PYTHON.resolve() or interpreter.name.startswith("python3")
    valid = subprocess.run(
        ["vrack", "validate", str(ROOT / "rack_specs" / "small.yaml")], capture_output=True, text=True, env=env
    )
    assert valid.returncode == 0 and "valid rack 'small'" in valid.stdout, valid.stderr


def test_install_script_says_what_is_wrong_with_an_unusable_python(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install"), "--prefix", str(tmp_path), "--python", "/nonexistent/python"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "no Python at '/nonexistent/python'" in done.stderr
