"""The rack spec: YAML in, a typed, frozen, validated model out.

``load_spec(path)`` is the only way into a :class:`RackSpec`.  Validation
collects every problem before failing (structure, types, unknown keys, then
cross references such as cables to unknown ports, :mod:`vrack.references`),
and each problem names its path in the document, its line, and what would be
valid.  Nothing past this module sees a raw dict.

The model (:mod:`vrack.spec_model`, re-exported here) uses pydantic: typed,
frozen models, error collection, and the JSON Schema that ``vrack schema``
exports come from one declaration.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from vrack.references import check_references
from vrack.spec_model import (
    MAC_PATTERN,
    NAME_PATTERN,
    TEMPLATE_NAME_PATTERN,
    BmcSpec,
    BmcUserSpec,
    CableSpec,
    CommunitySpec,
    ComputeSpec,
    ControlSpec,
    DeviceSpec,
    FeedSpec,
    NetnsSpec,
    NetworksSpec,
    PduSpec,
    PortsSpec,
    RackSpec,
    SnmpSpec,
    SwitchSpec,
    UsmUserSpec,
)
from vrack.yamlsource import LocatedDocument, PathKey, YamlSyntaxError, format_path, load_yaml, load_yaml_file

__all__ = [
    "BmcSpec",
    "BmcUserSpec",
    "CableSpec",
    "CommunitySpec",
    "ComputeSpec",
    "ControlSpec",
    "DeviceSpec",
    "FeedSpec",
    "NetnsSpec",
    "NetworksSpec",
    "PduSpec",
    "PortsSpec",
    "RackSpec",
    "SnmpSpec",
    "SpecError",
    "SpecIssue",
    "SwitchSpec",
    "UsmUserSpec",
    "format_path",
    "json_schema",
    "load_spec",
    "parse_spec",
]

# --------------------------------------------------------------------------- errors


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


def _model_at(path: PathKey, data: Any) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``path`` (for unknown-key hints)."""
    annotation: Any = RackSpec
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


_PATTERN_HELP = {
    NAME_PATTERN: "use lower-case letters, digits and '-', starting with a letter",
    TEMPLATE_NAME_PATTERN: "use lower-case letters, digits, '-' and a {n} placeholder, starting with a letter",
    MAC_PATTERN: "write a MAC as six lower-case hex pairs, e.g. 52:54:00:12:34:56",
    r"^[a-z][a-z0-9-]*/[0-9]+$": "write DEVICE/NUMBER, e.g. pdu1/3 or sw1/12",
    r"^[a-z][a-z0-9-]*/psu[0-9]+$": "write NODE/psuN, e.g. node01/psu1",
    r"^[a-z][a-z0-9-]*/nic[0-9]+$": "write NODE/nicN, e.g. node01/nic0",
    r"^(host|netns:[A-Za-z0-9_.-]+)$": "write host or netns:NAME",
}


def _issue_from_pydantic(error: Any, doc: LocatedDocument) -> SpecIssue:
    path = _clean_loc(tuple(error["loc"]), doc.data)
    kind = error["type"]
    message = str(error["msg"])
    if kind == "extra_forbidden" and path:
        owner = _model_at(path[:-1], doc.data)
        valid = sorted(owner.model_fields) if owner else []
        bad = str(path[-1])
        close = difflib.get_close_matches(bad, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown key {bad!r} (valid keys: {', '.join(valid)}){hint}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, "kind")
        message = "kind must be one of 'compute', 'pdu', 'switch'"
    elif kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        message = f"{error.get('input')!r} is not valid: {_PATTERN_HELP.get(pattern, 'must match ' + pattern)}"
    elif kind == "missing":
        message = "this key is required"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return SpecIssue(format_path(path), doc.line_of(path), message)


def _validate_structure(doc: LocatedDocument) -> RackSpec:
    if not isinstance(doc.data, dict):
        raise SpecError(doc.source, [SpecIssue("", 1, "a rack spec is a mapping with keys rack, devices, ...")])
    try:
        return RackSpec.model_validate(doc.data)
    except ValidationError as exc:
        issues = [_issue_from_pydantic(err, doc) for err in exc.errors()]
        raise SpecError(doc.source, issues) from None


def parse_spec(text: str, source: str = "<string>") -> RackSpec:
    """Validate spec text; raise :class:`SpecError` listing every problem."""
    try:
        doc = load_yaml(text, source)
    except YamlSyntaxError as exc:
        raise SpecError(source, [SpecIssue("", exc.line, exc.message)]) from None
    return _validated(doc)


def load_spec(path: str | Path) -> RackSpec:
    """Read and validate the spec at ``path``."""
    try:
        doc = load_yaml_file(path)
    except YamlSyntaxError as exc:
        raise SpecError(str(path), [SpecIssue("", exc.line, exc.message)]) from None
    return _validated(doc)


def _validated(doc: LocatedDocument) -> RackSpec:
    spec = _validate_structure(doc)
    issues = check_references(spec)
    if issues:
        located = [SpecIssue(format_path(p), doc.line_of(p), m) for p, m in issues]
        raise SpecError(doc.source, located)
    return spec


def json_schema() -> dict[str, Any]:
    """The JSON Schema of rack specs (for editors; ``vrack schema`` prints it)."""
    schema = RackSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "vrack rack spec"
    return schema
