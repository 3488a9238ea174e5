"""YAML loading that remembers where every value came from.

PyYAML's composer already knows the line of every node; this module keeps that
knowledge next to the plain Python data so that validation errors can name the
line of the offending value.  Paths are tuples of keys and list indices, the
same shape as pydantic's error ``loc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """``('devices', 2, 'bmc', 'port')`` -> ``devices[2].bmc.port``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


class YamlSyntaxError(Exception):
    """The document is not valid YAML (or not a mapping at the top)."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.message = message


@dataclass
class LocatedDocument:
    """Plain data from a YAML document plus the line (1-based) of each path."""

    source: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _to_python(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], source: str, loader: yaml.SafeLoader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                raise YamlSyntaxError(
                    source, key_node.start_mark.line + 1, f"duplicate key {key!r} (each key may appear once)"
                )
            child = (*path, key if isinstance(key, str | int) else str(key))
            result[key] = _to_python(value_node, child, lines, source, loader)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines, source, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(text: str, source: str = "<string>") -> LocatedDocument:
    """Parse ``text``; raise :class:`YamlSyntaxError` naming the line on bad YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(source, line, str(exc.problem or exc)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(source, None, str(exc)) from None
    if root is None:
        raise YamlSyntaxError(source, 1, "the document is empty; a rack spec is a mapping (rack:, devices:, ...)")
    lines: dict[PathKey, int] = {}
    data = _to_python(root, (), lines, source, yaml.SafeLoader(""))
    return LocatedDocument(source, data, lines)


MAX_DOCUMENT_BYTES = 64 << 20


def load_yaml_file(path: str | Path) -> LocatedDocument:
    """Read and parse a YAML file; missing files raise ``FileNotFoundError``.

    A path that is a directory, unreadable, larger than :data:`MAX_DOCUMENT_BYTES` or not UTF-8 text raises
    :class:`YamlSyntaxError` saying so (with the line of the first undecodable byte).
    """
    p = Path(path)
    source = str(path)
    if p.is_dir():
        raise YamlSyntaxError(source, None, "is a directory; give the path of a YAML file")
    try:
        with p.open("rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise YamlSyntaxError(source, None, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise YamlSyntaxError(source, None, f"is larger than {MAX_DOCUMENT_BYTES >> 20} MiB; is it really a YAML file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlSyntaxError(
            source, line, f"is not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); a spec is a YAML file"
        ) from None
    if "\x00" in text:
        raise YamlSyntaxError(
            source, text.count("\n", 0, text.index("\x00")) + 1, "contains NUL bytes; not a YAML file"
        )
    return load_yaml(text, source)
