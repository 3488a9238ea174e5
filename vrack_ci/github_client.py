"""GitHub through PyGithub: open pull requests and commit statuses, nothing else.

Requests used (and asserted by the tests against a local stand-in of GitHub's REST API):
``GET /repos/{o}/{r}/pulls?state=open``, ``GET /repos/{o}/{r}/statuses/{sha}`` (is this status
already there? a restart must never post one twice), ``POST /repos/{o}/{r}/statuses/{sha}``.
Rate limits (403/429 with ``Retry-After`` or ``X-RateLimit-Reset``) and 5xx are retried by PyGithub's
``GithubRetry`` with a bounded wait; what still fails raises :class:`GithubError` with a message that
says what to do and never contains the token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import github
import requests
from github import Auth, Github, GithubRetry

from vrack_ci.config import GithubSpec
from vrack_ci.sources import PullHead

MAX_RATE_LIMIT_WAIT = 300.0
TIMEOUT = 30


class GithubError(Exception):
    """GitHub refused or could not be reached; the message is safe to print (no token)."""


@dataclass(frozen=True)
class PostedStatus:
    context: str
    state: str
    description: str
    target_url: str


class GithubClient:
    """One repository on one GitHub (or GitHub Enterprise) API, authenticated by the token in ``token_env``."""

    def __init__(self, spec: GithubSpec) -> None:
        self.spec = spec
        token = os.environ.get(spec.token_env, "")
        if not token:
            raise GithubError(
                f"${spec.token_env} is not set: vrack ci needs a GitHub token with the repo:status scope "
                f"(a fine-grained token: 'Commit statuses: write' and 'Pull requests: read') for {spec.repo}"
            )
        self._token = token
        retry = GithubRetry(
            total=spec.retries,
            backoff_factor=spec.backoff,
            max_rate_limit_wait=MAX_RATE_LIMIT_WAIT,
            status_forcelist=[*range(500, 600), 429],
            secondary_rate_wait=max(1.0, spec.backoff * 10),
        )
        self._github = Github(
            auth=Auth.Token(token), base_url=spec.api_url.rstrip("/"), retry=retry, timeout=TIMEOUT, lazy=True
        )
        self._repo = self._github.get_repo(spec.repo)

    def close(self) -> None:
        self._github.close()

    def _clean(self, text: str) -> str:
        return text.replace(self._token, "***")

    def _fail(self, action: str, exc: Exception) -> GithubError:
        where = f"{self.spec.repo} at {self.spec.api_url}"
        if isinstance(exc, github.BadCredentialsException):
            msg = f"GitHub refused the token in ${self.spec.token_env} (401 Bad credentials) while {action} for {where}"
        elif isinstance(exc, github.RateLimitExceededException):
            msg = f"GitHub's rate limit for this token is exhausted while {action} for {where}; try again later"
        elif isinstance(exc, github.UnknownObjectException):
            msg = f"GitHub answered 404 while {action}: no repository {self.spec.repo} visible to this token"
        elif isinstance(exc, github.GithubException) and exc.status == 403:
            msg = (
                f"GitHub answered 403 while {action} for {where}: the token in ${self.spec.token_env} lacks "
                f"the permission (repo:status / commit statuses: write)"
            )
        elif isinstance(exc, github.GithubException):
            detail = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
            msg = (
                f"GitHub answered {exc.status} while {action} for {where} (after {self.spec.retries} retries): {detail}"
            )
        elif isinstance(exc, requests.exceptions.RetryError):
            why = getattr(exc.args[0], "reason", None) if exc.args else None
            msg = f"GitHub kept failing while {action} for {where} (gave up after {self.spec.retries} retries: {why})"
        elif isinstance(exc, requests.exceptions.RequestException):
            msg = f"cannot reach GitHub at {self.spec.api_url} while {action}: {type(exc).__name__}"
        else:
            msg = f"{action} for {where} failed: {type(exc).__name__}: {exc}"
        return GithubError(self._clean(msg))

    def open_pulls(self) -> list[PullHead]:
        """Every open pull request's number and head SHA."""
        try:
            return [PullHead(p.number, p.head.sha) for p in self._repo.get_pulls(state="open", sort="created")]
        except (github.GithubException, requests.exceptions.RequestException) as exc:
            raise self._fail("listing open pull requests", exc) from None

    def statuses(self, sha: str) -> list[PostedStatus]:
        try:
            commit = self._repo.get_commit(sha)
            return [
                PostedStatus(s.context, s.state, s.description or "", s.target_url or "") for s in commit.get_statuses()
            ]
        except (github.GithubException, requests.exceptions.RequestException) as exc:
            raise self._fail(f"reading the statuses of {sha[:10]}", exc) from None

    def post_status(self, sha: str, status: PostedStatus) -> None:
        try:
            self._repo.get_commit(sha).create_status(
                state=status.state,
                target_url=status.target_url,
                description=status.description,
                context=status.context,
            )
        except (github.GithubException, requests.exceptions.RequestException) as exc:
            raise self._fail(f"posting status {status.context}={status.state} on {sha[:10]}", exc) from None
