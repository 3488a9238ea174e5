"""Chassis commands (netfn 0x00): status, control, identify, boot options."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.boot_options import BOOT_PARAM_VERSION
from bmc_sim.chassis import POLICY_CODES, POLICY_NAMES
from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import InvalidDataField
from bmc_sim.message import RequestContext
from bmc_sim.sdr import BMC_ADDRESS

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

CHASSIS = 0x00
POH_MINUTES_PER_COUNT = 60
DEFAULT_IDENTIFY_SECONDS = 15


@command(netfn=CHASSIS, cmd=0x00, name="chassis.get_capabilities", privilege=Privilege.USER, max_len=0)
def get_capabilities(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    # no intrusion sensor, lockout, diag interrupt or interlock; FRU, SDR, SEL, SM on the BMC
    return bytes([0x00, BMC_ADDRESS, BMC_ADDRESS, BMC_ADDRESS, BMC_ADDRESS])


@command(netfn=CHASSIS, cmd=0x01, name="chassis.get_status", privilege=Privilege.USER, max_len=0)
def get_status(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bmc.chassis.status()


@command(netfn=CHASSIS, cmd=0x02, name="chassis.control", privilege=Privilege.OPERATOR, min_len=1, max_len=1)
def control(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.chassis.control(data[0] & 0x0F)
    return b""


@command(netfn=CHASSIS, cmd=0x04, name="chassis.identify", privilege=Privilege.OPERATOR, max_len=2)
def identify(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    interval = data[0] if data else DEFAULT_IDENTIFY_SECONDS
    force = len(data) > 1 and bool(data[1] & 0x01)
    bmc.chassis.set_identify(interval, force)
    return b""


@command(
    netfn=CHASSIS,
    cmd=0x06,
    name="chassis.set_power_restore_policy",
    privilege=Privilege.OPERATOR,
    min_len=1,
    max_len=1,
)
def set_power_restore_policy(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    code = data[0] & 0x07
    if code in POLICY_NAMES:
        bmc.chassis.restore_policy = POLICY_NAMES[code]
    elif code != 0x03:  # 3 = no change, just report what is supported
        raise InvalidDataField(f"restore policy {code}")
    return bytes([sum(1 << c for c in POLICY_CODES.values())])


@command(netfn=CHASSIS, cmd=0x07, name="chassis.get_restart_cause", privilege=Privilege.USER, max_len=0)
def get_restart_cause(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bytes([bmc.chassis.restart_cause, bmc.config.channel])


@command(netfn=CHASSIS, cmd=0x08, name="chassis.set_boot_options", privilege=Privilege.OPERATOR, min_len=1)
def set_boot_options(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.chassis.set_boot_param(data[0] & 0x7F, data[1:])
    return b""


@command(netfn=CHASSIS, cmd=0x09, name="chassis.get_boot_options", privilege=Privilege.OPERATOR, min_len=3, max_len=3)
def get_boot_options(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    param = data[0] & 0x7F
    return bytes([BOOT_PARAM_VERSION, param]) + bmc.chassis.boot.get(param)


@command(netfn=CHASSIS, cmd=0x0F, name="chassis.get_poh_counter", privilege=Privilege.USER, max_len=0)
def get_poh_counter(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    counts = bmc.chassis.poh_minutes() // POH_MINUTES_PER_COUNT
    return bytes([POH_MINUTES_PER_COUNT]) + struct.pack("<I", counts & 0xFFFFFFFF)
