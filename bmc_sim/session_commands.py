"""The IPMI commands the session layer answers itself (netFn App).

Get Channel Authentication Capabilities (0x38), Get Channel Cipher Suites
(0x54), Set Session Privilege Level (0x3b), Close Session (0x3c) and Get
Session Info (0x3d).  Each handler is a pure function of the configuration,
user table and session table and returns ``(completion code, data)``.
Get Session Challenge and Activate Session (IPMI 1.5) live in :mod:`bmc_sim.lan15`.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from bmc_sim.config import BmcConfig, Privilege
from bmc_sim.crypto import AUTH_TYPES_15_IMPLEMENTED, CipherSuite
from bmc_sim.session_table import Session, SessionTable
from bmc_sim.users import UserStore
from bmc_sim.wire import LanMessage

APP = 0x06
GET_SYSTEM_GUID = 0x37
GET_CHANNEL_AUTH_CAPABILITIES = 0x38
GET_SESSION_CHALLENGE = 0x39
ACTIVATE_SESSION = 0x3A
SET_SESSION_PRIVILEGE = 0x3B
CLOSE_SESSION = 0x3C
GET_SESSION_INFO = 0x3D
GET_CHANNEL_CIPHER_SUITES = 0x54
CURRENT_CHANNEL = 0x0E

COMMAND_NAMES = {
    GET_CHANNEL_AUTH_CAPABILITIES: "app.get_channel_auth_capabilities",
    GET_SESSION_CHALLENGE: "app.get_session_challenge",
    ACTIVATE_SESSION: "app.activate_session",
    SET_SESSION_PRIVILEGE: "app.set_session_privilege",
    CLOSE_SESSION: "app.close_session",
    GET_SESSION_INFO: "app.get_session_info",
    GET_CHANNEL_CIPHER_SUITES: "app.get_channel_cipher_suites",
}

CC_OK = 0x00
CC_INSUFFICIENT_PRIVILEGE = 0xD4
CC_INVALID_DATA = 0xCC
CC_LENGTH_INVALID = 0xC7
CC_NOT_IN_PRESENT_STATE = 0xD5

Reply = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class CloseResult:
    """Close Session's reply and the session it closes (``None`` if refused)."""

    completion_code: int
    closed: Session | None


def _channel_ok(config: BmcConfig, channel_byte: int) -> bool:
    return (channel_byte & 0x0F) in (CURRENT_CHANNEL, config.channel)


def channel_auth_capabilities(config: BmcConfig, users: UserStore, data: bytes) -> Reply:
    """Get Channel Authentication Capabilities (IPMI 2.0 section 22.13), reported truthfully.

    Auth types are the configured IPMI 1.5 types that are implemented; per-
    message and user-level authentication are always on; "non-null user
    names" is set if an enabled user has a name, "null user names" only if
    slot 1 is an enabled null user with a password.  Bit 7 of the channel
    byte asks for the IPMI 2.0 extended capabilities.
    """
    if len(data) != 2:
        return CC_LENGTH_INVALID, b""
    privilege = data[1] & 0x0F
    if not _channel_ok(config, data[0]) or not Privilege.CALLBACK <= privilege <= Privilege.OEM:
        return CC_INVALID_DATA, b""
    extended = bool(data[0] & 0x80)
    auth_types = 0
    for auth_type in config.auth_types_15:
        if auth_type in AUTH_TYPES_15_IMPLEMENTED:
            auth_types |= 1 << auth_type
    if extended:
        auth_types |= 0x80
    enabled = users.enabled_users()
    status = 0
    if any(user.name for user in enabled):
        status |= 0x04
    if any(user.user_id == 1 and not user.name and user.password for user in enabled):
        status |= 0x02
    support = 0
    if extended:
        support = (0x02 if config.cipher_suites else 0) | (0x01 if auth_types & 0x7F else 0)
    return CC_OK, bytes([config.channel, auth_types, status, support, 0, 0, 0, 0])


def channel_cipher_suites(config: BmcConfig, suites: tuple[CipherSuite, ...], data: bytes) -> Reply:
    """Get Channel Cipher Suites (section 22.15): 16-byte pages of the suite records.

    Each record is 0xC0, suite ID, then the auth (0x00|n), integrity (0x40|n)
    and confidentiality (0x80|n) algorithm tags.  With bit 7 of the list index
    clear the algorithms are listed without suite records.
    """
    if len(data) != 3:
        return CC_LENGTH_INVALID, b""
    if not _channel_ok(config, data[0]) or data[1] & 0x3F not in (0x00, 0x01):
        return CC_INVALID_DATA, b""
    by_suite = bool(data[2] & 0x80)
    index = data[2] & 0x3F
    records = b""
    if by_suite:
        for suite in suites:
            records += bytes([0xC0, suite.suite_id, suite.auth, 0x40 | suite.integrity, 0x80 | suite.confidentiality])
    else:
        tags = [int(suite.auth) for suite in suites]
        tags += [0x40 | suite.integrity for suite in suites]
        tags += [0x80 | suite.confidentiality for suite in suites]
        records = bytes(dict.fromkeys(tags))
    return CC_OK, bytes([config.channel]) + records[16 * index : 16 * index + 16]


