"""Validating a located YAML document against a pydantic model, reporting every error with its line.

The rack spec (:mod:`vrack.spec`), scenarios (:mod:`vrack.scenario`) and any
other YAML a user gives vrack go through :func:`validate_document`: each
problem names its path in the document, its line, and what would be valid
(unknown keys with a did-you-mean hint, patterns explained in words).
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vrack.yamlsource import LocatedDocument, PathKey, format_path

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class SpecIssue:
    """One problem: where (path, line) and what is wrong / what would be valid."""

    path: str
    line: int | None
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path or '<document>'}: {self.message}"


class SpecError(Exception):
    """A spec that does not validate; ``issues`` holds every problem found."""

    def __init__(self, source: str, issues: list[SpecIssue]) -> None:
        self.source = source
        self.issues = sorted(issues, key=lambda issue: issue.line or 0)
        super().__init__("\n".join(issue.format(source) for issue in self.issues))


def _model_at(root: type[BaseModel], path: PathKey, data: Any) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``path`` (for unknown-key hints)."""
    annotation: Any = root
    node = data
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            continue
        model = _unwrap_model(annotation, node.get("kind") if isinstance(node, dict) else None)
        if model is None or str(key) not in model.model_fields:
            return None
        annotation = model.model_fields[str(key)].annotation
        node = node.get(key) if isinstance(node, dict) else None
    return _unwrap_model(annotation, node.get("kind") if isinstance(node, dict) else None)


def _unwrap_model(annotation: Any, kind: Any) -> type[BaseModel] | None:
    """Find the BaseModel inside tuple[...]/Optional/Annotated/union annotations.

    For the device union, ``kind`` (the document's ``kind:`` value) picks the member.
    """
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    candidates = []
    for arg in typing.get_args(annotation):
        model = _unwrap_model(arg, kind)
        if model is not None:
            candidates.append(model)
    if len(candidates) == 1:
        return candidates[0]
    for model in candidates:
        field = model.model_fields.get("kind")
        if field is not None and kind in typing.get_args(field.annotation):
            return model
    return None


def _clean_loc(loc: tuple[Any, ...], data: Any) -> PathKey:
    """Drop pydantic's discriminator tags (e.g. 'compute') from an error location."""
    path: list[str | int] = []
    node = data
    for key in loc:
        if isinstance(node, dict) and key not in node and isinstance(key, str) and "kind" in node:
            continue  # a union tag, not a key of the document
        path.append(key)
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            node = None
    return tuple(path)


def _issue_from_pydantic(
    error: Any, doc: LocatedDocument, root: type[BaseModel], pattern_help: Mapping[str, str]
) -> SpecIssue:
    path = _clean_loc(tuple(error["loc"]), doc.data)
    kind = error["type"]
    message = str(error["msg"])
    if kind == "extra_forbidden" and path:
        owner = _model_at(root, path[:-1], doc.data)
        valid = sorted(f.alias or n for n, f in owner.model_fields.items()) if owner else []
        bad = str(path[-1])
        close = difflib.get_close_matches(bad, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown key {bad!r} (valid keys: {', '.join(valid)}){hint}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, "kind")
        expected = str(error.get("ctx", {}).get("expected_tags", ""))
        message = f"kind must be one of {expected}"
    elif kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        message = f"{error.get('input')!r} is not valid: {pattern_help.get(pattern, 'must match ' + pattern)}"
    elif kind == "missing":
        message = "this key is required"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return SpecIssue(format_path(path), doc.line_of(path), message)


def validate_document(
    doc: LocatedDocument, root: type[M], what: str, pattern_help: Mapping[str, str] | None = None
) -> M:
    """``doc`` as a ``root`` instance; :class:`SpecError` with every located problem otherwise.

    ``what`` says what the document should be when it is not a mapping at all; ``pattern_help`` explains
    string patterns in words (pattern -> advice).
    """
    if not isinstance(doc.data, dict):
        raise SpecError(doc.source, [SpecIssue("", 1, what)])
    try:
        return root.model_validate(doc.data)
    except ValidationError as exc:
        issues = [_issue_from_pydantic(err, doc, root, pattern_help or {}) for err in exc.errors()]
        raise SpecError(doc.source, issues) from None


def located(doc: LocatedDocument, problems: list[tuple[PathKey, str]]) -> SpecError:
    """A :class:`SpecError` for ``(path, message)`` problems found after the structure validated."""
    return SpecError(doc.source, [SpecIssue(format_path(p), doc.line_of(p), m) for p, m in problems])
