"""A :class:`~redfish_sim.device.RedfishDevice` on a ``bmc_sim`` BMC: Redfish and IPMI share one state.

Power actions are the BMC's own Chassis Control (with cause ``redfish``), so Redfish, ipmitool and anything
listening to the chassis see the same transitions, SEL entries and refusals.  The boot
override is IPMI boot flags parameter 5, accounts are the BMC's user slots (names up to 16 bytes,
passwords up to 20, as IPMI stores them), the log is the SEL, sensors are the SDR sensors, the network
settings are the LAN parameters.
"""

from __future__ import annotations

import hmac
import ipaddress
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from bmc_sim.boot_options import NO_TIMEOUT_BIT
from bmc_sim.chassis import DEFAULT_IDENTIFY
from bmc_sim.commands import transport as lan
from bmc_sim.config import BmcConfig, Privilege
from bmc_sim.device import Bmc
from bmc_sim.errors import IpmiError, NotSupportedInPresentState
from bmc_sim.users import NAME_LENGTH, PASSWORD_LENGTH, User
from redfish_sim.bios import BiosSettings
from redfish_sim.device import (
    Account,
    Availability,
    BmcNetwork,
    BootOverride,
    DeviceConflict,
    Identity,
    Inventory,
    LogEntry,
    SensorReading,
)

RESET_CONTROL = {
    "ForceOff": 0,
    "On": 1,
    "ForceOn": 1,
    "PowerCycle": 2,
    "ForceRestart": 3,
    "Nmi": 4,
    "GracefulShutdown": 5,
}
TARGET_TO_IPMI = {"Pxe": 0x1, "Hdd": 0x2, "Diags": 0x4, "Cd": 0x5, "BiosSetup": 0x6, "RemoteDrive": 0xB, "Floppy": 0xF}
IPMI_TO_TARGET = {
    "pxe": "Pxe",
    "disk": "Hdd",
    "diag": "Diags",
    "cdrom": "Cd",
    "bios": "BiosSetup",
    "disk-remote": "RemoteDrive",
    "floppy": "Floppy",
    "cdrom-remote": "Cd",
    "none": "None",
}
ROLE_OF = {
    Privilege.ADMINISTRATOR: "Administrator",
    Privilege.OEM: "Administrator",
    Privilege.OPERATOR: "Operator",
    Privilege.USER: "ReadOnly",
}
PRIVILEGE_OF = {"Administrator": Privilege.ADMINISTRATOR, "Operator": Privilege.OPERATOR, "ReadOnly": Privilege.USER}
SENSOR_KINDS = {0x01: "temperature", 0x02: "voltage", 0x03: "current", 0x04: "fan", 0x08: "power"}
# IPMI entity ID (the SDR's, IPMI 2.0 table 43-13) -> Redfish PhysicalContext
ENTITY_CONTEXT = {
    0x03: "CPU",
    0x04: "StorageDevice",
    0x07: "SystemBoard",
    0x08: "Memory",
    0x0A: "PowerSupply",
    0x13: "PowerSupply",
    0x17: "Chassis",
    0x1A: "StorageDevice",
    0x1D: "Fan",
    0x20: "Memory",
    0x37: "Intake",
    0x40: "Intake",
    0x41: "CPU",
    0x42: "SystemBoard",
}
# IPMI sensor type -> Redfish LogEntry SensorType (the enumeration's spelling)
SENSOR_TYPE_NAMES = {
    0x01: "Temperature",
    0x02: "Voltage",
    0x03: "Current",
    0x04: "Fan",
    0x05: "Physical Chassis Security",
    0x07: "Processor",
    0x08: "Power Supply / Converter",
    0x09: "PowerUnit",
    0x0C: "Memory",
    0x0D: "Drive Slot/Bay",
    0x0F: "System Firmware Progress",
    0x10: "Event Logging Disabled",
    0x12: "System Event",
    0x13: "Critical Interrupt",
    0x1D: "SystemBoot/Restart",
    0x23: "Watchdog",
}
THRESHOLD_OFFSETS = (
    "Lower Non-critical going low",
    "Lower Non-critical going high",
    "Lower Critical going low",
    "Lower Critical going high",
    "Lower Non-recoverable going low",
    "Lower Non-recoverable going high",
    "Upper Non-critical going low",
    "Upper Non-critical going high",
    "Upper Critical going low",
    "Upper Critical going high",
    "Upper Non-recoverable going low",
    "Upper Non-recoverable going high",
)
CRITICAL_EVENTS = {(0x08, 1), (0x0C, 1), (0x13, 3), (0x07, 0), (0x23, 1)}
WARNING_EVENTS = {(0x0C, 0), (0x08, 3), (0x09, 4), (0x23, 0)}


