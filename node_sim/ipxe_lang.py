"""The iPXE script language without side effects: line splitting, ``${...}`` expansion, URIs, formats.

Follows iPXE's ``core/exec.c`` and ``core/settings.c``: a line is split on whitespace only (no
quoting), a token starting with ``#`` starts a comment, ``||``, ``&&`` and ``;`` separate commands,
and each token is expanded on its own (so an expanded value never splits into more arguments).
Expansion resolves the innermost ``${...}`` first, which makes ``${net${i}/mac}`` work; an unknown
setting expands to the empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

# iPXE's status codes as its commands return them (errno values)
ENOENT = 2
ENOEXEC = 8
EINVAL = 22
ERANGE = 34
ECANCELED = 125
SEPARATORS = ("||", "&&", ";")
MAX_EXPANSIONS = 1000


@dataclass(frozen=True)
class Segment:
    """One command of a line and the separator after it (``None`` at the end of the line)."""

    tokens: tuple[str, ...]
    separator: str | None


def split_line(line: str) -> list[Segment]:
    """Split a script line into commands with their separators; a ``#`` token ends the line."""
    segments: list[Segment] = []
    current: list[str] = []
    for token in line.split():
        if token.startswith("#"):
            break
        if token in SEPARATORS:
            segments.append(Segment(tuple(current), token))
            current = []
        else:
            current.append(token)
    segments.append(Segment(tuple(current), None))
    return segments


def expand(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace ``${name}`` / ``${scope/name:type}`` innermost first; unknown settings become ``""``."""
    for _ in range(MAX_EXPANSIONS):
        start = -1
        end = -1
        i = 0
        while i < len(text):
            if text.startswith("${", i):
                start = i
            elif text[i] == "}" and start >= 0:
                end = i
                break
            i += 1
        if end < 0:
            return text
        text = text[:start] + (lookup(text[start + 2 : end]) or "") + text[end + 1 :]
    raise ValueError("too many nested expansions")


def split_setting_name(name: str) -> tuple[str | None, str, str | None]:
    """``net0/mac:hex`` -> ``("net0", "mac", "hex")``; scope and type are optional."""
    scope: str | None = None
    kind: str | None = None
    if "/" in name:
        scope, name = name.rsplit("/", 1)
    if ":" in name:
        name, kind = name.split(":", 1)
    return scope, name, kind


def format_mac(mac: str, kind: str | None) -> str:
    """A MAC as iPXE prints it for ``:hex`` (colons, the default), ``:hexhyp`` and ``:hexraw``."""
    digits = mac.replace(":", "").replace("-", "").lower()
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    if kind == "hexhyp":
        return "-".join(pairs)
    if kind == "hexraw":
        return "".join(pairs)
    return ":".join(pairs)


def resolve_uri(base: str | None, reference: str) -> str:
    """``reference`` resolved against the current working URI ``base`` (http or tftp)."""
    if "://" in reference:
        return reference
    if base is None:
        raise ValueError(f"relative URI {reference!r} with no current working URI")
    scheme, rest = base.split("://", 1)
    joined = urljoin("http://" + rest, reference)
    return f"{scheme}://{joined[len('http://') :]}"


def image_name(uri: str) -> str:
    """The name iPXE gives an image fetched from ``uri``: the last path component."""
    path = urlsplit(uri).path
    return unquote(path.rsplit("/", 1)[-1]) or uri


def tftp_target(uri: str) -> tuple[str, int, str]:
    """``tftp://host[:port]/path`` -> (host, port, filename without the leading slash)."""
    parts = urlsplit(uri)
    if parts.scheme != "tftp" or not parts.hostname:
        raise ValueError(f"not a tftp URI: {uri!r}")
    filename = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if parts.query:
        filename += "?" + parts.query
    return parts.hostname, parts.port or 69, filename


def parse_options(args: list[str], with_value: set[str]) -> tuple[dict[str, str], list[str]]:
    """Split leading ``--flag``/``-f`` options (and values of those in ``with_value``) from arguments."""
    options: dict[str, str] = {}
    rest = list(args)
    while rest and rest[0].startswith("-") and rest[0] != "-":
        flag = rest.pop(0)
        if flag == "--":
            break
        key = flag.lstrip("-")
        if "=" in key:
            key, value = key.split("=", 1)
            options[key] = value
        elif key in with_value and rest:
            options[key] = rest.pop(0)
        else:
            options[key] = ""
    return options, rest


@dataclass
class Frame:
    """A script being run: its lines, its labels, where it is and whether a goto or exit just happened."""

    lines: list[str]
    labels: dict[str, int]
    pc: int = 0
    control: str | None = None
    exit_status: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def compile_script(text: str) -> Frame:
    """A :class:`Frame` for ``text`` with each ``:label`` at its first line (iPXE takes the first)."""
    lines = text.replace("\r\n", "\n").split("\n")
    labels: dict[str, int] = {}
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(":"):
            labels.setdefault(stripped[1:].split()[0] if stripped[1:].split() else "", number)
    return Frame(lines, labels)
