"""The rack spec: YAML in, a typed, frozen, validated model out.

``load_spec(path)`` is the only way into a :class:`RackSpec`.  Validation
collects every problem before failing (structure, types, unknown keys, then
cross references such as cables to unknown ports), and each problem names its
path in the document, its line, and what would be valid.  Nothing past this
module sees a raw dict.

The model uses pydantic (typed, frozen models, error collection, and the JSON
Schema that ``vrack schema`` exports come from one declaration).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vrack.yamlsource import LocatedDocument, PathKey, YamlSyntaxError, load_yaml, load_yaml_file

NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
TEMPLATE_NAME_PATTERN = r"^[a-z][a-z0-9{}:-]*$"
MAC_PATTERN = r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- BMC


class BmcUserSpec(_Model):
    """A BMC user slot.  ``id`` defaults to the next free slot from 2 up."""

    name: str = Field(max_length=16, description="user name (slot 1 with an empty name is the null user)")
    password: str = Field(max_length=20, description="IPMI 2.0 password, up to 20 bytes")
    privilege: Literal["callback", "user", "operator", "administrator"] = "administrator"
    enabled: bool = True
    id: int | None = Field(default=None, ge=1, le=15, description="user slot 1..15")


def _default_users() -> tuple[BmcUserSpec, ...]:
    return (BmcUserSpec(name="admin", password="admin"),)


class BmcSpec(_Model):
    """The node's BMC: address, users, security policy and timing."""

    address: ipaddress.IPv4Address | Literal["auto"] = Field(
        default="auto", description="BMC address; auto = next free address of networks.management"
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="UDP port; default ports.ipmi")
    mac: str | None = Field(default=None, pattern=MAC_PATTERN, description="BMC MAC; default derived from seed")
    netmask: ipaddress.IPv4Address | None = None
    gateway: ipaddress.IPv4Address | None = None
    ip_source: Literal["static", "dhcp"] = "static"
    users: tuple[BmcUserSpec, ...] = Field(default_factory=_default_users)
    cipher_suites: tuple[Literal[0, 1, 2, 3, 17], ...] = (1, 2, 3, 17)
    ipmi15_auth: tuple[Literal["none", "md2", "md5", "password"], ...] = ("md5", "password")
    session_limit: int = Field(default=16, ge=1, le=64)
    session_timeout: float = Field(default=60.0, gt=0, description="seconds of inactivity")
    boot_time: float = Field(default=3.0, ge=0, description="seconds from AC restored until the BMC answers")
    mc_reset_time: float = Field(default=5.0, ge=0, description="seconds the BMC is silent after mc reset")

    @model_validator(mode="after")
    def _check_users(self) -> BmcSpec:
        ids = [u.id for u in self.users if u.id is not None]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"user id {dupes[0]} is used twice; each slot 1..15 holds one user")
        names = [u.name for u in self.users]
        dupe_names = sorted({n for n in names if names.count(n) > 1})
        if dupe_names:
            raise ValueError(f"user name {dupe_names[0]!r} is used twice; names must be unique")
        if len(self.users) > 15:
            raise ValueError("at most 15 users fit in a BMC")
        for user in self.users:
            if user.name == "" and user.id not in (None, 1):
                raise ValueError("only slot 1 may hold the null user (empty name)")
        return self


# --------------------------------------------------------------------------- SNMP


class CommunitySpec(_Model):
    name: str = Field(min_length=1, max_length=32)
    access: Literal["ro", "rw"] = "ro"


class UsmUserSpec(_Model):
    name: str = Field(min_length=1, max_length=32)
    auth_protocol: Literal["md5", "sha", "sha256", "sha512"] = "sha"
    auth_key: str = Field(min_length=8)
    priv_protocol: Literal["none", "des", "aes", "aes256"] = "aes"
    priv_key: str | None = Field(default=None, min_length=8)
    access: Literal["ro", "rw"] = "ro"

    @model_validator(mode="after")
    def _check_priv(self) -> UsmUserSpec:
        if self.priv_protocol != "none" and self.priv_key is None:
            raise ValueError(f"priv_protocol {self.priv_protocol!r} needs a priv_key (8 characters or more)")
        return self


def _default_communities() -> tuple[CommunitySpec, ...]:
    return (CommunitySpec(name="public", access="ro"), CommunitySpec(name="private", access="rw"))


class SnmpSpec(_Model):
    versions: tuple[Literal["v1", "v2c", "v3"], ...] = ("v1", "v2c")
    communities: tuple[CommunitySpec, ...] = Field(default_factory=_default_communities)
    users: tuple[UsmUserSpec, ...] = ()


# --------------------------------------------------------------------------- devices


class _DeviceBase(_Model):
    name: str = Field(
        pattern=TEMPLATE_NAME_PATTERN,
        description="device name; with count > 1 a format template such as 'node{n:02d}'",
    )
    count: int = Field(default=1, ge=1, le=10000, description="how many devices this entry expands to")
    start: int = Field(default=1, ge=0, description="first value of {n} when count > 1")
    model: str = Field(description="hardware personality")

    @model_validator(mode="after")
    def _check_template(self) -> _DeviceBase:
        templated = "{" in self.name
        if self.count > 1 and not templated:
            raise ValueError(
                f"count is {self.count} but name {self.name!r} has no {{n}} placeholder, e.g. 'node{{n:02d}}'"
            )
        if templated:
            try:
                sample = self.name.format(n=self.start)
            except (KeyError, ValueError, IndexError) as exc:
                raise ValueError(f"name template {self.name!r} is not valid: use {{n}} or {{n:02d}} ({exc})") from None
            if not re.match(NAME_PATTERN, sample):
                raise ValueError(f"name template {self.name!r} gives {sample!r}, which is not a valid name")
        return self

    def expanded_names(self) -> list[str]:
        """The device names this entry stands for, in order."""
        if "{" not in self.name:
            return [self.name]
        return [self.name.format(n=self.start + i) for i in range(self.count)]