def role_of(user: User, channel: int) -> str:
    return ROLE_OF.get(user.privilege_limit(channel), "NoAccess")


class BmcBackedDevice:
    """The Redfish view of one ``bmc_sim`` :class:`Bmc` plus the host's static inventory.

    ``power_draw`` reports the host's consumption in watts (a rack's power model); without one the
    PSU power sensors are summed.  BIOS settings (:attr:`bios`, from the inventory's registry) staged
    by Redfish take effect at the host's next power on or reset.
    """

    max_password_length = PASSWORD_LENGTH

    def __init__(
        self,
        bmc: Bmc,
        identity: Identity,
        inventory: Inventory,
        *,
        power_draw: Callable[[], float] | None = None,
    ) -> None:
        self.bmc = bmc
        self.identity = identity
        self.inventory = inventory
        self._power_draw = power_draw
        self._channel = bmc.config.channel
        self.bios = BiosSettings(inventory.bios_registry)
        # the host's firmware applies pending BIOS settings as it starts (power on or reset); a composer
        # that must know the settings before its own power listener runs calls ``bios.apply()`` first
        bmc.add_power_listener(self._host_started)

    def _host_started(self, on: bool, cause: str) -> None:
        if on:
            self.bios.apply()

    # -- state ------------------------------------------------------------------------------
    def availability(self) -> Availability:
        if not self.bmc.responsive:
            return "dark"
        return "busy" if self.bmc.answers_busy else "ok"

    def power_on(self) -> bool:
        return self.bmc.chassis.power_on

    def reset(self, reset_type: str) -> None:
        if not self.bmc.responsive or self.bmc.answers_busy:
            raise DeviceConflict("the BMC is not answering (booting, resetting or busy)")
        try:
            if reset_type == "GracefulRestart":  # no IPMI control: the OS reboots if it takes the ACPI request
                self.bmc.chassis.soft_restart(cause="redfish")
                return
            push = 5 if self.power_on() else 1  # the power button: ACPI shutdown when on, power on when off
            action = push if reset_type == "PushPowerButton" else RESET_CONTROL[reset_type]
            self.bmc.chassis.control(action, cause="redfish")  # Chassis Control itself, as ipmitool's, by Redfish
        except NotSupportedInPresentState:
            raise DeviceConflict(f"{reset_type} needs the host powered on; it is Off") from None
        except IpmiError as exc:
            raise DeviceConflict(f"the BMC refused {reset_type} ({exc})") from None

    def boot_override(self) -> BootOverride:
        boot = self.bmc.chassis.boot
        enabled = "Disabled" if not boot.valid else "Continuous" if boot.persistent else "Once"
        target = IPMI_TO_TARGET.get(boot.device, "None") if boot.valid else "None"
        return BootOverride(target, enabled, "UEFI" if boot.efi else "Legacy")

    def set_boot_override(self, override: BootOverride) -> None:
        chassis = self.bmc.chassis
        if override.enabled == "Disabled" or override.target == "None":
            flags = bytearray(chassis.boot.get(5))
            flags[0] &= 0x7F
            flags[0] = (flags[0] & ~0x20) | (0x20 if override.mode == "UEFI" else 0)
            chassis.set_boot_param(5, bytes(flags))
            return
        # a Redfish override stays until the host boots (no 60 s IPMI timeout), as on real BMCs
        chassis.set_boot_param(3, bytes([chassis.boot.get(3)[0] | NO_TIMEOUT_BIT]))
        byte0 = 0x80 | (0x40 if override.enabled == "Continuous" else 0) | (0x20 if override.mode == "UEFI" else 0)
        chassis.set_boot_param(5, bytes([byte0, TARGET_TO_IPMI[override.target] << 2, 0, 0, 0]))

    def indicator_led(self) -> str:
        return {"off": "Off", "temporary": "Blinking", "on": "Lit"}[self.bmc.chassis.identify]

    def set_indicator_led(self, state: str) -> None:
        chassis = self.bmc.chassis
        if state == "Lit":
            chassis.set_identify(0, True)
        elif state == "Blinking":
            chassis.set_identify(DEFAULT_IDENTIFY, False)
        else:
            chassis.set_identify(0, False)

    def sensors(self) -> list[SensorReading]:
        host_on = self.bmc.chassis.power_on
        out = []
        for sensor in self.bmc.sensors:
            kind = SENSOR_KINDS.get(sensor.sensor_type)
            if kind is None or not sensor.is_threshold or sensor.linear is None:
                continue
            reading = sensor.read(host_on)
            value = round(sensor.linear.to_value(reading.raw), 2) if reading.available else None
            bits = reading.threshold_bits
            health = "Critical" if bits & 0x36 else "Warning" if bits & 0x09 else "OK"
            thresholds = {k: float(v) for k, v in vars(sensor.thresholds).items() if v is not None}
            context = ENTITY_CONTEXT.get(sensor.entity_id, "")
            out.append(SensorReading(sensor.name, sensor.number, kind, value, health, thresholds, context))  # type: ignore[arg-type]
        return out

    def power_consumed_watts(self) -> float:
        if self._power_draw is not None:
            return self._power_draw()
        return sum(s.value or 0.0 for s in self.sensors() if s.kind == "power")

    def log_entries(self) -> list[LogEntry]:
        entries = []
        sel = self.bmc.sel
        for record_id in sel.ids():
            _, record = sel.entry(record_id)
            entries.append(_log_entry(record_id, record))
        return entries

    def clear_log(self) -> None:
        sel = self.bmc.sel
        sel.clear(sel.reserve())

    def manager_reset(self, reset_type: str) -> None:
        self.bmc.mc_reset("warm" if reset_type == "GracefulRestart" else "cold")

    def network(self) -> BmcNetwork:
        params = self.bmc.lan
        vlan = struct.unpack("<H", params.get(lan.VLAN_ID))[0]
        return BmcNetwork(
            mac=":".join(f"{b:02x}" for b in params.get(lan.MAC_ADDRESS)),
            address=str(ipaddress.IPv4Address(params.get(lan.IP_ADDRESS))),
            netmask=str(ipaddress.IPv4Address(params.get(lan.SUBNET_MASK))),
            gateway=str(ipaddress.IPv4Address(params.get(lan.GATEWAY_IP))),
            dhcp=params.get(lan.IP_SOURCE)[0] & 0x0F == 2,
            vlan_id=vlan & 0x0FFF if vlan & 0x8000 else 0,
        )

    def watch(self, fn: Callable[[str, str], None]) -> None:
        self.bmc.add_power_listener(lambda on, cause: fn("power", "On" if on else "Off"))
        self.bmc.sel.add_listener(lambda record_id: fn("log", str(record_id)))

    # -- accounts (the IPMI user slots) -------------------------------------------------------
    def _account(self, user: User) -> Account:
        return Account(user.user_id, user.name.decode(errors="replace"), role_of(user, self._channel), user.enabled)

    def accounts(self) -> list[Account]:
        return [self._account(u) for u in self.bmc.users if u.name]

    def authenticate(self, name: str, password: str) -> Account | None:
        user = self.bmc.users.find_by_name(name.encode()) if name else None
        candidate = password.encode()
        stored = user.password if user is not None else b"\0" * PASSWORD_LENGTH
        matches = hmac.compare_digest(stored, candidate)
        if user is None or not matches or not user.enabled or role_of(user, self._channel) == "NoAccess":
            return None
        return self._account(user)

    def _check(self, name: str | None, password: str | None) -> None:
        if name is not None and (not name or len(name.encode()) > NAME_LENGTH):
            raise ValueError(f"UserName must be 1..{NAME_LENGTH} bytes")
        if password is not None and (not password or len(password.encode()) > PASSWORD_LENGTH):
            raise ValueError(f"Password must be 1..{PASSWORD_LENGTH} bytes")

    def create_account(self, name: str, password: str, role: str, enabled: bool) -> Account:
        self._check(name, password)
        free = next((u for u in self.bmc.users if u.user_id >= 2 and not u.name), None)
        if free is None:
            raise DeviceConflict(f"all {self.bmc.users.max_users} user slots are taken")
        free.name, free.password, free.enabled = name.encode(), password.encode(), enabled
        self._set_role(free, role)
        return self._account(free)

    def update_account(
        self, slot: int, *, name: str | None, password: str | None, role: str | None, enabled: bool | None
    ) -> Account:
        self._check(name, password)
        user = self.bmc.users.get(slot)
        if name is not None:
            user.name = name.encode()
        if password is not None:
            user.password = password.encode()
        if enabled is not None:
            user.enabled = enabled
        if role is not None:
            self._set_role(user, role)
        return self._account(user)

    def delete_account(self, slot: int) -> None:
        user = self.bmc.users.get(slot)
        user.name, user.password, user.enabled = b"", b"", False
        user.channel_access(self._channel).privilege = Privilege.NO_ACCESS

    def _set_role(self, user: User, role: str) -> None:
        access = user.channel_access(self._channel)
        access.privilege = PRIVILEGE_OF[role]
        access.link_auth = access.ipmi_messaging = True


