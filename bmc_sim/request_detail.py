"""A few requests' meaning in ipmitool's words, for the request journal ("power on", "bootdev pxe").

Only commands whose data a person watching wants to read are decoded, and never one that carries a
secret (user passwords, keys): :data:`DECODERS` is the whole list.  A request whose data does not
decode gives ``""``.
"""

from __future__ import annotations

from collections.abc import Callable

from bmc_sim.boot_options import BOOT_DEVICES
from bmc_sim.chassis import POLICY_NAMES

CONTROL = {0x00: "power off", 0x01: "power on", 0x02: "power cycle", 0x03: "power reset", 0x04: "power diag",
           0x05: "power soft"}  # fmt: skip
BOOT_FLAGS = 0x05


def _control(data: bytes) -> str:
    return CONTROL.get(data[0] & 0x0F, "") if data else ""


def _identify(data: bytes) -> str:
    if len(data) > 1 and data[1] & 0x01:
        return "identify force"
    interval = data[0] if data else 15
    return "identify off" if interval == 0 else f"identify {interval}"


def _boot_options(data: bytes) -> str:
    if len(data) < 3 or data[0] & 0x7F != BOOT_FLAGS:
        return ""
    device = BOOT_DEVICES.get((data[2] >> 2) & 0x0F, "")
    if not device:
        return ""
    persistent = " options=persistent" if data[1] & 0x40 else ""
    return f"bootdev {device}{persistent}"


def _restore_policy(data: bytes) -> str:
    name = POLICY_NAMES.get(data[0] & 0x07) if data else None
    return f"policy {name}" if name else ""


DECODERS: dict[tuple[int, int], Callable[[bytes], str]] = {
    (0x00, 0x02): _control,
    (0x00, 0x04): _identify,
    (0x00, 0x06): _restore_policy,
    (0x00, 0x08): _boot_options,
}


def request_detail(netfn: int, cmd: int, data: bytes) -> str:
    """What the request asks for in ipmitool's words, or ``""`` (not decoded, or not a command listed here)."""
    decoder = DECODERS.get((netfn, cmd))
    return decoder(data) if decoder is not None else ""
