"""The rack spec's model: typed, frozen pydantic classes, one declaration for validation and JSON Schema.

:mod:`vrack.spec` loads YAML into these (``load_spec``/``parse_spec``) and is
where everything else imports them from; this module holds only the model so
that the cross-reference checks (:mod:`vrack.references`) can use it without
an import cycle.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class SelSeedSpec(_Model):
    """A system event the BMC's SEL holds when the rack starts (real servers ship with entries).

    The fields are those of an IPMI system event record; ``age`` puts its timestamp that many seconds
    before the rack's epoch.  Default: an asserted sensor-specific event.
    """

    sensor_type: int = Field(ge=0, le=0xFF, description="IPMI sensor type, e.g. 0x01 temperature, 0x08 power supply")
    sensor_number: int = Field(default=0, ge=0, le=0xFF)
    offset: int = Field(default=0, ge=0, le=0x0F, description="event offset (event data 1 bits 3:0)")
    asserted: bool = True
    event_type: int = Field(default=0x6F, ge=0, le=0x7F, description="event/reading type; 0x6F sensor specific")
    data2: int = Field(default=0xFF, ge=0, le=0xFF)
    data3: int = Field(default=0xFF, ge=0, le=0xFF)
    age: float = Field(default=0.0, ge=0, le=10 * 365 * 86400, description="seconds before the rack's epoch")


def _default_users() -> tuple[BmcUserSpec, ...]:
    return (BmcUserSpec(name="admin", password="admin"),)


class RedfishSpec(_Model):
    """The BMC's Redfish service (``redfish_sim``): HTTPS on ``ports.redfish``, plain HTTP only if asked."""

    enabled: bool = True
    https: bool = True
    http: bool = Field(default=False, description="also serve plain HTTP on ports.redfish_http")
    session_limit: int = Field(default=16, ge=1, le=256, description="simultaneous X-Auth-Token sessions")
    session_timeout: int = Field(default=1800, ge=30, le=86400, description="seconds an idle session lives")


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
    handshake_timeout: float = Field(
        default=10.0, gt=0, description="seconds a half-open session login waits for the console's next message"
    )
    boot_time: float = Field(default=3.0, ge=0, description="seconds from AC restored until the BMC answers")
    mc_reset_time: float = Field(default=5.0, ge=0, description="seconds the BMC is silent after mc reset")
    sel: tuple[SelSeedSpec, ...] = Field(
        default=(), max_length=512, description="system events in the SEL when the rack starts, oldest first"
    )
    sel_history: float = Field(
        default=0,
        ge=0,
        le=3650,
        description="days of the model's typical SEL entries (boots, AC losses, ECC) before the epoch; 0 = none",
    )
    redfish: RedfishSpec = Field(default_factory=RedfishSpec)

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


class TrapReceiverSpec(_Model):
    """A manager that takes the device's SNMPv2c traps (e.g. ``snmptrapd``)."""

    address: ipaddress.IPv4Address = Field(description="loopback in loopback mode; the management network in netns")
    port: int = Field(default=162, ge=1, le=65535)
    community: str = Field(default="public", min_length=1, max_length=32)


class SnmpSpec(_Model):
    versions: tuple[Literal["v1", "v2c", "v3"], ...] = ("v1", "v2c")
    communities: tuple[CommunitySpec, ...] = Field(default_factory=_default_communities)
    users: tuple[UsmUserSpec, ...] = ()
    traps: tuple[TrapReceiverSpec, ...] = Field(default=(), description="where the device sends its traps")


# --------------------------------------------------------------------------- devices


class _DeviceBase(_Model):
    name: str = Field(
        pattern=TEMPLATE_NAME_PATTERN,
        description="device name; with count > 1 a format template such as 'node{n:02d}'",
    )
    count: int = Field(default=1, ge=1, le=10000, description="how many devices this entry expands to")
    start: int = Field(default=1, ge=0, description="first value of {n} when count > 1")
    model: str = Field(description="hardware personality")
    u: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="lowest rack unit (1 = bottom) in the first cabinet; count > 1 stacks upwards; "
        "default: placed from the top (switches first)",
    )
    height: int | None = Field(
        default=None, ge=0, le=10, description="rack units; 0 = zero-U side mount; default: 1 (PDUs 0)"
    )

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
    post_seconds: float | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="seconds of POST from host power on to the first boot attempt; default: the model's "
        "(30-90 s); 0 boots at once (fast tests)",
    )


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
    capacity_amps: float = Field(
        default=16.0, gt=0, le=400, description="the infeed's rating: load high at 80 %, overload above it"
    )


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
    redfish: int = Field(default=443, ge=1, le=65535, description="TCP port of every BMC's Redfish HTTPS")
    redfish_http: int = Field(
        default=80, ge=1, le=65535, description="TCP port of Redfish plain HTTP (bmc.redfish.http)"
    )
    shared: bool = Field(
        default=False,
        description="loopback racks: serve every BMC's IPMI and Redfish from one socket per port bound to "
        "0.0.0.0, dispatched by destination address (2 descriptors per port instead of per BMC); takes the "
        "port on every address of the host, so choose ports nobody else serves",
    )


class ControlSpec(_Model):
    """Where the HTTP control API listens.  Loopback only, unless ``allow_remote`` says otherwise; then every
    request must carry the rack's token (``Authorization: Bearer``, from control.json)."""

    address: ipaddress.IPv4Address = ipaddress.IPv4Address("127.0.0.1")
    port: int = Field(default=0, ge=0, le=65535, description="HTTP control API port; 0 = any free port")
    allow_remote: bool = Field(
        default=False, description="let a non-loopback address serve the API (requests then need the rack's token)"
    )


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
    units: int = Field(
        default=42,
        ge=4,
        le=60,
        description="rack units of one cabinet (the web view's elevation); more devices "
        "than fit continue in further cabinets",
    )
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
