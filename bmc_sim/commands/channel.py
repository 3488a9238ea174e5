"""Channel commands (netfn 0x06): Get Channel Info, Get/Set Channel Access.

A one-LAN-channel BMC: channel 0 is the primary IPMB, ``config.channel`` (1)
is 802.3 LAN with multi-session support, 0x0F is the system interface (KCS).
Any other channel number is refused with 0xCC, so ``ipmitool lan print 2``
fails the way it does on real single-channel hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import InvalidDataField
from bmc_sim.message import RequestContext

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP = 0x06
CURRENT_CHANNEL = 0x0E
SYSTEM_INTERFACE = 0x0F
IPMB_CHANNEL = 0x00
IPMI_VENDOR_ID = (7154).to_bytes(3, "little")
MEDIUM_IPMB, MEDIUM_LAN, MEDIUM_SYSTEM = 0x01, 0x04, 0x0C
PROTOCOL_IPMB, PROTOCOL_KCS = 0x01, 0x05
SESSIONLESS, MULTI_SESSION = 0x00, 0x80
ACCESS_ALWAYS_AVAILABLE = 0x02


@dataclass
class ChannelAccess:
    """Channel-wide access settings (Set/Get Channel Access)."""

    alerting: bool = True
    per_message_auth: bool = True
    user_level_auth: bool = True
    access_mode: int = ACCESS_ALWAYS_AVAILABLE
    privilege_limit: Privilege = Privilege.ADMINISTRATOR

    def encode(self) -> bytes:
        byte1 = (
            (0 if self.alerting else 0x20)
            | (0 if self.per_message_auth else 0x10)
            | (0 if self.user_level_auth else 0x08)
            | (self.access_mode & 0x07)
        )
        return bytes([byte1, int(self.privilege_limit) & 0x0F])


class Channels:
    """Which channels exist and their access settings."""

    def __init__(self, lan_channel: int, session_count: Callable[[], int]) -> None:
        self.lan_channel = lan_channel
        self.session_count = session_count
        self.access = {
            lan_channel: ChannelAccess(),
            SYSTEM_INTERFACE: ChannelAccess(),
            IPMB_CHANNEL: ChannelAccess(),
        }

    def resolve(self, channel: int, ctx: RequestContext) -> int:
        """The real channel number for ``channel`` (0x0E = the requester's); 0xCC if absent."""
        channel &= 0x0F
        if channel == CURRENT_CHANNEL:
            channel = SYSTEM_INTERFACE if ctx.in_band else ctx.channel
        if channel not in self.access:
            raise InvalidDataField(f"no channel {channel}")
        return channel

    def resolve_lan(self, channel: int, ctx: RequestContext) -> int:
        """Like :meth:`resolve` but only the LAN channel is acceptable."""
        resolved = self.resolve(channel, ctx)
        if resolved != self.lan_channel:
            raise InvalidDataField(f"channel {resolved} is not a LAN channel")
        return resolved

    def info(self, channel: int) -> bytes:
        """Get Channel Info response data for an existing channel."""
        if channel == self.lan_channel:
            medium, protocol = MEDIUM_LAN, PROTOCOL_IPMB
            sessions = MULTI_SESSION | min(self.session_count(), 0x3F)
        elif channel == SYSTEM_INTERFACE:
            medium, protocol, sessions = MEDIUM_SYSTEM, PROTOCOL_KCS, SESSIONLESS
        else:
            medium, protocol, sessions = MEDIUM_IPMB, PROTOCOL_IPMB, SESSIONLESS
        return bytes([channel, medium, protocol, sessions]) + IPMI_VENDOR_ID + bytes([0x00, 0x00])


@command(netfn=APP, cmd=0x42, name="app.get_channel_info", privilege=Privilege.USER, min_len=1, max_len=1)
def get_channel_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    channel = bmc.channels.resolve(data[0], ctx)
    return bmc.channels.info(channel)


@command(netfn=APP, cmd=0x41, name="app.get_channel_access", privilege=Privilege.USER, min_len=2, max_len=2)
def get_channel_access(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    channel = bmc.channels.resolve(data[0], ctx)
    if (data[1] >> 6) not in (1, 2):
        raise InvalidDataField("channel access: ask for volatile or non-volatile settings")
    return bmc.channels.access[channel].encode()


@command(netfn=APP, cmd=0x40, name="app.set_channel_access", privilege=Privilege.ADMINISTRATOR, min_len=3, max_len=3)
def set_channel_access(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    channel = bmc.channels.resolve(data[0], ctx)
    access = bmc.channels.access[channel]
    if data[1] >> 6 in (1, 2):
        access.alerting = not data[1] & 0x20
        access.per_message_auth = not data[1] & 0x10
        access.user_level_auth = not data[1] & 0x08
        access.access_mode = data[1] & 0x07
    if data[2] >> 6 in (1, 2):
        try:
            access.privilege_limit = Privilege(data[2] & 0x0F)
        except ValueError as exc:
            raise InvalidDataField(f"privilege {data[2] & 0x0F}") from exc
    return b""
