"""PR gates: a commit status per gate suite on each PR head a cycle tests.

``pending`` when the cycle starts, then ``success`` / ``failure`` / ``error`` with a description and a
link to the cycle's page on the dashboard.  Statuses go through the history's outbox: queued first,
posted, then marked posted.  A status GitHub already shows (same context, state, description and link;
e.g. posted just before a crash) is not posted again; one that could not be posted (GitHub down, a bad
token) stays in the outbox and is retried after the next cycle and at the next start.  Only the newest
status per commit and context is ever posted.
"""

from __future__ import annotations

from collections.abc import Callable

from vrack_ci.config import ConfigFile, GithubSpec, RepositorySpec
from vrack_ci.cycle import CycleResult
from vrack_ci.github_client import GithubClient, GithubError, PostedStatus
from vrack_ci.history import History, Target
from vrack_ci.sources import PullHead

CONTEXT_PREFIX = "vrack-ci"
GITHUB_STATE = {"passed": "success", "failed": "failure", "error": "error", "timeout": "error"}

ClientFactory = Callable[[GithubSpec], GithubClient]


class Gates:
    """Lists PR heads and posts statuses for the repositories of ``config`` that name a GitHub repo."""

    def __init__(
        self,
        config: ConfigFile,
        history: History,
        log: Callable[[str], None] = print,
        client_factory: ClientFactory = GithubClient,
    ) -> None:
        self.config = config
        self.history = history
        self.log = log
        self.client_factory = client_factory
        self._clients: dict[tuple[str, str, str], GithubClient] = {}

    def _client(self, spec: GithubSpec) -> GithubClient:
        key = (spec.api_url, spec.repo, spec.token_env)
        if key not in self._clients:
            self._clients[key] = self.client_factory(spec)
        return self._clients[key]

    def _repo(self, name: str) -> RepositorySpec:
        return next(r for r in self.config.config.repositories if r.name == name)

    def _spec(self, repo: str, api_url: str, token_env: str) -> GithubSpec:
        """The config's GitHub settings for a queued status (its retries), or the queued ones alone."""
        for r in self.config.config.repositories:
            if r.github and (r.github.repo, r.github.api_url, r.github.token_env) == (repo, api_url, token_env):
                return r.github
        return GithubSpec(repo=repo, api_url=api_url, token_env=token_env)

    def pulls(self, repo: RepositorySpec) -> list[PullHead]:
        if repo.github is None or not repo.github.pull_requests:
            return []
        return self._client(repo.github).open_pulls()

    def _queue(self, cycle_id: int, target: Target, states: dict[str, tuple[str, str]]) -> None:
        """``states``: gate suite -> (GitHub state, description)."""
        repo = self._repo(target.repo)
        if target.kind != "pr" or repo.github is None:
            return
        github = {"repo": repo.github.repo, "api_url": repo.github.api_url, "token_env": repo.github.token_env}
        url = f"{self.config.public_url}/cycles/{cycle_id}"
        for suite, (state, description) in states.items():
            self.history.queue_status(
                cycle_id, github, target.sha, f"{CONTEXT_PREFIX}/{suite}", state, description, url
            )

    def cycle_started(self, cycle_id: int, target: Target) -> None:
        gates = [s.name for s in self.config.config.suites if s.gate]
        self._queue(cycle_id, target, {g: ("pending", f"cycle {cycle_id} is running") for g in gates})
        self.flush()

    def cycle_finished(self, result: CycleResult) -> None:
        states = {}
        for outcome in result.suites:
            if outcome.gate:
                text = f"{outcome.state}: {outcome.counts_text()} (cycle {result.cycle_id}, {result.duration:.0f} s)"
                if outcome.state in ("error", "timeout") and outcome.reason:
                    text += f": {outcome.reason}"
                states[outcome.name] = (GITHUB_STATE[outcome.state], text)
        self._queue(result.cycle_id, result.target, states)
        self.flush()

    def flush(self) -> int:
        """Post every status waiting in the outbox; how many were posted now."""
        posted = 0
        for status in self.history.unposted():
            spec = self._spec(status.github_repo, status.api_url, status.token_env)
            wanted = PostedStatus(status.context, status.state, status.description, status.target_url)
            try:
                client = self._client(spec)
                if wanted not in client.statuses(status.sha):
                    client.post_status(status.sha, wanted)
                    posted += 1
            except GithubError as exc:
                self.log(
                    f"vrack ci: status {status.context}={status.state} for {status.sha[:10]} kept for later: {exc}"
                )
                continue
            self.history.mark_posted(status.id)
        return posted

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
