"""The ``vrack ci`` configuration: one YAML file in, a typed, frozen, validated model out.

``load_config(path)`` validates the way rack specs are validated (:mod:`vrack.located`): every problem
is collected before failing and names its line, its path in the document and what would be valid.
Relative paths (the rack spec, history, artifacts, a local repository URL) are resolved against the
directory of the configuration file, so a config means the same thing wherever ``vrack ci`` is started.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vrack.located import SpecError, SpecIssue, located, validate_document
from vrack.yamlsource import PathKey, YamlSyntaxError, load_yaml_file

__all__ = [
    "CiConfig",
    "ConfigFile",
    "GithubSpec",
    "RepositorySpec",
    "SuiteSpec",
    "load_config",
]

NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
GITHUB_REPO_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
ENV_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
PATTERN_HELP = {
    NAME_PATTERN: "use lower-case letters, digits and '-', starting with a letter",
    GITHUB_REPO_PATTERN: "write OWNER/NAME, e.g. RackHD/on-http",
    ENV_PATTERN: "name an environment variable (upper-case letters, digits, '_'), e.g. GITHUB_TOKEN",
}

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Seconds = Annotated[float, Field(gt=0, le=7 * 24 * 3600)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GithubSpec(_Model):
    """Where the repository lives on GitHub: its open pull requests are tested and PR gates posted there."""

    repo: Annotated[str, StringConstraints(pattern=GITHUB_REPO_PATTERN)]
    api_url: str = Field(default="https://api.github.com", pattern=r"^https?://")
    # The token is never written in the file: only the name of the variable that holds it.
    token_env: Annotated[str, StringConstraints(pattern=ENV_PATTERN)] = "GITHUB_TOKEN"
    pull_requests: bool = True
    retries: Annotated[int, Field(ge=0, le=10)] = 4
    backoff: Annotated[float, Field(ge=0, le=60)] = Field(default=0.5, description="urllib3 backoff factor")


class RepositorySpec(_Model):
    """A watched git repository: its branch head, and its open PR heads when ``github`` is set."""

    name: Name
    url: str = Field(min_length=1, description="git URL, or a path relative to the config file")
    branch: str = Field(default="main", min_length=1, pattern=r"^[A-Za-z0-9._/-]+$")
    github: GithubSpec | None = None


class RackSection(_Model):
    spec: str = Field(min_length=1, description="rack spec, relative to the config file")
    mode: Literal["process", "inprocess"] = "process"
    start_timeout: Seconds = 120.0


class SuiteSpec(_Model):
    """A suite: any command that writes JUnit XML to ``{junit}`` (placeholders: junit, api_url, spec, artifacts)."""

    name: Name
    command: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)
    repo: Name | None = Field(default=None, description="run in this repository's checkout")
    gate: bool = False
    timeout: Seconds = 1800.0
    env: dict[Annotated[str, StringConstraints(pattern=ENV_PATTERN)], str] = Field(default_factory=dict)


class CycleSection(_Model):
    timeout: Seconds = 3600.0
    pause: Annotated[float, Field(ge=0, le=24 * 3600)] = 0.0


class StorageSection(_Model):
    history: str = "ci-state/history.sqlite"
    artifacts: str = "ci-state/artifacts"


class DashboardSection(_Model):
    host: str = Field(default="127.0.0.1", pattern=r"^[0-9.]+$|^localhost$")
    port: Annotated[int, Field(ge=0, le=65535)] = 8642
    public_url: str | None = Field(default=None, pattern=r"^https?://", description="base of the links in PR statuses")


class CiConfig(_Model):
    name: Name
    repositories: list[RepositorySpec] = Field(min_length=1)
    rack: RackSection
    suites: list[SuiteSpec] = Field(min_length=1)
    cycle: CycleSection = CycleSection()
    storage: StorageSection = StorageSection()
    dashboard: DashboardSection = DashboardSection()


@dataclass(frozen=True)
class ConfigFile:
    """A validated config and the directory its relative paths are resolved against."""

    config: CiConfig
    path: Path

    @property
    def base(self) -> Path:
        return self.path.parent

    def resolve(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base / p).resolve()

    @property
    def spec_path(self) -> Path:
        return self.resolve(self.config.rack.spec)

    @property
    def history_path(self) -> Path:
        return self.resolve(self.config.storage.history)

    @property
    def artifacts_dir(self) -> Path:
        return self.resolve(self.config.storage.artifacts)

    def repo_url(self, repo: RepositorySpec) -> str:
        """A URL git understands: remote URLs as written, local paths resolved against the config."""
        if "://" in repo.url or repo.url.startswith("git@"):
            return repo.url
        return str(self.resolve(repo.url))

    @property
    def public_url(self) -> str:
        d = self.config.dashboard
        return (d.public_url or f"http://{d.host}:{d.port}").rstrip("/")

    def suites_fingerprint(self) -> str:
        """Changes when any suite's command, timeout or environment changes (part of a cycle's inputs)."""
        text = json.dumps([s.model_dump() for s in self.config.suites], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cross_checks(config: CiConfig, base: Path) -> list[tuple[PathKey, str]]:
    problems: list[tuple[PathKey, str]] = []
    repos = [r.name for r in config.repositories]
    for kind, names in (("repositories", repos), ("suites", [s.name for s in config.suites])):
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                problems.append(((kind, i, "name"), f"{name!r} is used twice; each name must be unique"))
            seen.add(name)
    for i, suite in enumerate(config.suites):
        if suite.repo is not None and suite.repo not in repos:
            problems.append((("suites", i, "repo"), f"unknown repository {suite.repo!r} (valid: {', '.join(repos)})"))
        if not any("{junit}" in part for part in suite.command):
            problems.append(
                (
                    ("suites", i, "command"),
                    "the command must write JUnit XML to {junit}, e.g. pytest --junitxml={junit}",
                )
            )
    spec = Path(config.rack.spec)
    spec = spec if spec.is_absolute() else base / spec
    if not spec.is_file():
        problems.append((("rack", "spec"), f"{config.rack.spec}: no such file (relative to {base})"))
    for i, repo in enumerate(config.repositories):
        if "://" in repo.url or repo.url.startswith("git@"):
            continue
        local = Path(repo.url) if Path(repo.url).is_absolute() else base / repo.url
        if not local.exists():
            problems.append((("repositories", i, "url"), f"{repo.url}: no such path; give a git URL or a local repo"))
    return problems


def load_config(path: str | Path) -> ConfigFile:
    """Read and validate the config at ``path``; :class:`SpecError` lists every problem with its line."""
    try:
        doc = load_yaml_file(path)
    except YamlSyntaxError as exc:
        raise SpecError(str(path), [SpecIssue("", exc.line, exc.message)]) from None
    what = "a vrack ci config is a mapping with keys name, repositories, rack, suites, ..."
    config = validate_document(doc, CiConfig, what, PATTERN_HELP)
    base = Path(path).resolve().parent
    problems = _cross_checks(config, base)
    if problems:
        raise located(doc, problems)
    return ConfigFile(config, Path(path).resolve())
