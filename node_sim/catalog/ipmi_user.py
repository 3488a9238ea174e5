"""``ipmitool user summary|list|set name|set password|enable|disable`` and ``channel setaccess``.

Requests and output follow ipmitool 1.8.19: ``user list`` walks user IDs 1..max
with Get User Access + Get User Name (older ipmitool, as in the microkernel, skips
unused slots: see :func:`user_list`); ``channel setaccess`` reads the user's
access first and writes it back with the given changes; passwords of up to
16 characters use the 16-byte form of Set User Password.
"""

from __future__ import annotations

from dataclasses import dataclass

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import APP, InbandIpmi, IpmiCommandError

PRIVILEGES = {1: "CALLBACK", 2: "USER", 3: "OPERATOR", 4: "ADMINISTRATOR", 5: "OEM", 0x0F: "NO ACCESS"}
OP_DISABLE, OP_ENABLE, OP_SET = 0, 1, 2


@dataclass
class UserAccess:
    """Get User Access response for one channel and user."""

    max_users: int
    enabled_users: int
    fixed_names: int
    callin: bool
    link_auth: bool
    ipmi_messaging: bool
    privilege: int


def privilege_name(level: int) -> str:
    return PRIVILEGES.get(level, f"Unknown (0x{level:02X})")


def get_user_access(ipmi: InbandIpmi, channel: int, user_id: int) -> UserAccess:
    data = ipmi.request(APP, 0x44, bytes([channel & 0x0F, user_id & 0x3F]))
    return UserAccess(
        max_users=data[0] & 0x3F,
        enabled_users=data[1] & 0x3F,
        fixed_names=data[2] & 0x3F,
        callin=not data[3] & 0x40,
        link_auth=bool(data[3] & 0x20),
        ipmi_messaging=bool(data[3] & 0x10),
        privilege=data[3] & 0x0F,
    )


def get_user_name(ipmi: InbandIpmi, user_id: int) -> str:
    """The user's name; 0xCC (no such name) reads as empty, other errors raise."""
    code, data = ipmi.raw(APP, 0x46, bytes([user_id & 0x3F]))
    if code == 0xCC:
        return ""
    if code != 0:
        raise IpmiCommandError(code)
    return data[:16].split(b"\x00", 1)[0].decode("latin-1")


def user_summary(ipmi: InbandIpmi, c: Console, channel: int) -> int:
    try:
        access = get_user_access(ipmi, channel, 1)
    except IpmiCommandError as exc:
        c.error(f"IPMI command failed: {exc.text}")
        return 1
    c.print(f"Maximum IDs\t    : {access.max_users}")
    c.print(f"Enabled User Count  : {access.enabled_users}")
    c.print(f"Fixed Name Count    : {access.fixed_names}")
    return 0


def user_list(ipmi: InbandIpmi, c: Console, channel: int, csv: bool, all_slots: bool = True) -> int:
    """List users 1..max.  ``all_slots`` False is ipmitool before 1.8.18 (Debian jessie's 1.8.14, the
    RancherOS microkernel's): only users with a name, link authentication or IPMI messaging are listed."""
    try:
        first = get_user_access(ipmi, channel, 1)
        if not csv:
            c.print("ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit")
        for user_id in range(1, first.max_users + 1):
            access = first if user_id == 1 else get_user_access(ipmi, channel, user_id)
            name = get_user_name(ipmi, user_id)
            if not (all_slots or name or access.link_auth or access.ipmi_messaging):
                continue
            flags = [str(v).lower() for v in (access.callin, access.link_auth, access.ipmi_messaging)]
            priv = privilege_name(access.privilege)
            if csv:
                c.print(f"{user_id},{name},{flags[0]},{flags[1]},{flags[2]},{priv}")
            else:
                c.print(f"{user_id:<4d}{name:<17s}{flags[0]:<8s}{flags[1]:<11s}{flags[2]:<11s}{priv}")
    except IpmiCommandError as exc:
        c.error(f"IPMI command failed: {exc.text}")
        return 1
    return 0


def user_set_name(ipmi: InbandIpmi, c: Console, user_id: int, name: str) -> int:
    raw = name.encode("latin-1", "replace")
    if len(raw) > 16:
        c.error("Username is too long (> 16 bytes)")
        return 1
    code, _ = ipmi.raw(APP, 0x45, bytes([user_id & 0x3F]) + raw.ljust(16, b"\x00"))
    if code != 0:
        c.error(f"Set User Name command failed (user {user_id}, name {name}): {IpmiCommandError(code).text}")
        return 1
    return 0


def user_set_password(ipmi: InbandIpmi, c: Console, user_id: int, password: str, size: int | None) -> int:
    raw = password.encode("latin-1", "replace")
    twenty = size == 20 or (size is None and len(raw) > 16)
    if len(raw) > 20 or (not twenty and len(raw) > 16):
        c.error(f"Password is too long (> {20 if twenty else 16} bytes)")
        return 1
    code = _password_op(ipmi, user_id, OP_SET, raw, twenty)
    if code != 0:
        c.error(f"Set User Password command failed (user {user_id}): {IpmiCommandError(code).text}")
        return 1
    c.print(f"Set User Password command successful (user {user_id})")
    return 0


def user_enable(ipmi: InbandIpmi, c: Console, user_id: int, enable: bool) -> int:
    code = _password_op(ipmi, user_id, OP_ENABLE if enable else OP_DISABLE, b"", False)
    if code != 0:
        verb = "Enable" if enable else "Disable"
        c.error(f"Set User Password command failed (user {user_id}): {IpmiCommandError(code).text}")
        c.error(f"{verb} User failed")
        return 1
    return 0


def _password_op(ipmi: InbandIpmi, user_id: int, operation: int, password: bytes, twenty: bool) -> int:
    size = 20 if twenty else 16
    first = (0x80 if twenty else 0x00) | (user_id & 0x0F)
    code, _ = ipmi.raw(APP, 0x47, bytes([first, operation & 0x03]) + password.ljust(size, b"\x00"))
    return code


def channel_setaccess(ipmi: InbandIpmi, c: Console, channel: int, user_id: int, options: list[str]) -> int:
    """``channel setaccess <ch> <uid> [callin=on|off] [ipmi=on|off] [link=on|off] [privilege=N]``."""
    try:
        access = get_user_access(ipmi, channel, user_id)
    except IpmiCommandError:
        c.error(f"Unable to Get User Access (channel {channel} id {user_id})")
        return 1
    for option in options:
        key, _, value = option.partition("=")
        on = not value.startswith("off")
        if key == "callin":
            access.callin = on
        elif key == "link":
            access.link_auth = on
        elif key == "ipmi":
            access.ipmi_messaging = on
        elif key == "privilege" and value.isdigit():
            access.privilege = int(value)
        else:
            c.error(f"Invalid option: {option}")
            return 1
    first = (
        0x80
        | (0 if access.callin else 0x40)
        | (0x20 if access.link_auth else 0)
        | (0x10 if access.ipmi_messaging else 0)
    )
    request = bytes([first | (channel & 0x0F), user_id & 0x3F, access.privilege & 0x0F, 0])
    code, _ = ipmi.raw(APP, 0x43, request)
    if code != 0:
        c.error(f"Unable to Set User Access (channel {channel} id {user_id})")
        return 1
    c.print(f"Set User Access (channel {channel} id {user_id}) successful.")
    return 0