class ComputeSpec(_DeviceBase):
    """A compute node with its BMC, power supplies and NICs."""

    kind: Literal["compute"]
    model: str = "generic"
    backend: Literal["sim", "vm"] = "sim"
    bmc: BmcSpec = Field(default_factory=BmcSpec)
    power_supplies: int = Field(default=1, ge=1, le=4)
    nics: int | None = Field(default=None, ge=1, le=8, description="NIC count; default: the model's onboard NICs")
    power_restore_policy: Literal["always-off", "always-on", "previous"] = "previous"
    power_on: bool = Field(default=False, description="host power at rack start")


class PduSpec(_DeviceBase):
    """A switched PDU speaking SNMP."""

    kind: Literal["pdu"]
    model: str = "servertech-sentry3"
    outlets: int = Field(default=16, ge=1, le=48)
    address: ipaddress.IPv4Address | Literal["auto"] = "auto"
    port: int | None = Field(default=None, ge=1, le=65535, description="UDP port; default ports.snmp")
    snmp: SnmpSpec = Field(default_factory=SnmpSpec)
    reboot_delay: float = Field(default=5.0, ge=0)
    outlets_on: bool = Field(default=True, description="outlet state at rack start")


class SwitchSpec(_DeviceBase):
    """A switch speaking SNMP, whose ports follow the cabling."""

    kind: Literal["switch"]
    model: str = "arista-7050"
    ports: int = Field(default=48, ge=1, le=64)
    address: ipaddress.IPv4Address | Literal["auto"] = "auto"
    port: int | None = Field(default=None, ge=1, le=65535, description="UDP port; default ports.snmp")
    snmp: SnmpSpec = Field(default_factory=SnmpSpec)


DeviceSpec = Annotated[ComputeSpec | PduSpec | SwitchSpec, Field(discriminator="kind")]


# --------------------------------------------------------------------------- wiring


class FeedSpec(_Model):
    """A PDU outlet feeding a node power supply: ``outlet: pdu1/3``, ``to: node01/psu1``."""

    outlet: str = Field(pattern=r"^[a-z][a-z0-9-]*/[0-9]+$")
    to: str = Field(pattern=r"^[a-z][a-z0-9-]*/psu[0-9]+$")


class CableSpec(_Model):
    """A cable between a node NIC and a switch port: ``a: node01/nic0``, ``b: sw1/1``."""

    a: str = Field(pattern=r"^[a-z][a-z0-9-]*/nic[0-9]+$")
    b: str = Field(pattern=r"^[a-z][a-z0-9-]*/[0-9]+$")


class NetworksSpec(_Model):
    management: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("127.10.0.0/16"),
        description="where BMCs, PDUs and switches get their addresses",
    )
    provisioning: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("172.31.128.0/22"),
        description="node NIC network (used in netns mode)",
    )


class NetnsSpec(_Model):
    """Where the isolated rack network (``mode: netns``) is joined to the system under test.

    ``uplink: host`` puts the far end of the management and provisioning veths in the root namespace;
    ``uplink: netns:NAME`` in an existing namespace NAME (where e.g. RackHD runs).  The uplink side takes
    the first host address of each network (RackHD's ``172.31.128.1`` style); the rack side the last.
    """

    uplink: str = Field(default="host", pattern=r"^(host|netns:[A-Za-z0-9_.-]+)$")


class PortsSpec(_Model):
    ipmi: int = Field(default=623, ge=1, le=65535, description="UDP port of every BMC (RackHD needs 623)")
    snmp: int = Field(default=161, ge=1, le=65535, description="UDP port of every SNMP agent")


class ControlSpec(_Model):
    address: ipaddress.IPv4Address = ipaddress.IPv4Address("127.0.0.1")
    port: int = Field(default=0, ge=0, le=65535, description="HTTP control API port; 0 = any free port")


class JournalSpec(_Model):
    """Where the event journal goes on disk: one directory per run, segments rotated by size."""

    segment_size: int = Field(
        default=64 * 1024 * 1024, ge=4096, description="bytes after which the current segment is rotated"
    )
    keep_runs: int = Field(default=5, ge=1, description="runs kept per rack (the newest; older ones are removed)")


class RackSpec(_Model):
    """A whole rack: devices, their addresses, and how power and cables join them."""

    rack: str = Field(pattern=NAME_PATTERN, description="rack name")
    seed: str | None = Field(default=None, description="identity seed; default the rack name")
    description: str = ""
    mode: Literal["loopback", "netns"] = "loopback"
    epoch: datetime = Field(
        default=datetime(2026, 1, 1, tzinfo=UTC),
        description="wall-clock time the rack starts at (SEL, uptime)",
    )
    networks: NetworksSpec = Field(default_factory=NetworksSpec)
    netns: NetnsSpec = Field(default_factory=NetnsSpec)
    ports: PortsSpec = Field(default_factory=PortsSpec)
    control: ControlSpec = Field(default_factory=ControlSpec)
    journal: JournalSpec = Field(default_factory=JournalSpec)
    devices: tuple[DeviceSpec, ...] = ()
    power: tuple[FeedSpec, ...] = ()
    cables: tuple[CableSpec, ...] = ()

    @field_validator("epoch")
    @classmethod
    def _aware_epoch(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def identity_seed(self) -> str:
        return self.seed if self.seed is not None else self.rack


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


def format_path(path: PathKey) -> str:
    """``('devices', 2, 'bmc', 'port')`` -> ``devices[2].bmc.port``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


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
    from vrack.plan import check_references  # cross references need the expanded rack

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
