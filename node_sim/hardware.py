"""Hardware personalities as data: ``node_sim/hardware/<name>.yaml``.

A personality holds what every node of one hardware model shares (vendor,
model, BIOS, CPUs, DIMMs, disks, NICs, optional RAID controller).  The model's
identity strings are written once, in its BMC's FRU (``bmc_sim/models/<bmc_model>.yaml``):
the SMBIOS strings default to them (:func:`smbios_defaults`) and the file states only
those that differ (a Dell's SMBIOS says "Dell Inc." where its FRU says "DELL").  Per-node
values (serial numbers, UUID, MACs, BMC address) come from a
:class:`~node_sim.hardware_identity.NodeIdentity` that the caller gives; the
catalog commands (:mod:`node_sim.catalog`) combine both.

Serial numbers of parts are patterns such as ``"S3{hex6}{index:02}"``
expanded per node by :func:`node_sim.hardware_identity.expand`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import yaml

from bmc_sim.config import FruConfig
from bmc_sim.models import load_model

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it: 10x faster

DATA_DIR = "hardware"
_T = TypeVar("_T")


class HardwareError(ValueError):
    """A personality file is missing or malformed (names the file and the field)."""


@dataclass(frozen=True)
class SystemInfo:
    """SMBIOS type 1 plus the board (type 2) and chassis (type 3) strings."""

    manufacturer: str
    product_name: str
    version: str
    sku: str
    family: str
    serial_pattern: str
    board_manufacturer: str
    board_product: str
    board_version: str
    chassis_manufacturer: str
    chassis_version: str
    chassis_type: str = "Rack Mount Chassis"


@dataclass(frozen=True)
class Bios:
    vendor: str
    version: str
    release_date: str  # MM/DD/YYYY as dmidecode prints it
    revision: str
    rom_size_kb: int = 16384


@dataclass(frozen=True)
class Cpu:
    """One CPU model, installed ``count`` times."""

    count: int
    manufacturer: str
    model: str
    family: str
    cores: int
    threads: int
    speed_mhz: int
    max_speed_mhz: int
    family_number: int
    model_number: int
    stepping: int
    flags: tuple[str, ...]
    cache_kb: int


@dataclass(frozen=True)
class Dimm:
    locator: str
    bank: str
    size_mb: int
    type: str
    speed_mts: int
    manufacturer: str
    part_number: str
    serial_pattern: str


@dataclass(frozen=True)
class SmartAttribute:
    """One ATA SMART attribute row (``smartctl -A``)."""

    id: int
    name: str
    value: int
    worst: int
    flag: str = "0x0032"
    thresh: int = 0
    type: str = "Old_age"
    updated: str = "Always"
    raw: str = "0"


@dataclass(frozen=True)
class Disk:
    """A drive as the OS or the RAID controller sees it.

    ``bus`` is ``sata`` or ``sas``; ``raid_slot`` is set for drives behind the
    RAID controller (the OS then sees the controller's virtual drive instead);
    such drives take controller slots 0, 1, ... in (raid_slot, file) order.
    """

    vendor: str
    model: str
    serial_pattern: str
    size_bytes: int
    rotational: bool
    bus: str
    firmware: str
    rpm: int = 0
    wwn_pattern: str = ""
    raid_slot: int | None = None
    smart: tuple[SmartAttribute, ...] = ()
    power_on_hours: int = 0


@dataclass(frozen=True)
class Nic:
    vendor: str
    product: str
    vendor_id: int
    device_id: int
    subsystem_vendor_id: int
    subsystem_device_id: int
    driver: str
    driver_version: str
    firmware: str
    pci_address: str  # domain:bus:device.function
    speed_mbps: int
    oui: str


@dataclass(frozen=True)
class VirtualDrive:
    name: str
    raid_level: str
    size_bytes: int
    drives: tuple[int, ...]  # raid slots


@dataclass(frozen=True)
class RaidController:
    """A MegaRAID-family controller answering storcli64 or perccli64."""

    tool: str  # storcli | perccli
    model: str
    vendor: str
    vendor_id: int
    device_id: int
    subsystem_vendor_id: int
    subsystem_device_id: int
    pci_address: str
    firmware_package: str
    firmware_version: str
    bios_version: str
    driver_version: str
    enclosure_id: int
    serial_pattern: str
    virtual_drives: tuple[VirtualDrive, ...]


@dataclass(frozen=True)
class PciDevice:
    """Other PCI functions that ``lspci`` lists (host bridge, SATA, VGA, ...)."""

    address: str
    cls: str
    class_id: int
    vendor: str
    vendor_id: int
    device: str
    device_id: int
    subsystem_vendor: str
    subsystem_vendor_id: int
    subsystem_device: str = "Device"
    subsystem_device_id: int = 0
    revision: int = 0


@dataclass(frozen=True)
class Hardware:
    """One hardware personality; see the module docstring."""

    name: str
    vendor: str  # the maker, as the rack keys it (vrack picks MAC OUIs by it)
    description: str
    bmc_model: str
    bmc_oui: str
    system: SystemInfo
    bios: Bios
    cpu: Cpu
    dimms: tuple[Dimm, ...]
    disks: tuple[Disk, ...]
    nics: tuple[Nic, ...]
    pci: tuple[PciDevice, ...] = ()
    raid: RaidController | None = None
    kernel: str = "4.4.0-rancher"
    post_seconds: float = 30.0  # power on to the first boot attempt (memory test, option ROMs)
    host_watts: float = 250.0  # what the running host draws (the rack's power model and DCMI readings)
    bios_settings: dict[str, Any] = field(default_factory=dict)  # the BIOS attribute registry (Redfish)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def memory_mb(self) -> int:
        return sum(d.size_mb for d in self.dimms)

    def os_disks(self) -> list[Disk]:
        """Drives the OS sees directly (not behind the RAID controller), in device order."""
        return [d for d in self.disks if d.raid_slot is None]

    def raid_disks(self) -> list[Disk]:
        """Drives behind the RAID controller, by slot."""
        return sorted((d for d in self.disks if d.raid_slot is not None), key=lambda d: d.raid_slot or 0)


def hardware_names() -> list[str]:
    """Names of the personalities shipped in ``node_sim/hardware/``, sorted."""
    folder = resources.files("node_sim").joinpath(DATA_DIR)
    return sorted(f.name.removesuffix(".yaml") for f in folder.iterdir() if f.name.endswith(".yaml"))


@cache
def load_hardware(name: str) -> Hardware:
    """Load personality ``name``; unknown names raise :class:`HardwareError` listing the valid ones."""
    names = hardware_names()
    if name not in names:
        raise HardwareError(f"unknown hardware {name!r} (valid: {', '.join(names)})")
    text = resources.files("node_sim").joinpath(DATA_DIR, f"{name}.yaml").read_text(encoding="utf-8")
    return parse_hardware(yaml.load(text, Loader=SAFE_LOADER), source=f"{name}.yaml")


def parse_hardware(raw: dict[str, Any], source: str = "<hardware>") -> Hardware:
    """Build a :class:`Hardware` from the parsed YAML mapping; errors name ``source`` and the key."""
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise HardwareError(f"{source}: {type(exc).__name__}: {exc}") from exc


_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool, "int | None": int, "float": float}


def _make(cls: type[_T], raw: dict[str, Any], renames: dict[str, str] | None = None, **given: Any) -> _T:
    """Build dataclass ``cls`` from YAML mapping ``raw``: scalar fields checked and converted
    (a YAML number where text is expected becomes text), other fields from ``given``."""
    renames = renames or {}
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in given:
            kwargs[f.name] = given[f.name]
            continue
        key = renames.get(f.name, f.name)
        if key not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise KeyError(f"{cls.__name__}: missing {key!r}")
            continue
        value, kind = raw[key], _SCALARS.get(str(f.type))
        if kind is not None and value is not None:
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if kind is not str and not isinstance(value, kind):
                raise TypeError(f"{cls.__name__}.{key}: expected {kind.__name__}, got {value!r}")
            value = kind(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _disks(rows: list[dict[str, Any]]) -> tuple[Disk, ...]:
    disks: list[Disk] = []
    for r in rows:
        smart = tuple(_make(SmartAttribute, {"worst": a["value"], **a}) for a in r.get("smart", []))
        disk = _make(Disk, r, {"serial_pattern": "serial", "wwn_pattern": "wwn"}, smart=smart)
        if disk.bus not in ("sata", "sas"):
            raise ValueError(f"disk bus must be sata or sas, not {disk.bus!r}")
        disks.extend([disk] * int(r.get("count", 1)))
    return tuple(disks)


def _dimms(rows: list[dict[str, Any]]) -> tuple[Dimm, ...]:
    dimms: list[Dimm] = []
    for r in rows:
        per_cpu = max(1, int(r.get("per_cpu", 1)))
        for n in range(int(r.get("count", 1))):
            cpu, slot = divmod(n, per_cpu)
            names = {
                "n": n,
                "cpu": cpu,
                "cpu1": cpu + 1,
                "slot": slot + 1,
                "letter": "ABCD"[cpu],
                "chan": "ABCDEF"[slot],
            }
            locator, bank = str(r["locator"]).format(**names), str(r["bank"]).format(**names)
            dimms.append(_make(Dimm, r, {"serial_pattern": "serial"}, locator=locator, bank=bank))
    return tuple(dimms)


def _raid(r: dict[str, Any] | None) -> RaidController | None:
    if r is None:
        return None
    if r["tool"] not in ("storcli", "perccli"):
        raise ValueError(f"raid tool must be storcli or perccli, not {r['tool']!r}")
    vds = tuple(_make(VirtualDrive, v, drives=tuple(int(s) for s in v["drives"])) for v in r["virtual_drives"])
    return _make(RaidController, r, {"serial_pattern": "serial"}, virtual_drives=vds)


def smbios_defaults(fru: FruConfig) -> dict[str, str]:
    """The SMBIOS strings a personality need not write: those its BMC's FRU already says."""
    return {
        "manufacturer": fru.product_manufacturer,
        "product_name": fru.product_name,
        "version": fru.product_version,
        "board_manufacturer": fru.board_manufacturer,
        "board_product": fru.board_product,
        "chassis_manufacturer": fru.product_manufacturer,
    }


def _system(raw: dict[str, Any], fru: FruConfig) -> SystemInfo:
    """SMBIOS strings: the file's, else :func:`smbios_defaults` of the BMC's FRU."""
    return _make(SystemInfo, {**smbios_defaults(fru), **raw}, {"serial_pattern": "serial"})


def _parse(raw: dict[str, Any]) -> Hardware:
    system = _system(raw["system"], load_model(raw["bmc_model"]).fru)
    cpu = _make(Cpu, raw["cpu"], flags=tuple(str(f) for f in raw["cpu"]["flags"]))
    pci = tuple(
        _make(
            PciDevice, {"subsystem_vendor": p["vendor"], "subsystem_vendor_id": p["vendor_id"], **p}, {"cls": "class"}
        )
        for p in raw.get("pci", [])
    )
    hw = _make(
        Hardware,
        raw,
        system=system,
        bios=_make(Bios, raw["bios"]),
        cpu=cpu,
        dimms=_dimms(raw["dimms"]),
        disks=_disks(raw["disks"]),
        nics=tuple(_make(Nic, n) for n in raw["nics"]),
        pci=pci,
        raid=_raid(raw.get("raid")),
    )
    if not hw.nics:
        raise ValueError("a node needs at least one NIC")
    if hw.raid is None and hw.raid_disks():
        raise ValueError("disks with raid_slot need a raid controller")
    return hw