def _log_entry(record_id: int, record: bytes) -> LogEntry:
    severity: Literal["OK", "Warning", "Critical"]
    if record[2] != 0x02:
        created = datetime.fromtimestamp(0, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return LogEntry(record_id, created, "OK", f"OEM record type {record[2]:#04x}", "OEM", 0, "Assert", record.hex())
    _, _, timestamp, _, _, sensor_type, number, direction, data1, _, _ = struct.unpack("<HBIHBBBBBBB", record)
    created = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    type_name = SENSOR_TYPE_NAMES.get(sensor_type, "OEM")
    offset = data1 & 0x0F
    asserted = not direction & 0x80
    if direction & 0x7F == 0x01 and offset < len(THRESHOLD_OFFSETS):
        what = THRESHOLD_OFFSETS[offset]
        severity = "OK" if not asserted else "Warning" if offset in (0, 1, 6, 7) else "Critical"
    else:
        what = f"event offset {offset}"
        key = (sensor_type, offset)
        severity = (
            "OK"
            if not asserted
            else "Critical"
            if key in CRITICAL_EVENTS
            else "Warning"
            if key in (WARNING_EVENTS)
            else "OK"
        )
    state = "Asserted" if asserted else "Deasserted"
    message = f"{type_name} sensor {number:#04x} (type {sensor_type:#04x}): {what} {state}"
    return LogEntry(
        record_id, created, severity, message, type_name, number, "Assert" if asserted else "Deassert", record.hex()
    )


def identity_from_config(config: BmcConfig, **overrides: str) -> Identity:
    """System, chassis and manager strings from the BMC's FRU and device identity (as ``fru print`` shows them)."""
    fru, ident = config.fru, config.identity
    values = {
        "manufacturer": fru.product_manufacturer or fru.board_manufacturer,
        "model": fru.product_name or fru.board_product,
        "serial": fru.product_serial,
        "chassis_serial": fru.chassis_serial,
        "part_number": fru.product_part_number or fru.board_part_number,
        "uuid": str(ident.system_guid),
        "manager_uuid": str(ident.device_guid),
        "firmware_version": f"{ident.firmware_major}.{ident.firmware_minor:02x}",
        "host_name": config.name,
    }
    values.update(overrides)
    return Identity(**values)