def set_session_privilege(session: Session, users: UserStore, channel: int, data: bytes) -> Reply:
    """Set Session Privilege Level (section 22.18); level 0 only reads the current level.

    A level above the user's channel limit gives 0x81; above the maximum
    negotiated for this session (but within the user's limit) gives 0x80.
    """
    if len(data) != 1:
        return CC_LENGTH_INVALID, b""
    level = data[0] & 0x0F
    if level == 0:
        return CC_OK, bytes([session.privilege])
    if not Privilege.CALLBACK <= level <= Privilege.OEM:
        return CC_INVALID_DATA, b""
    if level > users.get(session.user_id).privilege_limit(channel):
        return 0x81, b""
    if level > session.max_privilege:
        return 0x80, b""
    session.privilege = Privilege(level)
    return CC_OK, bytes([level])


def close_session(session: Session, table: SessionTable, data: bytes) -> CloseResult:
    """Close Session (section 22.19): the caller's own session, or another one if Administrator.

    Session ID 0 selects by the handle in byte 5.  Unknown ID: 0x87; unknown handle: 0x88.
    """
    if len(data) not in (4, 5):
        return CloseResult(CC_LENGTH_INVALID, None)
    (session_id,) = struct.unpack_from("<I", data)
    if session_id == 0:
        if len(data) != 5:
            return CloseResult(CC_LENGTH_INVALID, None)
        target = next((s for s in table.active() if s.handle == data[4]), None)
        missing = 0x88
    else:
        found = table.get(session_id)
        target = found if found is not None and found in table.active() else None
        missing = 0x87
    if target is None:
        return CloseResult(missing, None)
    if target is not session and session.privilege < Privilege.ADMINISTRATOR:
        return CloseResult(CC_INSUFFICIENT_PRIVILEGE, None)
    return CloseResult(CC_OK, target)


def session_info(session: Session, table: SessionTable, config: BmcConfig, data: bytes) -> Reply:
    """Get Session Info (section 22.20) for the current session, an index, a handle or an ID.

    LAN sessions add the console's IP address (MS byte first), MAC address
    (unknown: zeros) and UDP port (LS byte first).
    """
    if not data:
        return CC_LENGTH_INVALID, b""
    active = table.active()
    selector = data[0]
    target: Session | None
    if selector == 0x00:
        target = session
    elif selector == 0xFE:
        if len(data) < 2:
            return CC_LENGTH_INVALID, b""
        target = next((s for s in active if s.handle == data[1]), None)
    elif selector == 0xFF:
        if len(data) < 5:
            return CC_LENGTH_INVALID, b""
        (wanted,) = struct.unpack_from("<I", data, 1)
        target = next((s for s in active if s.bmc_session_id == wanted), None)
    elif selector <= 0x3F:
        target = active[selector - 1] if selector <= len(active) else None
    else:
        return CC_INVALID_DATA, b""
    head = bytes([target.handle if target else 0, config.session_limit & 0x3F, len(active) & 0x3F])
    if target is None:
        return CC_OK, head
    protocol = 0x10 if target.interface == "lanplus" else 0x00
    channel = protocol | (config.channel & 0x0F)
    out = head + bytes([target.user_id & 0x3F, target.privilege & 0x0F, channel])
    try:
        address = ipaddress.IPv4Address(target.peer[0]).packed
    except ValueError:
        address = bytes(4)
    return CC_OK, out + address + bytes(6) + struct.pack("<H", target.peer[1] & 0xFFFF)


def session_command(
    session: Session,
    table: SessionTable,
    config: BmcConfig,
    users: UserStore,
    suites: tuple[CipherSuite, ...],
    request: LanMessage,
) -> tuple[int, bytes, Session | None]:
    """Answer one of :data:`COMMAND_NAMES` inside ``session``: (completion code, data, session to close).

    Get Session Challenge and Activate Session make no sense inside a session: 0xD5.
    """
    cmd, data = request.cmd, request.data
    if cmd == GET_CHANNEL_AUTH_CAPABILITIES:
        return (*channel_auth_capabilities(config, users, data), None)
    if cmd == GET_CHANNEL_CIPHER_SUITES:
        return (*channel_cipher_suites(config, suites, data), None)
    if cmd == SET_SESSION_PRIVILEGE:
        return (*set_session_privilege(session, users, config.channel, data), None)
    if cmd == CLOSE_SESSION:
        result = close_session(session, table, data)
        return result.completion_code, b"", result.closed
    if cmd == GET_SESSION_INFO:
        return (*session_info(session, table, config, data), None)
    return CC_NOT_IN_PRESENT_STATE, b"", None
