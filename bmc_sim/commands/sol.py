"""SOL and payload commands that need no session state: Get/Set SOL Configuration Parameters
(transport 0x21/0x22), Get Channel Payload Support (app 0x4E), Get Channel Payload Version (0x4F)
and Get User Payload Access (0x4D).  Activating and deactivating the SOL payload belongs to the
session layer (:mod:`bmc_sim.sol`), which knows the sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import InvalidDataField
from bmc_sim.message import RequestContext
from bmc_sim.sol_config import PARAMETER_REVISION

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP = 0x06
TRANSPORT = 0x0C
# IPMI 2.0 table 24-7: standard payloads IPMI (bit 0) and SOL (bit 1); session setup payloads
# (Open Session, RAKP 1-4) in the second word.
PAYLOAD_SUPPORT = bytes([0x03, 0x00, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00])
PAYLOAD_VERSION_1_0 = 0x10


@command(netfn=TRANSPORT, cmd=0x21, name="transport.set_sol_config", privilege=Privilege.ADMINISTRATOR, min_len=3)
def set_sol_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0] & 0x0F, ctx)
    bmc.sol_config.set(data[1], data[2:])
    return b""


@command(netfn=TRANSPORT, cmd=0x22, name="transport.get_sol_config", privilege=Privilege.USER, min_len=4, max_len=4)
def get_sol_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0] & 0x0F, ctx)
    if data[0] & 0x80:  # revision only
        return bytes([PARAMETER_REVISION])
    return bytes([PARAMETER_REVISION]) + bmc.sol_config.get(data[1])


@command(netfn=APP, cmd=0x4E, name="app.get_channel_payload_support", privilege=Privilege.USER, min_len=1, max_len=1)
def get_channel_payload_support(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0] & 0x0F, ctx)
    return PAYLOAD_SUPPORT


@command(netfn=APP, cmd=0x4F, name="app.get_channel_payload_version", privilege=Privilege.USER, min_len=2, max_len=2)
def get_channel_payload_version(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0] & 0x0F, ctx)
    if data[1] not in (0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15):
        raise InvalidDataField(f"payload type {data[1]:#04x} is not supported on this channel")
    return bytes([PAYLOAD_VERSION_1_0])


@command(netfn=APP, cmd=0x4D, name="app.get_user_payload_access", privilege=Privilege.OPERATOR, min_len=2, max_len=2)
def get_user_payload_access(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0] & 0x0F, ctx)
    user = bmc.users.get(data[1] & 0x3F)
    sol = 0x02 if user.enabled else 0x00  # every enabled user may use SOL at the SOL privilege level
    return bytes([sol, 0x00, 0x00, 0x00])
