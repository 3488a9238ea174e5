"""The continuous loop of ``vrack ci run``: fetch, choose a target, run a cycle, post, and again at once.

One runner per history file (an exclusive lock; a second ``vrack ci run`` on the same history refuses),
so cycles never overlap.  At start the runner resumes from the history: cycles a killed runner left
``running`` become ``interrupted`` (their target is tested again) and statuses still in the outbox are
posted.  Target choice: a head (branch or PR) no finished cycle has tested yet, in the order of
:func:`vrack_ci.sources.candidates`; when every head is tested, the one tested longest ago (re-running
the same inputs is what reveals flaky tests).  A fetch that fails (a lost network) is reported and
retried; heads fetched before stay usable.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from vrack_ci.config import ConfigFile
from vrack_ci.cycle import CycleResult, CycleRunner, cycle_inputs
from vrack_ci.gates import Gates
from vrack_ci.history import History, Target
from vrack_ci.sources import PullHead, SourceError, Sources, candidates

FETCH_RETRY_MAX = 60.0


class RunnerBusy(Exception):
    """Another ``vrack ci run`` holds this history."""


def choose(targets: list[Target], history: History) -> Target | None:
    """The first untested target, else the one tested longest ago."""
    if not targets:
        return None
    tested = [(history.last_tested(t.repo, t.sha), i) for i, t in enumerate(targets)]
    for when, i in tested:
        if when is None:
            return targets[i]
    return targets[min(tested)[1]]


class Runner:
    """Cycles for ``config`` until ``stop`` is set or ``cycles`` cycles ran."""

    def __init__(
        self,
        config: ConfigFile,
        gates: Gates | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.config = config
        self.log = log
        self.history = History(config.history_path)
        self.sources = Sources(config, config.history_path.parent / "repos")
        self.gates = gates if gates is not None else Gates(config, self.history, log)
        self.cycle_runner = CycleRunner(config, self.history, self.sources)
        self.heads: dict[str, dict[str, str]] = {}
        self._lock: IO[str] | None = None
        # seconds between the end of a cycle and the start of the next (the last 1,000)
        self.pauses: deque[float] = deque(maxlen=1000)

    def _acquire(self) -> None:
        lock_path = Path(str(self.config.history_path) + ".lock")
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise RunnerBusy(f"another vrack ci run (pid {holder}) is using {self.config.history_path}") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self.history.close()

    def fetch(self) -> bool:
        """Refresh ``heads`` from every repository; False when any fetch failed (reported).

        GitHub unreachable: the branch heads are still fetched (PR heads wait for the next cycle).
        git unreachable: the heads fetched before stay (the mirror still has their commits).
        """
        ok = True
        for repo in self.config.config.repositories:
            pulls: list[PullHead] = []
            try:
                pulls = self.gates.pulls(repo)
            except Exception as exc:  # GithubError and the like carry their own clear message
                self.log(f"vrack ci: listing the pull requests of {repo.name} failed (branch only this time): {exc}")
                ok = False
            try:
                self.heads[repo.name] = self.sources.fetch(repo, pulls)
            except (SourceError, OSError) as exc:
                self.log(f"vrack ci: fetching {repo.name} failed (testing what was fetched before): {exc}")
                ok = False
        return ok

    def resume(self) -> None:
        for cycle_id in self.history.recover():
            self.log(f"vrack ci: cycle {cycle_id} was interrupted by a restart; its target will be tested again")
        self.gates.flush()

    def one_cycle(self) -> CycleResult | None:
        target = choose(candidates(self.config, self.heads), self.history)
        if target is None:
            return None
        inputs, key = cycle_inputs(self.config, target, self.heads)
        cycle_id = self.history.start_cycle(target, inputs, key)
        self.log(f"vrack ci: cycle {cycle_id}: {target.label()}")
        self.gates.cycle_started(cycle_id, target)
        result = self.cycle_runner.run(cycle_id, target, self.heads)
        self.gates.cycle_finished(result)
        reason = f" ({result.reason})" if result.reason else ""
        self.log(f"vrack ci: cycle {cycle_id}: {result.state} in {result.duration:.1f} s{reason}")
        return result

    def run(self, cycles: int | None = None, stop: threading.Event | None = None) -> list[CycleResult]:
        """Cycle until ``stop`` is set (or ``cycles`` ran); the results of this run."""
        stop = stop or threading.Event()
        self._acquire()
        results: list[CycleResult] = []  # kept only for a bounded run: a run without end keeps no result
        count = 0
        retry = 1.0
        ended: float | None = None
        try:
            self.resume()
            while not stop.is_set() and (cycles is None or count < cycles):
                fetched = self.fetch()
                if not fetched and not any(self.heads.values()):
                    stop.wait(retry)
                    retry = min(FETCH_RETRY_MAX, retry * 2)
                    continue
                retry = 1.0
                if ended is not None:
                    self.pauses.append(time.monotonic() - ended)
                result = self.one_cycle()
                if result is None:
                    self.log("vrack ci: nothing to test (no branch head fetched)")
                    stop.wait(retry)
                    continue
                count += 1
                if cycles is not None:
                    results.append(result)
                ended = time.monotonic()
                if self.config.config.cycle.pause:
                    stop.wait(self.config.config.cycle.pause)
        finally:
            self.gates.close()
            self.close()
        return results
