"""DCMI commands (netfn 0x2C, group extension 0xDC): capabilities, power readings and power limiting.

Every request starts with the group extension byte 0xDC and every response with it; another first
byte is refused with 0xCC.  Readings come from :class:`bmc_sim.dcmi.PowerStatistics`, the limit from
:class:`bmc_sim.dcmi.PowerLimit`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.dcmi import GROUP_EXTENSION, NO_ACTIVE_LIMIT, PARAMETER_REVISION, SPEC_MAJOR, SPEC_MINOR, capability
from bmc_sim.errors import CommandSpecific, InvalidDataField, ParameterOutOfRange
from bmc_sim.message import RequestContext

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

GROUP = 0x2C
SYSTEM_POWER_STATISTICS, ENHANCED_POWER_STATISTICS = 0x01, 0x02
MEASUREMENT_ACTIVE = 0x40


def _group(data: bytes) -> None:
    if data[0] != GROUP_EXTENSION:
        raise InvalidDataField(f"group extension {data[0]:#04x} is not DCMI's 0xdc")


@command(netfn=GROUP, cmd=0x01, name="dcmi.get_capabilities", privilege=Privilege.USER, min_len=2, max_len=2)
def get_dcmi_capabilities(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    _group(data)
    value = capability(data[1], sel_capacity=bmc.config.sel_capacity, channel=bmc.config.channel)
    if value is None:
        raise ParameterOutOfRange(f"DCMI capability parameter {data[1]} (1..5)")
    return bytes([GROUP_EXTENSION, SPEC_MAJOR, SPEC_MINOR, PARAMETER_REVISION]) + value


@command(netfn=GROUP, cmd=0x02, name="dcmi.get_power_reading", privilege=Privilege.USER, min_len=4, max_len=4)
def get_power_reading(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Mode 1 (system power statistics): current, minimum, maximum, average watts since the BMC booted, the
    time stamp, the period in ms and "measurement active".  Mode 2 needs a rolling period, and none is offered."""
    _group(data)
    if data[1] == ENHANCED_POWER_STATISTICS:
        raise InvalidDataField(f"no rolling average period {data[2]} (the BMC offers none)")
    if data[1] != SYSTEM_POWER_STATISTICS:
        raise InvalidDataField(f"power reading mode {data[1]:#04x} (1: system power statistics)")
    current, minimum, maximum, average, period_ms = bmc.power_statistics.reading()
    return struct.pack(
        "<BHHHHIIB", GROUP_EXTENSION, current, minimum, maximum, average, bmc.sel.now(), period_ms, MEASUREMENT_ACTIVE
    )


@command(netfn=GROUP, cmd=0x03, name="dcmi.get_power_limit", privilege=Privilege.USER, min_len=3, max_len=3)
def get_power_limit(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """The stored limit: exception action, watts, correction time (ms), sampling period (s).  Without an
    active limit the completion code is 0x80 "no active set power limit", still with the stored values."""
    _group(data)
    limit = bmc.power_limit
    reply = struct.pack(
        "<BHBHIHH", GROUP_EXTENSION, 0, limit.action, limit.watts, limit.correction_ms, 0, limit.sampling_s
    )
    if not limit.active:
        raise CommandSpecific(NO_ACTIVE_LIMIT, "no active power limit", reply)
    return reply


@command(netfn=GROUP, cmd=0x04, name="dcmi.set_power_limit", privilege=Privilege.OPERATOR, min_len=15, max_len=15)
def set_power_limit(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Store a limit (validated as a whole: 0xCC for an exception action this BMC lacks, 0x84/0x85/0x89 for
    a limit, correction time or sampling period out of range).  An active limit takes effect at once."""
    _group(data)
    action, watts, correction_ms, _reserved, sampling_s = struct.unpack_from("<BHIHH", data, 4)
    bmc.power_limit.configure(action, watts, correction_ms, sampling_s)
    return bytes([GROUP_EXTENSION])


@command(netfn=GROUP, cmd=0x05, name="dcmi.activate_power_limit", privilege=Privilege.OPERATOR, min_len=4, max_len=4)
def activate_power_limit(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Activate (1) or deactivate (0) the stored limit."""
    _group(data)
    if data[1] not in (0, 1):
        raise InvalidDataField(f"power limit activation {data[1]:#04x} (0: deactivate, 1: activate)")
    bmc.power_limit.activate(data[1] == 1)
    return bytes([GROUP_EXTENSION])
