"""One CI cycle: check out the inputs, bring up a fresh rack, run the suites, keep the artifacts, tear down.

The rack comes from :func:`vrack.testing.start_rack` (a child ``vrack up`` by default) with its state
directory inside the cycle's artifacts, so the rack's journal and logs stay with the JUnit files and the
suites' output.  Suites reach the rack through ``VRACK_STATE_DIR`` (the ``vrack`` CLI finds it there) or
``{api_url}``.  Every suite result is committed to the history as soon as it is known; the cycle is
bounded by its timeout (suites not started by then are recorded as ``timeout``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrack_ci.config import ConfigFile
from vrack_ci.history import History, Target
from vrack_ci.sources import SourceError, Sources
from vrack_ci.suites import SuiteOutcome, run_suite

STATE_ORDER = ("passed", "failed", "error", "timeout")


@dataclass
class CycleResult:
    cycle_id: int
    target: Target
    state: str
    reason: str
    duration: float
    suites: list[SuiteOutcome] = field(default_factory=list)


def cycle_inputs(config: ConfigFile, target: Target, heads: dict[str, dict[str, str]]) -> tuple[dict[str, Any], str]:
    """The cycle's inputs (every repository's SHA, the spec's hash, the suites' fingerprint) and their key."""
    shas = {}
    for repo in config.config.repositories:
        refs = heads.get(repo.name, {})
        shas[repo.name] = target.sha if repo.name == target.repo else refs.get(repo.branch, "")
    spec_hash = hashlib.sha256(config.spec_path.read_bytes()).hexdigest()[:16]
    inputs = {"repositories": shas, "spec": spec_hash, "suites": config.suites_fingerprint()}
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    return inputs, key


def _suite_env(config: ConfigFile, extra: dict[str, str]) -> dict[str, str]:
    secrets = {r.github.token_env for r in config.config.repositories if r.github is not None}
    env = {k: v for k, v in os.environ.items() if k not in secrets}
    env.update(extra)
    return env


def overall_state(outcomes: list[SuiteOutcome]) -> str:
    """The worst suite state (timeout > error > failed > passed)."""
    worst = 0
    for outcome in outcomes:
        worst = max(worst, STATE_ORDER.index(outcome.state))
    return STATE_ORDER[worst]


class CycleRunner:
    """Runs cycles for one config; ``on_start``/``on_finish`` hooks post the PR gates."""

    def __init__(self, config: ConfigFile, history: History, sources: Sources) -> None:
        self.config = config
        self.history = history
        self.sources = sources

    def run(self, cycle_id: int, target: Target, heads: dict[str, dict[str, str]]) -> CycleResult:
        """Run the cycle already recorded as ``cycle_id``; never raises for what a cycle can meet."""
        started = time.monotonic()
        deadline = started + self.config.config.cycle.timeout
        cycle_dir = self.config.artifacts_dir / str(cycle_id)
        shutil.rmtree(cycle_dir, ignore_errors=True)
        cycle_dir.mkdir(parents=True)
        outcomes: list[SuiteOutcome] = []
        try:
            state, reason = self._run(cycle_id, target, heads, cycle_dir, deadline, outcomes)
        except Exception as exc:  # a bug or an unexpected environment: record it, keep cycling
            state, reason = "error", f"vrack ci: {type(exc).__name__}: {exc}"
        shutil.rmtree(cycle_dir / "src", ignore_errors=True)  # the checkouts are inputs, not artifacts
        self.history.finish_cycle(cycle_id, state, reason)
        duration = time.monotonic() - started
        report = {
            "cycle": cycle_id,
            "target": target.__dict__,
            "state": state,
            "reason": reason,
            "duration": round(duration, 3),
            "suites": [{"name": o.name, "state": o.state, "reason": o.reason} for o in outcomes],
        }
        (cycle_dir / "cycle.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return CycleResult(cycle_id, target, state, reason, duration, outcomes)

    def _record(self, cycle_id: int, outcome: SuiteOutcome, outcomes: list[SuiteOutcome]) -> None:
        outcomes.append(outcome)
        self.history.record_suite(
            cycle_id,
            outcome.name,
            outcome.gate,
            outcome.state,
            outcome.reason,
            outcome.started,
            outcome.exit_code,
            outcome.results,
        )

    def _skip_all(self, cycle_id: int, state: str, reason: str, outcomes: list[SuiteOutcome]) -> None:
        done = {o.name for o in outcomes}
        for suite in self.config.config.suites:
            if suite.name not in done:
                self._record(cycle_id, SuiteOutcome(suite.name, suite.gate, state, reason, time.time(), None), outcomes)

    def _run(
        self,
        cycle_id: int,
        target: Target,
        heads: dict[str, dict[str, str]],
        cycle_dir: Path,
        deadline: float,
        outcomes: list[SuiteOutcome],
    ) -> tuple[str, str]:
        from vrack.spec import SpecError
        from vrack.testing import PortsUnavailable, RackStartError, start_rack

        inputs = json.loads(self.history.cycle(cycle_id)["inputs"])  # type: ignore[index]
        src: dict[str, Path] = {}
        try:
            for repo in self.config.config.repositories:
                src[repo.name] = cycle_dir / "src" / repo.name
                self.sources.checkout(repo, inputs["repositories"][repo.name], src[repo.name])
        except SourceError as exc:
            self._skip_all(cycle_id, "error", f"checkout failed: {exc}", outcomes)
            return "error", f"checkout failed: {exc}"
        rack_cfg = self.config.config.rack
        rack_root = cycle_dir / "rack"
        try:
            rack = start_rack(
                self.config.spec_path,
                mode=rack_cfg.mode,
                state_dir=rack_root,
                timeout=max(1.0, min(rack_cfg.start_timeout, deadline - time.monotonic())),
            )
        except (RackStartError, SpecError, PortsUnavailable, OSError) as exc:
            reason = f"the rack did not start: {exc}"
            (cycle_dir / "rack-start-error.txt").write_text(str(exc) + "\n", encoding="utf-8")
            self._skip_all(cycle_id, "error", reason, outcomes)
            return "error", reason
        try:
            values = {
                "python": sys.executable,
                "api_url": rack.api_url,
                "spec": str(self.config.spec_path),
                "artifacts": str(cycle_dir),
                "state_dir": str(rack_root),
            }
            base_env = {
                "VRACK_STATE_DIR": str(rack_root),
                "VRACK_CI_API_URL": rack.api_url,
                "VRACK_CI_CYCLE": str(cycle_id),
                "VRACK_CI_TARGET": target.label(),
            }
            base_env.update({f"VRACK_CI_SRC_{n.upper().replace('-', '_')}": str(p) for n, p in src.items()})
            for suite in self.config.config.suites:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._skip_all(cycle_id, "timeout", "the cycle reached its timeout before this suite", outcomes)
                    break
                cwd = src[suite.repo] if suite.repo else cycle_dir
                env = _suite_env(self.config, {**base_env, **suite.env})
                limit = min(suite.timeout, remaining)
                outcome = run_suite(suite, cwd, cycle_dir / "junit", {**values, "src": str(cwd)}, env, limit)
                if outcome.state == "timeout" and limit < suite.timeout:
                    outcome.reason = f"stopped at the cycle's timeout ({self.config.config.cycle.timeout:.0f} s)"
                self._record(cycle_id, outcome, outcomes)
        finally:
            rack.stop(keep_journal=True)
            (cycle_dir / "rack-output.log").write_text(rack.output(), encoding="utf-8")
        state = overall_state(outcomes)
        bad = [f"{o.name}: {o.state}" + (f" ({o.reason})" if o.reason else "") for o in outcomes if o.state != "passed"]
        return state, "; ".join(bad)
