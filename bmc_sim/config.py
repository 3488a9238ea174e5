"""Static configuration of one simulated BMC.

Everything a BMC needs to know at construction time lives here as frozen
dataclasses.  ``vrack`` builds a :class:`BmcConfig` from the rack spec; the
standalone ``python -m bmc_sim`` builds one from its command line.  Nothing here
changes at run time: mutable state (power, users after ``user set``, SEL, boot
options) lives in :mod:`bmc_sim.device`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

NIL_UUID = uuid.UUID(int=0)


class Privilege(enum.IntEnum):
    """IPMI privilege levels (IPMI 2.0 table 22-29)."""

    CALLBACK = 1
    USER = 2
    OPERATOR = 3
    ADMINISTRATOR = 4
    OEM = 5
    NO_ACCESS = 0x0F


class AuthType15(enum.IntEnum):
    """IPMI 1.5 session authentication types (IPMI 2.0 section 13.6)."""

    NONE = 0
    MD2 = 1
    MD5 = 2
    STRAIGHT_PASSWORD = 4


@dataclass(frozen=True)
class UserConfig:
    """One BMC user slot as configured at start-up.

    ``user_id`` is 1..15; slot 1 is the IPMI "null user" (empty name), which is
    only created when the spec asks for it explicitly.
    """

    user_id: int
    name: str
    password: str
    privilege: Privilege = Privilege.ADMINISTRATOR
    enabled: bool = True


@dataclass(frozen=True)
class LanConfig:
    """LAN channel 1 settings reported by ``lan print``."""

    ip_address: str
    mac_address: str
    netmask: str = "255.255.255.0"
    gateway: str = "0.0.0.0"
    gateway_mac: str = "00:00:00:00:00:00"
    ip_source: str = "static"  # static | dhcp
    vlan_id: int = 0  # 0 = disabled


@dataclass(frozen=True)
class DeviceIdentity:
    """Answers to Get Device ID and Get Device/System GUID."""

    device_id: int = 0x20
    device_revision: int = 1
    firmware_major: int = 1
    firmware_minor: int = 0x10  # BCD, e.g. 0x10 -> "1.10"
    manufacturer_id: int = 7244  # IANA enterprise number (Quanta = 7244)
    product_id: int = 0x0001
    aux_firmware: bytes = b"\x00\x00\x00\x00"
    system_guid: uuid.UUID = NIL_UUID
    device_guid: uuid.UUID = NIL_UUID


@dataclass(frozen=True)
class FruConfig:
    """FRU 0 contents: chassis, board and product info areas."""

    chassis_type: int = 0x17  # rack mount chassis
    chassis_part_number: str = ""
    chassis_serial: str = ""
    board_mfg_minutes: int = 0  # minutes since 1996-01-01 00:00
    board_manufacturer: str = ""
    board_product: str = ""
    board_serial: str = ""
    board_part_number: str = ""
    product_manufacturer: str = ""
    product_name: str = ""
    product_part_number: str = ""
    product_version: str = ""
    product_serial: str = ""
    product_asset_tag: str = ""


class SensorKind(enum.Enum):
    """Sensor personalities; each maps to an IPMI sensor type and unit."""

    TEMPERATURE = "temperature"  # type 0x01, degrees C
    VOLTAGE = "voltage"  # type 0x02, volts
    CURRENT = "current"  # type 0x03, amps
    FAN = "fan"  # type 0x04, RPM
    POWER = "power"  # type 0x08 (power supply), watts
    DRIVE = "drive"  # type 0x0d, discrete (drive slot)


@dataclass(frozen=True)
class Thresholds:
    """Threshold values in engineering units; ``None`` means not readable."""

    lower_non_recoverable: float | None = None
    lower_critical: float | None = None
    lower_non_critical: float | None = None
    upper_non_critical: float | None = None
    upper_critical: float | None = None
    upper_non_recoverable: float | None = None


@dataclass(frozen=True)
class SensorConfig:
    """One sensor with its SDR record.

    ``nominal`` is the reading while the host is powered on; ``off_value`` the
    reading while it is off (e.g. 0 RPM for fans, ambient for temperatures).
    Drive sensors are discrete: ``nominal`` 1 means "drive present".
    """

    number: int
    name: str
    kind: SensorKind
    nominal: float
    off_value: float = 0.0
    entity_id: int = 0x07  # system board
    entity_instance: int = 1
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class BmcConfig:
    """Everything one simulated BMC is configured with.

    Security defaults follow a real BMC: cipher suite 0 and the null user are
    off unless asked for, IPMI 1.5 accepts MD5 and straight password but not
    auth type NONE.
    """

    name: str
    lan: LanConfig
    users: tuple[UserConfig, ...]
    identity: DeviceIdentity = field(default_factory=DeviceIdentity)
    fru: FruConfig = field(default_factory=FruConfig)
    sensors: tuple[SensorConfig, ...] = ()
    cipher_suites: tuple[int, ...] = (1, 2, 3, 17)
    auth_types_15: tuple[AuthType15, ...] = (AuthType15.MD5, AuthType15.STRAIGHT_PASSWORD)
    channel: int = 1
    max_users: int = 15
    session_limit: int = 16
    session_timeout: float = 60.0  # seconds of inactivity before a session expires
    handshake_timeout: float = 10.0  # seconds a half-open RMCP+ handshake or 1.5 challenge waits for the console
    sel_capacity: int = 512  # entries
    mc_reset_time: float = 5.0  # seconds a BMC stays silent after mc reset cold/warm
    boot_time: float = 3.0  # seconds from AC power restored until the BMC answers
    power_restore_policy: str = "previous"  # always-off | always-on | previous
    initial_power_on: bool = False
