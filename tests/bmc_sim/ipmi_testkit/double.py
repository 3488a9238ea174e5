"""A test double for the BMC device the session layer talks to (``bmc_sim.device.Bmc``).

It answers just enough for real clients: Get Device ID (the 15-byte form
FreeIPMI insists on), Get Device/System GUID, Get Channel Info, Get Chassis
Status and Chassis Control, and enforces a minimum privilege per command like
the real device.  Every request is recorded with its context.
"""

from __future__ import annotations

import struct
import uuid

from bmc_sim.config import AuthType15, BmcConfig, DeviceIdentity, LanConfig, Privilege, UserConfig
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext
from bmc_sim.users import UserStore

APP, CHASSIS = 0x06, 0x00
NAMES = {
    (APP, 0x01): ("app.get_device_id", Privilege.USER),
    (APP, 0x08): ("app.get_device_guid", Privilege.USER),
    (APP, 0x37): ("app.get_system_guid", Privilege.CALLBACK),
    (APP, 0x42): ("app.get_channel_info", Privilege.USER),
    (CHASSIS, 0x01): ("chassis.get_status", Privilege.USER),
    (CHASSIS, 0x02): ("chassis.control", Privilege.OPERATOR),
}


def make_config(
    name: str = "bmc-double",
    *,
    users: tuple[UserConfig, ...] | None = None,
    cipher_suites: tuple[int, ...] = (1, 2, 3, 17),
    auth_types_15: tuple[int, ...] = (2, 4),
    session_limit: int = 16,
    session_timeout: float = 60.0,
    handshake_timeout: float = 10.0,
) -> BmcConfig:
    """A BMC configuration with an ``admin``/``admin`` administrator unless ``users`` is given."""
    if users is None:
        users = (
            UserConfig(2, "admin", "admin"),
            UserConfig(3, "operator", "op-secret", Privilege.OPERATOR),
            UserConfig(4, "viewer", "viewer-pw", Privilege.USER),
            UserConfig(5, "disabled", "disabled-pw", enabled=False),
            UserConfig(6, "longpw", "sixteen-chars-pw"),  # FreeIPMI's straight-password check needs 16
        )
    return BmcConfig(
        name=name,
        lan=LanConfig(ip_address="127.20.0.1", mac_address="02:00:00:00:00:01"),
        users=users,
        identity=DeviceIdentity(system_guid=uuid.UUID("a1234567-89ab-cdef-0123-456789abcdef")),
        cipher_suites=cipher_suites,
        auth_types_15=tuple(AuthType15(t) for t in auth_types_15),
        session_limit=session_limit,
        handshake_timeout=handshake_timeout,
        session_timeout=session_timeout,
    )


class DeviceDouble:
    """Stands in for ``bmc_sim.device.Bmc``; ``responsive`` and ``power_on`` are plain attributes."""

    def __init__(self, config: BmcConfig) -> None:
        self.config = config
        self.users = UserStore.from_config(config.users, config.channel, config.max_users)
        self.responsive = True
        self.power_on = False
        self.requests: list[tuple[IpmiRequest, RequestContext]] = []

    def command_name(self, netfn: int, cmd: int) -> str:
        entry = NAMES.get((netfn, cmd))
        return entry[0] if entry else f"netfn{netfn:02x}.cmd{cmd:02x}"

    def handle(self, request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        self.requests.append((request, ctx))
        entry = NAMES.get((request.netfn, request.cmd))
        if entry is None:
            return IpmiResponse(0xC1)
        if ctx.privilege < entry[1] and not ctx.in_band:
            return IpmiResponse(0xD4)
        key = (request.netfn, request.cmd)
        identity = self.config.identity
        if key == (APP, 0x01):
            data = bytes([identity.device_id, 0x01, identity.firmware_major, identity.firmware_minor, 0x02, 0xBF])
            data += struct.pack("<I", identity.manufacturer_id)[:3] + struct.pack("<H", identity.product_id)
            return IpmiResponse(0, data + identity.aux_firmware)
        if key == (APP, 0x08):
            return IpmiResponse(0, identity.device_guid.bytes_le)
        if key == (APP, 0x37):
            return IpmiResponse(0, identity.system_guid.bytes_le)
        if key == (APP, 0x42):
            channel = request.data[0] & 0x0F if request.data else 0
            if channel not in (self.config.channel, 0x0E):
                return IpmiResponse(0xCC)
            return IpmiResponse(0, bytes([self.config.channel, 0x04, 0x01, 0x80, 0xF2, 0x1B, 0x00, 0, 0]))
        if key == (CHASSIS, 0x01):
            return IpmiResponse(0, bytes([0x01 if self.power_on else 0x00, 0x00, 0x00]))
        if not request.data or request.data[0] & 0x0F > 5:
            return IpmiResponse(0xCC)
        self.power_on = request.data[0] & 0x0F in (0x01, 0x02, 0x03)
        return IpmiResponse(0)
