"""The suite's settings: an ini file and/or the environment, checked with errors that name the setting.

Every setting has an ini key (``[section] key``) and an environment variable; the environment wins.
The ini file is ``--config INI`` (``vrack test rackhd``) or ``$RACKHD_SUITE_CONFIG``.

=========================  ==========================  ===========================================
ini                        environment                 meaning
=========================  ==========================  ===========================================
``[rackhd] url``           ``RACKHD_URL``              northbound API root, e.g. http://127.0.0.1:8080
``[rackhd] user``          ``RACKHD_USER``             API user (only when RackHD's endpoint has auth)
``[rackhd] password``      ``RACKHD_PASSWORD``         its password (never printed)
``[amqp] url``             ``RACKHD_AMQP_URL``         RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672/
``[mongo] url``            ``RACKHD_MONGO_URL``        MongoDB, e.g. mongodb://127.0.0.1:27017/pxe (optional)
``[rack] spec``            ``RACKHD_SUITE_SPEC``       the vrack rack spec the suite starts
``[suite] groups``         ``RACKHD_SUITE_GROUPS``     comma list of groups to run (default: all)
``[suite] graph_timeout``  ``RACKHD_GRAPH_TIMEOUT``     seconds a graph may take (default 300)
``[suite] poller_timeout`` ``RACKHD_POLLER_TIMEOUT``    seconds until pollers have data (default 300)
``[suite] http_timeout``   ``RACKHD_HTTP_TIMEOUT``     seconds for one API call (default 30)
=========================  ==========================  ===========================================

Without ``[amqp] url`` the suite waits for graphs through the workflow API instead of AMQP events; without
``[mongo] url`` its cleanup between groups goes through the API (and says "no MongoDB configured").
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

GROUPS = ("smoke", "obm", "pollers", "snmp", "discovery", "workflows")  # in run order
CONFIG_ENV = "RACKHD_SUITE_CONFIG"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names it (ini key and environment variable) and what is valid."""


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    env: str

    def __str__(self) -> str:
        return f"[{self.section}] {self.key} (environment {self.env})"


RACKHD_URL = Setting("rackhd", "url", "RACKHD_URL")
RACKHD_USER = Setting("rackhd", "user", "RACKHD_USER")
RACKHD_PASSWORD = Setting("rackhd", "password", "RACKHD_PASSWORD")
AMQP_URL = Setting("amqp", "url", "RACKHD_AMQP_URL")
MONGO_URL = Setting("mongo", "url", "RACKHD_MONGO_URL")
RACK_SPEC = Setting("rack", "spec", "RACKHD_SUITE_SPEC")
GROUPS_SETTING = Setting("suite", "groups", "RACKHD_SUITE_GROUPS")
GRAPH_TIMEOUT = Setting("suite", "graph_timeout", "RACKHD_GRAPH_TIMEOUT")
POLLER_TIMEOUT = Setting("suite", "poller_timeout", "RACKHD_POLLER_TIMEOUT")
HTTP_TIMEOUT = Setting("suite", "http_timeout", "RACKHD_HTTP_TIMEOUT")
SETTINGS = (
    RACKHD_URL,
    RACKHD_USER,
    RACKHD_PASSWORD,
    AMQP_URL,
    MONGO_URL,
    RACK_SPEC,
    GROUPS_SETTING,
    GRAPH_TIMEOUT,
    POLLER_TIMEOUT,
    HTTP_TIMEOUT,
)


