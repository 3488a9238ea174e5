"""Running one suite of a cycle: its command in its own process group, bounded by a timeout, its output
kept as an artifact and its JUnit read back.

A suite's outcome: ``passed`` (JUnit without failures, exit 0), ``failed`` (a test failed or errored),
``error`` (no or broken JUnit, or a non-zero exit without any failing test: the suite itself crashed),
``timeout`` (killed at its timeout; whatever JUnit it wrote is kept).  A suite dies with the runner
(``PR_SET_PDEATHSIG``), so a killed runner leaves no suite behind.  The GitHub tokens named in the
config are removed from the suite's environment: suites never see them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from vrack_ci.config import SuiteSpec
from vrack_ci.junit import JunitError, TestResult, read_junit

KILL_GRACE = 5.0
PR_SET_PDEATHSIG = 1


def _die_with_runner() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A runner killed outright (a crash, a reboot of the service) takes its suite along."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class SuiteOutcome:
    name: str
    gate: bool
    state: str
    reason: str
    started: float
    exit_code: int | None
    results: list[TestResult] = field(default_factory=list)

    def counts_text(self) -> str:
        passed = sum(r.outcome == "passed" for r in self.results)
        failed = sum(r.outcome in ("failed", "error") for r in self.results)
        return f"{passed} passed, {failed} failed"


def expand(command: list[str], values: dict[str, str]) -> list[str]:
    """Replace ``{junit}``, ``{api_url}``, ... in each argument (other braces stay as written)."""
    out = []
    for part in command:
        for key, value in values.items():
            part = part.replace("{" + key + "}", value)
        out.append(part)
    return out


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_suite(
    suite: SuiteSpec,
    cwd: Path,
    out_dir: Path,
    values: dict[str, str],
    env: dict[str, str],
    timeout: float,
) -> SuiteOutcome:
    """Run ``suite`` for at most ``timeout`` seconds; ``out_dir`` receives ``<name>.xml`` and ``<name>.log``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / f"{suite.name}.xml"
    log = out_dir / f"{suite.name}.log"
    argv = expand(suite.command, {**values, "junit": str(junit)})
    started = time.time()
    try:
        with log.open("wb") as output:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_runner,
            )
            try:
                code: int | None = proc.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                _stop_group(proc)
                code, timed_out = None, True
            finally:
                _stop_group(proc)  # also what the suite left running in its group
    except OSError as exc:
        return SuiteOutcome(suite.name, suite.gate, "error", f"cannot run {argv[0]}: {exc.strerror}", started, None)
    try:
        results = read_junit(junit)
        junit_problem = ""
    except JunitError as exc:
        results, junit_problem = [], str(exc)
    if timed_out:
        reason = f"stopped at its timeout of {timeout:.0f} s"
        return SuiteOutcome(suite.name, suite.gate, "timeout", reason, started, None, results)
    if junit_problem:
        return SuiteOutcome(suite.name, suite.gate, "error", f"exit {code}; {junit_problem}", started, code, results)
    if any(r.outcome in ("failed", "error") for r in results):
        return SuiteOutcome(suite.name, suite.gate, "failed", f"exit {code}", started, code, results)
    if code != 0:
        reason = f"exit {code} without a failing test: the suite crashed (see {log.name})"
        return SuiteOutcome(suite.name, suite.gate, "error", reason, started, code, results)
    return SuiteOutcome(suite.name, suite.gate, "passed", "", started, code, results)
