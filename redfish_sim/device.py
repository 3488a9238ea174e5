"""What the Redfish service needs from the machine behind it: :class:`RedfishDevice`.

The resources read and change a device only through this protocol, so the same service runs on a
standalone ``bmc_sim`` BMC (:mod:`redfish_sim.bmc_device`) or on whatever a composer (vrack) hands it.
Static facts (inventory, identity) are plain frozen dataclasses; everything that changes (power, boot
override, sensors, log, accounts) is read live on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from redfish_sim.bios import BiosAttribute, BiosSettings

Availability = Literal["ok", "busy", "dark"]
ROLES = ("Administrator", "Operator", "ReadOnly")
RESET_TYPES = (
    "On",
    "ForceOff",
    "GracefulShutdown",
    "GracefulRestart",
    "ForceRestart",
    "Nmi",
    "ForceOn",
    "PushPowerButton",
    "PowerCycle",
)
BOOT_TARGETS = ("None", "Pxe", "Hdd", "Cd", "BiosSetup", "Diags", "Floppy", "RemoteDrive")
BOOT_ENABLED = ("Disabled", "Once", "Continuous")
BOOT_MODES = ("Legacy", "UEFI")
MANAGER_RESET_TYPES = ("GracefulRestart", "ForceRestart")


@dataclass(frozen=True)
class Processor:
    socket: str
    manufacturer: str
    model: str
    cores: int
    threads: int
    max_speed_mhz: int


@dataclass(frozen=True)
class Dimm:
    locator: str
    size_mib: int
    memory_type: str  # DDR4
    speed_mts: int
    manufacturer: str
    part_number: str
    serial: str


@dataclass(frozen=True)
class HostNic:
    name: str  # eth0
    mac: str  # aa:bb:cc:dd:ee:ff
    speed_mbps: int


@dataclass(frozen=True)
class Drive:
    name: str
    manufacturer: str
    model: str
    serial: str
    capacity_bytes: int
    media_type: str  # HDD | SSD
    protocol: str  # SATA | SAS


@dataclass(frozen=True)
class Identity:
    """Resource ids and the strings a system, chassis and manager report."""

    system_id: str = "1"
    chassis_id: str = "1"
    manager_id: str = "1"
    manufacturer: str = ""
    model: str = ""
    sku: str = ""
    serial: str = ""
    chassis_serial: str = ""
    part_number: str = ""
    uuid: str = "00000000-0000-0000-0000-000000000000"
    bios_version: str = ""
    firmware_version: str = ""
    manager_uuid: str = "00000000-0000-0000-0000-000000000000"
    host_name: str = ""


@dataclass(frozen=True)
class Inventory:
    processors: tuple[Processor, ...] = ()
    dimms: tuple[Dimm, ...] = ()
    nics: tuple[HostNic, ...] = ()
    drives: tuple[Drive, ...] = ()
    bios_registry: tuple[BiosAttribute, ...] = ()


@dataclass(frozen=True)
class BootOverride:
    target: str  # one of BOOT_TARGETS
    enabled: str  # one of BOOT_ENABLED
    mode: str  # one of BOOT_MODES


@dataclass(frozen=True)
class SensorReading:
    """One analog sensor now, in engineering units (``value`` None when not readable)."""

    name: str
    number: int
    kind: Literal["temperature", "fan", "voltage", "current", "power"]
    value: float | None
    health: Literal["OK", "Warning", "Critical"]
    thresholds: dict[str, float]  # lower_critical, upper_non_critical, ... (IPMI names)
    context: str = ""  # Redfish PhysicalContext (CPU, SystemBoard, Fan, ...); "" when the entity maps to none


@dataclass(frozen=True)
class LogEntry:
    record_id: int
    created: str  # ISO 8601 UTC
    severity: Literal["OK", "Warning", "Critical"]
    message: str
    sensor_type: str
    sensor_number: int
    entry_code: Literal["Assert", "Deassert"]
    raw: str  # the 16 SEL bytes in hex


@dataclass(frozen=True)
class Account:
    """One user slot with a name (the password stays in the device)."""

    slot: int
    name: str
    role: str  # one of ROLES, or "NoAccess"
    enabled: bool


@dataclass(frozen=True)
class BmcNetwork:
    mac: str
    address: str
    netmask: str
    gateway: str
    dhcp: bool
    vlan_id: int


class DeviceConflict(Exception):
    """The device refused an action in its present state (the message says why)."""


class RedfishDevice(Protocol):
    """The machine and BMC behind one Redfish service."""

    identity: Identity
    inventory: Inventory
    max_password_length: int
    bios: BiosSettings  # in effect, pending until the next host boot, and the attribute registry

    def availability(self) -> Availability:
        """``ok``; ``busy`` (answer 503); ``dark`` (no power, booting, hung: answer nothing)."""

    def power_on(self) -> bool: ...

    def reset(self, reset_type: str) -> None:
        """One of RESET_TYPES; raises DeviceConflict when the host's state refuses it."""

    def boot_override(self) -> BootOverride: ...

    def set_boot_override(self, override: BootOverride) -> None: ...

    def indicator_led(self) -> str:
        """Off, Blinking or Lit."""

    def set_indicator_led(self, state: str) -> None: ...

    def sensors(self) -> list[SensorReading]: ...

    def power_consumed_watts(self) -> float: ...

    def log_entries(self) -> list[LogEntry]: ...

    def clear_log(self) -> None: ...

    def manager_reset(self, reset_type: str) -> None:
        """Restart the BMC (it goes dark for its reset time)."""

    def network(self) -> BmcNetwork: ...

    def accounts(self) -> list[Account]: ...

    def authenticate(self, name: str, password: str) -> Account | None:
        """The enabled account with this name and password, else None (constant-time compare)."""

    def create_account(self, name: str, password: str, role: str, enabled: bool) -> Account:
        """Into the first free slot; raises DeviceConflict when none is free."""

    def update_account(
        self, slot: int, *, name: str | None, password: str | None, role: str | None, enabled: bool | None
    ) -> Account: ...

    def delete_account(self, slot: int) -> None: ...

    def watch(self, fn: Callable[[str, str], None]) -> None:
        """``fn("power", "On"|"Off")`` on host power changes, ``fn("log", record_id)`` on new log entries."""