@dataclass(frozen=True)
class SuiteConfig:
    """Checked settings (see the module docstring)."""

    rackhd_url: str
    rack_spec: Path | None = None
    rackhd_user: str | None = None
    rackhd_password: str | None = field(default=None, repr=False)
    amqp_url: str | None = field(default=None, repr=False)  # may carry a password
    mongo_url: str | None = field(default=None, repr=False)
    groups: tuple[str, ...] = GROUPS
    graph_timeout: float = 300.0
    poller_timeout: float = 300.0
    http_timeout: float = 30.0
    source: str = "environment"

    def describe(self) -> str:
        """One line per setting for the run's header, without secrets."""
        return "\n".join(
            [
                f"RackHD API   {self.rackhd_url}" + (f" (user {self.rackhd_user})" if self.rackhd_user else ""),
                f"AMQP         {redact(self.amqp_url) if self.amqp_url else 'not configured: graphs are polled'}",
                f"MongoDB      {redact(self.mongo_url) if self.mongo_url else 'not configured'}",
                f"rack spec    {self.rack_spec or 'not configured'}",
                f"groups       {', '.join(self.groups)}",
            ]
        )


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def _url(value: str, setting: Setting, schemes: tuple[str, ...], example: str) -> str:
    parts = urlparse(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(f"{setting}: {redact(value)!r} is not a {' or '.join(schemes)} URL (e.g. {example})")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise ConfigError(f"{setting}: {redact(value)!r} has a port that is not a number") from None
    return value.rstrip("/") if setting is RACKHD_URL else value


def _seconds(value: str, setting: Setting) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{setting}: {value!r} is not a number of seconds") from None
    if number <= 0:
        raise ConfigError(f"{setting}: {value!r} must be more than 0 seconds")
    return number


def _groups(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(g.strip() for g in value.split(",") if g.strip()))
    wrong = [g for g in names if g not in GROUPS]
    if wrong or not names:
        shown = ", ".join(repr(g) for g in wrong) or "nothing"
        raise ConfigError(f"{GROUPS_SETTING}: {shown} is not a group (valid: {', '.join(GROUPS)})")
    return names


def _read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file") from None
    except configparser.Error as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    known = {(s.section, s.key) for s in SETTINGS}
    for section in parser.sections():
        for key in parser[section]:
            if (section, key) not in known:
                valid = ", ".join(f"[{s.section}] {s.key}" for s in SETTINGS)
                raise ConfigError(f"config file {path}: unknown setting [{section}] {key} (valid: {valid})")
    return parser


def load_config(ini: str | Path | None = None, environ: Mapping[str, str] | None = None) -> SuiteConfig:
    """Read ``ini`` (default ``$RACKHD_SUITE_CONFIG``, or none) and the environment; raise :class:`ConfigError`."""
    env = os.environ if environ is None else environ
    ini = ini or env.get(CONFIG_ENV) or None
    parser = _read_ini(Path(ini)) if ini else configparser.ConfigParser(interpolation=None)
    source = f"{ini} and the environment" if ini else "the environment"

    def get(setting: Setting) -> str | None:
        value = env.get(setting.env)
        if value is None and parser.has_option(setting.section, setting.key):
            value = parser.get(setting.section, setting.key)
        value = value.strip() if value is not None else None
        return value or None

    url = get(RACKHD_URL)
    if url is None:
        raise ConfigError(
            f"{RACKHD_URL} is not set: the suite needs RackHD's northbound API, e.g. http://127.0.0.1:8080"
            + (f" (read {ini})" if ini else "")
        )
    user, password = get(RACKHD_USER), get(RACKHD_PASSWORD)
    if (user is None) != (password is None):
        missing = RACKHD_PASSWORD if password is None else RACKHD_USER
        raise ConfigError(f"{missing} is not set: RackHD API login needs both a user and a password")
    spec_text = get(RACK_SPEC)
    spec = Path(spec_text) if spec_text else None
    if spec is not None and ini and not spec.is_absolute() and not spec.exists():
        spec = Path(ini).parent / spec  # relative to the ini file
    if spec is not None and not spec.is_file():
        raise ConfigError(f"{RACK_SPEC}: {spec_text!r}: no such file")
    amqp, mongo = get(AMQP_URL), get(MONGO_URL)
    groups, graph_t, poll_t, http_t = get(GROUPS_SETTING), get(GRAPH_TIMEOUT), get(POLLER_TIMEOUT), get(HTTP_TIMEOUT)
    return SuiteConfig(
        rackhd_url=_url(url, RACKHD_URL, ("http", "https"), "http://127.0.0.1:8080"),
        rack_spec=spec,
        rackhd_user=user,
        rackhd_password=password,
        amqp_url=_url(amqp, AMQP_URL, ("amqp", "amqps"), "amqp://guest:guest@127.0.0.1:5672/") if amqp else None,
        mongo_url=_url(mongo, MONGO_URL, ("mongodb",), "mongodb://127.0.0.1:27017/pxe") if mongo else None,
        groups=_groups(groups) if groups else GROUPS,
        graph_timeout=_seconds(graph_t, GRAPH_TIMEOUT) if graph_t else 300.0,
        poller_timeout=_seconds(poll_t, POLLER_TIMEOUT) if poll_t else 300.0,
        http_timeout=_seconds(http_t, HTTP_TIMEOUT) if http_t else 30.0,
        source=source,
    )
