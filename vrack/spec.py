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

from pathlib import Path
from typing import Any

from vrack.located import SpecError, SpecIssue, located, validate_document
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
from vrack.yamlsource import LocatedDocument, YamlSyntaxError, format_path, load_yaml, load_yaml_file

__all__ = [
    "PATTERN_HELP",
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

PATTERN_HELP = {
    NAME_PATTERN: "use lower-case letters, digits and '-', starting with a letter",
    TEMPLATE_NAME_PATTERN: "use lower-case letters, digits, '-' and a {n} placeholder, starting with a letter",
    MAC_PATTERN: "write a MAC as six lower-case hex pairs, e.g. 52:54:00:12:34:56",
    r"^[a-z][a-z0-9-]*/[0-9]+$": "write DEVICE/NUMBER, e.g. pdu1/3 or sw1/12",
    r"^[a-z][a-z0-9-]*/psu[0-9]+$": "write NODE/psuN, e.g. node01/psu1",
    r"^[a-z][a-z0-9-]*/nic[0-9]+$": "write NODE/nicN, e.g. node01/nic0",
    r"^(host|netns:[A-Za-z0-9_.-]+)$": "write host or netns:NAME",
}


def _validate_structure(doc: LocatedDocument) -> RackSpec:
    return validate_document(doc, RackSpec, "a rack spec is a mapping with keys rack, devices, ...", PATTERN_HELP)


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
        raise located(doc, issues)
    return spec


def json_schema() -> dict[str, Any]:
    """The JSON Schema of rack specs (for editors; ``vrack schema`` prints it)."""
    schema = RackSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "vrack rack spec"
    return schema
