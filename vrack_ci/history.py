"""The CI history: one SQLite file holding every cycle, its inputs, each suite and test result, and the
PR statuses to post (an outbox, so that a restart neither loses nor repeats one).

Every write is committed at once: a runner killed at any moment leaves the results it had, and the
next runner finds the cycle still ``running`` and marks it ``interrupted`` (:meth:`History.recover`).
Flaky tests are those with both a pass and a failure among cycles with the same inputs
(:meth:`History.flaky`).  The dashboard opens its own read connections (WAL mode lets it read while
the runner writes).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrack_ci.junit import TestResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    finished REAL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    target_repo TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    target_sha TEXT NOT NULL,
    inputs TEXT NOT NULL,
    inputs_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS suites (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    name TEXT NOT NULL,
    gate INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL,
    finished REAL NOT NULL,
    exit_code INTEGER,
    counts TEXT NOT NULL,
    PRIMARY KEY (cycle_id, name)
);
CREATE TABLE IF NOT EXISTS tests (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    suite TEXT NOT NULL,
    test_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    duration REAL NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tests_by_id ON tests (suite, test_id);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    github_repo TEXT NOT NULL,
    api_url TEXT NOT NULL,
    token_env TEXT NOT NULL,
    sha TEXT NOT NULL,
    context TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    target_url TEXT NOT NULL,
    created REAL NOT NULL,
    posted REAL,
    superseded INTEGER NOT NULL DEFAULT 0
);
"""

FINISHED = ("passed", "failed", "error", "timeout")


@dataclass(frozen=True)
class Target:
    """What a cycle tests: a repository's branch head or one of its PR heads."""

    repo: str
    kind: str  # "branch" or "pr"
    ref: str  # "main" or "pull/7"
    sha: str

    def label(self) -> str:
        return f"{self.repo} {self.ref} @ {self.sha[:10]}"


@dataclass(frozen=True)
class Status:
    """A commit status waiting in the outbox (or already posted)."""

    id: int
    cycle_id: int
    github_repo: str
    api_url: str
    token_env: str
    sha: str
    context: str
    state: str
    description: str
    target_url: str


