"""Fetching the watched repositories: each one's branch head and (through GitHub) its open PR heads.

Each repository is mirrored into ``<artifacts>/../repos/<name>.git`` (a bare repository, fetched again
at every cycle); a cycle gets a fresh checkout of the exact SHA it tests.  PR heads are fetched from
``refs/pull/N/head``, the ref GitHub keeps for every pull request.  git runs with a clean environment
and never prompts, so a repository that needs credentials fails with git's message instead of hanging.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vrack_ci.config import ConfigFile, RepositorySpec
from vrack_ci.history import Target

GIT_TIMEOUT = 300.0


class SourceError(Exception):
    """A repository could not be fetched or checked out (git's message included)."""


@dataclass(frozen=True)
class PullHead:
    number: int
    sha: str


PullLister = Callable[[RepositorySpec], list[PullHead]]


def _command(args: tuple[str, ...]) -> str:
    """The git subcommand in ``args`` (``fetch``), past options such as ``--git-dir DIR``."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0] in ("--git-dir", "-c", "-C") else rest[1:]
    return rest[0] if rest else "?"


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {_command(args)} took more than {GIT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise SourceError(f"git {_command(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class Sources:
    """The mirrors of the watched repositories under ``root``."""

    def __init__(self, config: ConfigFile, root: Path) -> None:
        self.config = config
        self.root = root

    def mirror(self, repo: RepositorySpec) -> Path:
        return self.root / f"{repo.name}.git"

    def fetch(self, repo: RepositorySpec, pulls: list[PullHead]) -> dict[str, str]:
        """Fetch the branch and the given PR heads; ref ("main", "pull/7") -> SHA as fetched."""
        mirror = self.mirror(repo)
        if not (mirror / "HEAD").exists():
            mirror.mkdir(parents=True, exist_ok=True)
            _git("init", "--quiet", "--bare", str(mirror))
        refspecs = [f"+refs/heads/{repo.branch}:refs/heads/{repo.branch}"]
        refspecs += [f"+refs/pull/{p.number}/head:refs/pull/{p.number}/head" for p in pulls]
        _git(
            "--git-dir", str(mirror), "fetch", "--quiet", "--prune", "--no-tags", self.config.repo_url(repo), *refspecs
        )
        heads = {repo.branch: _git("--git-dir", str(mirror), "rev-parse", f"refs/heads/{repo.branch}").strip()}
        for pull in pulls:
            fetched = _git("--git-dir", str(mirror), "rev-parse", f"refs/pull/{pull.number}/head").strip()
            if fetched == pull.sha:  # a head pushed between the API call and the fetch waits for the next cycle
                heads[f"pull/{pull.number}"] = pull.sha
        return heads

    def checkout(self, repo: RepositorySpec, sha: str, dest: Path) -> None:
        """A fresh working tree of ``sha`` at ``dest``."""
        _git("clone", "--quiet", "--no-checkout", str(self.mirror(repo)), str(dest))
        _git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha, cwd=dest)


def candidates(config: ConfigFile, heads: dict[str, dict[str, str]]) -> list[Target]:
    """Every testable target: each repository's branch head first, then its PR heads by number."""
    found: list[Target] = []
    for repo in config.config.repositories:
        refs = heads.get(repo.name, {})
        if repo.branch in refs:
            found.append(Target(repo.name, "branch", repo.branch, refs[repo.branch]))
        pulls = sorted((int(ref.split("/")[1]), sha) for ref, sha in refs.items() if ref.startswith("pull/"))
        found += [Target(repo.name, "pr", f"pull/{number}", sha) for number, sha in pulls]
    return found
