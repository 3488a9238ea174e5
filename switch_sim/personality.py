"""Switch personalities: vendor identity and hardware layout loaded from data files.

Each model is a YAML file in ``switch_sim/models/`` named after the model
(``arista-7050.yaml``).  :func:`load_model` validates it into a frozen
:class:`SwitchModel`; nothing past the loader sees a raw dict.  Interface
names and ``ifIndex`` values follow the vendor's numbering scheme, and the
ENTITY-MIB layout (chassis, module, power supplies, fans, sensors) uses the
vendor's ``entPhysicalIndex`` values where they are known (RackHD's Cisco SKU
packs read ``entPhysicalModelName.10`` and sensor OIDs indexed 470/471/534).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switch_sim.detrand import mix

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it: 10x faster

_PACKAGE = "switch_sim.models"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PortStyle(_Model):
    """How data port ``n`` (1-based) is named and numbered; ``{n}`` is substituted."""

    descr: str = Field(description="ifDescr template, e.g. 'Ethernet{n}'")
    name: str = Field(description="ifName template, e.g. 'Eth1/{n}'")
    if_index_base: int = Field(ge=1, description="ifIndex of port 1")
    if_index_step: int = Field(default=1, ge=1)
    speed_mbps: int = Field(gt=0)
    mtu: int = Field(gt=0)
    entity_descr: str
    entity_index_base: int = Field(ge=1, description="entPhysicalIndex of port 1 (step 1)")

    def if_index(self, n: int) -> int:
        return self.if_index_base + (n - 1) * self.if_index_step


class MgmtStyle(_Model):
    """The out-of-band management interface (its MAC is the switch base MAC)."""

    descr: str
    name: str
    if_index: int = Field(ge=1)
    speed_mbps: int = Field(gt=0)
    mtu: int = Field(gt=0)


class EntityPart(_Model):
    """One row of entPhysicalTable that does not depend on the port count."""

    index: int = Field(ge=1)
    descr: str
    name: str
    model_name: str = ""
    vendor_type: str = "0.0"
    hardware_rev: str = ""
    is_fru: bool = False


class SensorPart(EntityPart):
    """A temperature sensor: an entity of class sensor with a deterministic reading."""

    celsius: float = Field(description="nominal reading; the live value wobbles around it")


class EntityLayout(_Model):
    chassis: EntityPart
    module: EntityPart | None = Field(default=None, description="the board holding the ports, if any")
    power_supplies: tuple[EntityPart, ...] = ()
    fans: tuple[EntityPart, ...] = ()
    sensors: tuple[SensorPart, ...] = ()


class StorageSpec(_Model):
    """One hrStorageTable row; RackHD's memory poller reads rows whose descr starts with 'RAM'."""

    descr: str
    kind: Literal["ram", "virtual", "flash", "disk"]
    units: int = Field(gt=0, description="hrStorageAllocationUnits, bytes")
    size: int = Field(gt=0, description="hrStorageSize, in units")
    used_fraction: float = Field(gt=0, lt=1, description="nominal fill level")
    wobble: float = Field(default=0.0, ge=0, lt=0.5, description="+- fraction of size, varies per minute")


class LoadSpec(_Model):
    """CPU busy percentage range; each 5-second sample is drawn from it by seed and time."""

    low: int = Field(ge=0, le=100)
    high: int = Field(ge=0, le=100)


class SwitchModel(_Model):
    """A switch personality: what the switch says it is and how its hardware is laid out."""

    name: str
    vendor: str = Field(description="vendor word as RackHD matches it in sysDescr ('Arista', 'Cisco')")
    manufacturer: str = Field(description="entPhysicalMfgName")
    oui: str = Field(pattern=r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$", description="MAC prefix for derived base MACs")
    serial_prefix: str = Field(pattern=r"^[A-Z]{3}$", description="letters of derived serial numbers")
    sys_descr: str
    sys_object_id: str
    sys_services: int = Field(ge=0, le=127)
    software_rev: str
    max_ports: int = Field(ge=1)
    port: PortStyle
    mgmt: MgmtStyle
    entity: EntityLayout
    processors: tuple[str, ...] = Field(min_length=1, description="hrDeviceDescr of each CPU")
    load: LoadSpec
    storage: tuple[StorageSpec, ...] = Field(min_length=1)
    vendor_mibs: tuple[str, ...] = Field(default=(), description="extra MIB builders, e.g. 'cisco'")
    lldp_capabilities: int = Field(default=0x28, description="lldpLocSysCapSupported/Enabled first octet")

    def derived_base_mac(self, seed: int) -> str:
        """A base MAC under the vendor OUI, from ``seed``, with room for 255 port MACs above it."""
        low = (mix(seed, 0x4D4143) % 0xFFFF) << 8
        return f"{self.oui}:{low >> 16:02x}:{(low >> 8) & 0xFF:02x}:{low & 0xFF:02x}"

    def derived_serial(self, seed: int) -> str:
        """A chassis serial number from ``seed``: the vendor prefix and 8 digits."""
        return f"{self.serial_prefix}{mix(seed, 0x53524C) % 10**8:08d}"


def model_names() -> list[str]:
    """Names of every personality shipped in ``switch_sim/models``, sorted."""
    root = resources.files(_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


@functools.cache
def load_model(name: str) -> SwitchModel:
    """Load and validate the personality ``name``; ValueError lists valid names if unknown."""
    names = model_names()
    if name not in names:
        raise ValueError(f"unknown switch model {name!r}; valid models: {', '.join(names)}")
    text = resources.files(_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    try:
        model = SwitchModel.model_validate(yaml.load(text, Loader=SAFE_LOADER))
    except ValidationError as exc:
        raise ValueError(f"switch model file {name}.yaml is invalid: {exc}") from None
    if model.name != name:
        raise ValueError(f"switch model file {name}.yaml declares name {model.name!r}")
    return model