class History:
    """The SQLite history at ``path`` (created with its tables on first use)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(sql, tuple(args))]

    # ------------------------------------------------------------------ cycles

    def recover(self) -> list[int]:
        """Mark cycles a previous runner left ``running`` as ``interrupted``; their ids."""
        ids = [int(r["id"]) for r in self._rows("SELECT id FROM cycles WHERE state = 'running'")]
        for cycle_id in ids:
            self.db.execute(
                "UPDATE cycles SET state = 'interrupted', finished = ?, reason = ? WHERE id = ?",
                (time.time(), "vrack ci stopped during this cycle; its target is tested again", cycle_id),
            )
        return ids

    def start_cycle(self, target: Target, inputs: dict[str, Any], inputs_key: str) -> int:
        cur = self.db.execute(
            "INSERT INTO cycles (started, state, target_repo, target_kind, target_ref, target_sha, inputs, inputs_key)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
            (time.time(), target.repo, target.kind, target.ref, target.sha, json.dumps(inputs), inputs_key),
        )
        return int(cur.lastrowid or 0)

    def finish_cycle(self, cycle_id: int, state: str, reason: str = "") -> None:
        self.db.execute(
            "UPDATE cycles SET state = ?, reason = ?, finished = ? WHERE id = ?", (state, reason, time.time(), cycle_id)
        )

    def record_suite(
        self,
        cycle_id: int,
        name: str,
        gate: bool,
        state: str,
        reason: str,
        started: float,
        exit_code: int | None,
        results: list[TestResult],
    ) -> None:
        """One suite's outcome and every test it ran, in one transaction."""
        from vrack_ci.junit import summarize

        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO suites (cycle_id, name, gate, state, reason, started, finished, exit_code, counts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cycle_id,
                    name,
                    int(gate),
                    state,
                    reason,
                    started,
                    time.time(),
                    exit_code,
                    json.dumps(summarize(results)),
                ),
            )
            self.db.executemany(
                "INSERT INTO tests (cycle_id, suite, test_id, outcome, duration, message) VALUES (?, ?, ?, ?, ?, ?)",
                [(cycle_id, name, r.test_id, r.outcome, r.duration, r.message) for r in results],
            )

    def cycles(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM cycles ORDER BY id DESC LIMIT ?", (limit,))

    def cycle(self, cycle_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM cycles WHERE id = ?", (cycle_id,))
        return rows[0] if rows else None

    def suites(self, cycle_id: int) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM suites WHERE cycle_id = ? ORDER BY started", (cycle_id,))
        for row in rows:
            row["counts"] = json.loads(row["counts"])
        return rows

    def tests(self, cycle_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM tests WHERE cycle_id = ? ORDER BY rowid", (cycle_id,))

    def last_tested(self, repo: str, sha: str) -> float | None:
        """When a finished cycle last tested ``sha`` of ``repo`` (None: never)."""
        row = self.db.execute(
            f"SELECT MAX(finished) FROM cycles WHERE target_repo = ? AND target_sha = ? AND state IN {FINISHED}",
            (repo, sha),
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    # ------------------------------------------------------------------ tests across cycles

    def test_history(self, suite: str, test_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT t.cycle_id, t.outcome, t.duration, t.message, c.target_ref, c.target_sha, c.inputs_key"
            " FROM tests t JOIN cycles c ON c.id = t.cycle_id WHERE t.suite = ? AND t.test_id = ?"
            " ORDER BY t.cycle_id DESC LIMIT ?",
            (suite, test_id, limit),
        )

    def test_summary(self) -> list[dict[str, Any]]:
        """Per test: runs, passes, failures, mean duration, last outcome."""
        return self._rows(
            "SELECT suite, test_id, COUNT(*) AS runs,"
            " SUM(outcome = 'passed') AS passed, SUM(outcome IN ('failed', 'error')) AS failed,"
            " AVG(duration) AS mean_duration,"
            " (SELECT outcome FROM tests t2 WHERE t2.suite = t.suite AND t2.test_id = t.test_id"
            "  ORDER BY cycle_id DESC LIMIT 1) AS last_outcome"
            " FROM tests t GROUP BY suite, test_id ORDER BY suite, test_id"
        )

    def flaky(self) -> list[dict[str, Any]]:
        """Tests that passed and failed on the same inputs (same SHAs, spec and suites)."""
        return self._rows(
            "SELECT t.suite, t.test_id, c.inputs_key, SUM(t.outcome = 'passed') AS passed,"
            " SUM(t.outcome IN ('failed', 'error')) AS failed, GROUP_CONCAT(t.cycle_id) AS cycles"
            " FROM tests t JOIN cycles c ON c.id = t.cycle_id"
            " GROUP BY t.suite, t.test_id, c.inputs_key"
            " HAVING SUM(t.outcome = 'passed') > 0 AND SUM(t.outcome IN ('failed', 'error')) > 0"
            " ORDER BY t.suite, t.test_id"
        )

    # ------------------------------------------------------------------ status outbox

    def queue_status(
        self,
        cycle_id: int,
        github: dict[str, str],
        sha: str,
        context: str,
        state: str,
        description: str,
        target_url: str,
    ) -> None:
        """Put a status in the outbox; older unposted ones for the same commit and context are superseded."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE statuses SET superseded = 1"
                " WHERE github_repo = ? AND sha = ? AND context = ? AND posted IS NULL",
                (github["repo"], sha, context),
            )
            self.db.execute(
                "INSERT INTO statuses (cycle_id, github_repo, api_url, token_env, sha, context, state, description,"
                " target_url, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cycle_id,
                    github["repo"],
                    github["api_url"],
                    github["token_env"],
                    sha,
                    context,
                    state,
                    description[:140],
                    target_url,
                    time.time(),
                ),
            )

    def unposted(self) -> list[Status]:
        rows = self._rows(
            "SELECT id, cycle_id, github_repo, api_url, token_env, sha, context, state, description, target_url"
            " FROM statuses WHERE posted IS NULL AND superseded = 0 ORDER BY id"
        )
        return [Status(**row) for row in rows]

    def mark_posted(self, status_id: int) -> None:
        self.db.execute("UPDATE statuses SET posted = ? WHERE id = ?", (time.time(), status_id))

    def statuses(self, cycle_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM statuses WHERE cycle_id = ? ORDER BY id", (cycle_id,))
