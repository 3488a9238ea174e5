"""``ipmitool chassis power ...`` and ``chassis bootdev ...`` in band, with ipmitool 1.8.19's messages."""

from __future__ import annotations

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import CHASSIS, InbandIpmi, IpmiCommandError

POWER_ACTIONS = {"down": 0, "off": 0, "up": 1, "on": 1, "cycle": 2, "reset": 3, "diag": 4, "soft": 5}
POWER_NAMES = {0: "Down/Off", 1: "Up/On", 2: "Cycle", 3: "Reset", 4: "Diag", 5: "Soft"}
BOOT_DEVICES = {
    "none": 0x00,
    "pxe": 0x04,
    "force_pxe": 0x04,
    "disk": 0x08,
    "force_disk": 0x08,
    "safe": 0x0C,
    "diag": 0x10,
    "cdrom": 0x14,
    "bios": 0x18,
    "floppy": 0x3C,
}
SET_IN_PROGRESS, COMMIT_WRITE, SET_COMPLETE = 1, 2, 0


def power(ipmi: InbandIpmi, c: Console, action: str) -> int:
    if action == "status":
        try:
            status = ipmi.request(CHASSIS, 0x01)
        except IpmiCommandError as exc:
            c.error(f"Unable to get Chassis Power Status: {exc.text}")
            return 1
        c.print(f"Chassis Power is {'on' if status[0] & 0x01 else 'off'}")
        return 0
    if action not in POWER_ACTIONS:
        c.error("chassis power Commands: status, on, off, cycle, reset, diag, soft")
        return 1
    control = POWER_ACTIONS[action]
    code, _ = ipmi.raw(CHASSIS, 0x02, bytes([control]))
    if code != 0:
        c.error(f"Set Chassis Power Control to {POWER_NAMES[control]} failed: {IpmiCommandError(code).text}")
        return 1
    c.print(f"Chassis Power Control: {POWER_NAMES[control]}")
    return 0


def _boot_param(ipmi: InbandIpmi, param: int, data: bytes) -> int:
    code, _ = ipmi.raw(CHASSIS, 0x08, bytes([param]) + data)
    return code


def bootdev(ipmi: InbandIpmi, c: Console, device: str) -> int:
    if device not in BOOT_DEVICES:
        c.error(f"Invalid argument: {device}")
        return 1
    _boot_param(ipmi, 0, bytes([SET_IN_PROGRESS]))
    _boot_param(ipmi, 4, bytes([0x01, 0x01]))  # boot info acknowledge: BIOS/POST handled
    code = _boot_param(ipmi, 5, bytes([0x80, BOOT_DEVICES[device], 0x00, 0x00, 0x00]))
    if code == 0:
        _boot_param(ipmi, 0, bytes([COMMIT_WRITE]))
        c.print(f"Set Boot Device to {device}")
    else:
        c.error(f"Set Chassis Boot Parameter 5 failed: {IpmiCommandError(code).text}")
    _boot_param(ipmi, 0, bytes([SET_COMPLETE]))
    return 0 if code == 0 else 1
