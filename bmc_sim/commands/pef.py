"""PEF commands (netfn 0x04, IPMI 2.0 section 30): capabilities, postpone timer, configuration
parameters and the last processed event IDs.  The parameter table is :class:`bmc_sim.pef.PefConfiguration`."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import InvalidDataField
from bmc_sim.message import RequestContext
from bmc_sim.pef import ACTION_SUPPORT, EVENT_FILTERS, PARAMETER_REVISION, PEF_VERSION

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

SENSOR_EVENT = 0x04
POSTPONE_DISABLE, POSTPONE_GET = 0xFE, 0xFF


@command(netfn=SENSOR_EVENT, cmd=0x10, name="pef.get_capabilities", privilege=Privilege.USER, max_len=0)
def get_pef_capabilities(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bytes([PEF_VERSION, ACTION_SUPPORT, EVENT_FILTERS])


@command(
    netfn=SENSOR_EVENT, cmd=0x11, name="pef.arm_postpone_timer", privilege=Privilege.ADMINISTRATOR, min_len=1,
    max_len=1,
)  # fmt: skip
def arm_postpone_timer(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """0x00 disarms, 0x01..0xFD arms for that many seconds, 0xFE disables postponing, 0xFF only reads."""
    if data[0] != POSTPONE_GET:
        bmc.pef.postpone_timer = 0 if data[0] == POSTPONE_DISABLE else data[0]
    return bytes([bmc.pef.postpone_timer])


@command(
    netfn=SENSOR_EVENT, cmd=0x12, name="pef.set_config_param", privilege=Privilege.ADMINISTRATOR, min_len=1,
)  # fmt: skip
def set_pef_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.pef.set(data[0] & 0x7F, data[1:])
    return b""


@command(netfn=SENSOR_EVENT, cmd=0x13, name="pef.get_config_param", privilege=Privilege.OPERATOR, min_len=3, max_len=3)
def get_pef_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Byte 1: bit 7 asks for the revision only, bits 6:0 the parameter; then set and block selectors."""
    value = bmc.pef.get(data[0] & 0x7F, data[1], data[2])
    if data[0] & 0x80:
        return bytes([PARAMETER_REVISION])
    return bytes([PARAMETER_REVISION]) + value


@command(
    netfn=SENSOR_EVENT, cmd=0x14, name="pef.set_last_processed_event", privilege=Privilege.ADMINISTRATOR,
    min_len=3, max_len=3,
)  # fmt: skip
def set_last_processed_event(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    if data[0] & 0xFE:
        raise InvalidDataField("byte 1: bit 0 selects software (0) or BMC (1)")
    bmc.pef.last_processed["bmc" if data[0] & 0x01 else "software"] = struct.unpack_from("<H", data, 1)[0]
    return b""


@command(netfn=SENSOR_EVENT, cmd=0x15, name="pef.get_last_processed_event", privilege=Privilege.ADMINISTRATOR,
         max_len=0)  # fmt: skip
def get_last_processed_event(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Most recent SEL addition time, the last record's ID (0xFFFF: empty SEL), last processed IDs."""
    ids = bmc.sel.ids()
    last = ids[-1] if ids else 0xFFFF
    processed = bmc.pef.last_processed
    return struct.pack("<IHHH", bmc.sel.last_add, last, processed["software"], processed["bmc"])
