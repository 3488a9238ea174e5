"""Fixtures for the vrack ci tests: a watched git repository, the GitHub stand-in, configs.

Loopback: this area's range is 127.67.0.0/16 (racks on 127.67.N.0/24, the stand-in on 127.67.0.1).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ci.github_standin import GithubStandIn, serve

ADDRESS = "127.67.0.1"
TOKEN = "ghp_standin0123456789abcdefSECRET"
TOKEN_ENV = "VRACK_CI_TEST_TOKEN"
SUITE = Path(__file__).with_name("junit_suite.py")


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Upstream:
    """A git repository standing for a watched one: main, and PR heads under refs/pull/N/head."""

    path: Path

    def commit(self, behaviour: str, message: str) -> str:
        (self.path / "behaviour").write_text(behaviour + "\n")
        git(self.path, "add", "behaviour")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def pull(self, number: int, behaviour: str) -> str:
        """A PR head branching off main, kept at refs/pull/N/head as GitHub keeps it."""
        git(self.path, "checkout", "-q", "-b", f"pr{number}", "main")
        sha = self.commit(behaviour, f"PR {number}")
        git(self.path, "update-ref", f"refs/pull/{number}/head", sha)
        git(self.path, "checkout", "-q", "main")
        return sha


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    repo = Upstream(tmp_path / "upstream")
    repo.path.mkdir()
    git(repo.path, "init", "-q", "-b", "main")
    repo.commit("pass", "main")
    return repo


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GithubStandIn, str]]:
    """The GitHub stand-in and its API URL; the token is in $VRACK_CI_TEST_TOKEN."""
    standin = GithubStandIn(TOKEN)
    server = serve(standin, ADDRESS)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    yield standin, f"http://{ADDRESS}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rack_spec(path: Path, subnet: int) -> Path:
    path.write_text(
        f"rack: ci-test\nseed: ci-test-{subnet}\nnetworks:\n  management: 127.67.{subnet}.0/24\ndevices:\n"
        "  - name: node01\n    kind: compute\n    model: quanta-d51\n"
        "    bmc:\n      users:\n        - {name: admin, password: admin, privilege: administrator}\n"
    )
    return path


def write_config(
    tmp_path: Path,
    upstream: Upstream,
    subnet: int,
    api_url: str | None = None,
    suites: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Path:
    """A config watching ``upstream`` (with its PRs on the stand-in when ``api_url``)."""
    repo: dict[str, Any] = {"name": "proj", "url": str(upstream.path), "branch": "main"}
    if api_url:
        repo["github"] = {"repo": "acme/proj", "api_url": api_url, "token_env": TOKEN_ENV, "backoff": 0.01}
    config = {
        "name": "test-ci",
        "repositories": [repo],
        "rack": {"spec": str(rack_spec(tmp_path / "rack.yaml", subnet)), "start_timeout": 60},
        "suites": suites
        or [
            {
                "name": "gate",
                "repo": "proj",
                "gate": True,
                "timeout": 120,
                "command": [sys.executable, str(SUITE), "{junit}"],
            }
        ],
        "cycle": {"timeout": 300},
        "storage": {"history": str(tmp_path / "state/history.sqlite"), "artifacts": str(tmp_path / "state/art")},
        "dashboard": {"public_url": "http://ci.example.invalid"},
        **extra,
    }
    path = tmp_path / "ci.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
