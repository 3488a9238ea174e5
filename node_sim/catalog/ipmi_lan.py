"""``ipmitool lan print [N]``: the same requests ipmitool 1.8.19 sends, printed its way.

Get Channel Info decides whether ``N`` is a LAN channel (``Invalid channel:
N`` otherwise); each LAN parameter is then read with Get LAN Configuration
Parameters.  A parameter the BMC does not support (0x80, 0xC9, 0xCC) is
left out; any other error ends the listing with exit status 1.
"""

from __future__ import annotations

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import APP, TRANSPORT, InbandIpmi

MEDIUM_LAN, MEDIUM_LAN_OTHER = 0x04, 0x06
NOT_SUPPORTED = frozenset({0x80, 0xC9, 0xCC})
AUTH_NAMES = ((0, "NONE "), (1, "MD2 "), (2, "MD5 "), (4, "PASSWORD "), (5, "OEM "))
PRIV_CHARS = {1: "c", 2: "u", 3: "o", 4: "a", 5: "O"}
IP_SOURCES = {0: "Unspecified", 1: "Static Address", 2: "DHCP Address", 3: "BIOS Assigned Address"}
LEGEND = ("    X=Cipher Suite Unused", "    c=CALLBACK", "    u=USER", "    o=OPERATOR", "    a=ADMIN", "    O=OEM")
DESCRIPTIONS = {
    0: "Set in Progress",
    1: "Auth Type Support",
    2: "Auth Type Enable",
    3: "IP Address",
    4: "IP Address Source",
    5: "MAC Address",
    6: "Subnet Mask",
    7: "IP Header",
    10: "BMC ARP Control",
    11: "Gratituous ARP Intrvl",
    12: "Default Gateway IP",
    13: "Default Gateway MAC",
    14: "Backup Gateway IP",
    15: "Backup Gateway MAC",
    16: "SNMP Community String",
    20: "802.1q VLAN ID",
    21: "802.1q VLAN Priority",
    22: "RMCP+ Cipher Suite Count",
    23: "RMCP+ Cipher Suites",
    24: "Cipher Suite Priv Max",
    26: "Bad Password Threshold",
}


class _Abort(Exception):
    """A LAN parameter read failed with a real error: stop printing, exit 1."""


def is_lan_channel(ipmi: InbandIpmi, channel: int) -> bool:
    """True when Get Channel Info says ``channel`` (1..15) is 802.3 LAN."""
    if not 1 <= channel <= 15:
        return False
    code, data = ipmi.raw(APP, 0x42, bytes([channel]))
    return code == 0 and len(data) > 1 and (data[1] & 0x7F) in (MEDIUM_LAN, MEDIUM_LAN_OTHER)


def find_lan_channel(ipmi: InbandIpmi) -> int:
    """The first LAN channel (1..14), 0 if none."""
    return next((ch for ch in range(1, 15) if is_lan_channel(ipmi, ch)), 0)


def _param(ipmi: InbandIpmi, channel: int, param: int) -> bytes | None:
    """Parameter data without the revision byte; None if unsupported; raises _Abort on other errors."""
    code, data = ipmi.raw(TRANSPORT, 0x02, bytes([channel, param, 0, 0]))
    if code in NOT_SUPPORTED:
        return None
    if code != 0:
        raise _Abort(param)
    return data[1:]


def _line(desc: str, value: str) -> str:
    return f"{desc:<24}: {value}"


def _auth(mask: int) -> str:
    return "".join(name for bit, name in AUTH_NAMES if mask & (1 << bit))


def _ip(data: bytes) -> str:
    return ".".join(str(b) for b in data[:4])


def _mac(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data[:6])


def lan_print(ipmi: InbandIpmi, console: Console, channel: int | None) -> int:
    """Print the LAN configuration of ``channel`` (first LAN channel if None); returns the exit status."""
    if channel is None:
        channel = find_lan_channel(ipmi)
    if not is_lan_channel(ipmi, channel):
        console.error(f"Invalid channel: {channel}")
        return 1
    try:
        _print_params(ipmi, console, channel)
    except _Abort:
        return 1
    return 0


def _print_params(ipmi: InbandIpmi, c: Console, ch: int) -> None:
    d = DESCRIPTIONS
    if (p := _param(ipmi, ch, 0)) is not None:
        c.print(_line(d[0], ("Set Complete", "Set In Progress", "Commit Write", "Reserved")[p[0] & 3]))
    if (p := _param(ipmi, ch, 1)) is not None:
        c.print(_line(d[1], _auth(p[0])))
    if (p := _param(ipmi, ch, 2)) is not None:
        c.print(_line(d[2], "Callback : " + _auth(p[0])))
        for label, value in zip(("User     : ", "Operator : ", "Admin    : ", "OEM      : "), p[1:5], strict=False):
            c.print(_line("", label + _auth(value)))
    if (p := _param(ipmi, ch, 4)) is not None:
        c.print(_line(d[4], IP_SOURCES.get(p[0] & 0x0F, "Other")))
    for param, fmt in ((3, _ip), (6, _ip), (5, _mac)):
        if (p := _param(ipmi, ch, param)) is not None:
            c.print(_line(d[param], fmt(p)))
    if (p := _param(ipmi, ch, 16)) is not None:
        c.print(_line(d[16], p.split(b"\x00", 1)[0].decode("latin-1")))
    if (p := _param(ipmi, ch, 7)) is not None:
        c.print(
            _line(
                d[7],
                f"TTL=0x{p[0]:02x} Flags=0x{p[1] & 0xE0:02x} Precedence=0x{p[2] & 0xE0:02x} TOS=0x{p[2] & 0x1E:02x}",
            )
        )
    if (p := _param(ipmi, ch, 10)) is not None:
        responses, gratuitous = ("En" if p[0] & 2 else "Dis"), ("En" if p[0] & 1 else "Dis")
        c.print(_line(d[10], f"ARP Responses {responses}abled, Gratuitous ARP {gratuitous}abled"))
    if (p := _param(ipmi, ch, 11)) is not None:
        c.print(_line(d[11], f"{float((p[0] + 1) // 2):.1f} seconds"))
    for param, fmt in ((12, _ip), (13, _mac), (14, _ip), (15, _mac)):
        if (p := _param(ipmi, ch, param)) is not None:
            c.print(_line(d[param], fmt(p)))
    _print_vlan(ipmi, c, ch)
    _print_ciphers(ipmi, c, ch)
    if (p := _param(ipmi, ch, 26)) is not None and len(p) == 6:
        c.print(_line(d[26], str(p[1])))
        c.print(_line("Invalid password disable", "yes" if p[0] & 1 else "no"))
        c.print(_line("Attempt Count Reset Int.", str((p[2] + (p[3] << 8)) * 10)))
        c.print(_line("User Lockout Interval", str((p[4] + (p[5] << 8)) * 10)))
    else:
        c.print(_line(d[26], "Not Available"))


def _print_vlan(ipmi: InbandIpmi, c: Console, ch: int) -> None:
    # ipmitool tolerates any error on the VLAN parameters
    try:
        vlan = _param(ipmi, ch, 20)
        priority = _param(ipmi, ch, 21)
    except _Abort:
        return
    if vlan is not None:
        vid = ((vlan[1] & 0x0F) << 8) + vlan[0]
        c.print(_line(DESCRIPTIONS[20], str(vid) if vlan[1] & 0x80 else "Disabled"))
    if priority is not None:
        c.print(_line(DESCRIPTIONS[21], str(priority[0] & 0x07)))


def _print_ciphers(ipmi: InbandIpmi, c: Console, ch: int) -> None:
    count = _param(ipmi, ch, 22)
    if count is not None:
        suites = _param(ipmi, ch, 23)
        if suites is not None and len(suites) <= 17:
            listed = ",".join(str(suites[i + 1]) for i in range(min(16, count[0])))
            c.print(_line(DESCRIPTIONS[23], listed))
        else:
            c.print(_line(DESCRIPTIONS[23], "None"))
    privs = _param(ipmi, ch, 24)
    if privs is not None and len(privs) == 9:
        nibbles = [n for b in privs[1:] for n in (b & 0x0F, b >> 4)][:15]
        c.print(_line(DESCRIPTIONS[24], "".join(PRIV_CHARS.get(n, "X") for n in nibbles)))
        for text in LEGEND:
            c.print(_line("", text))
    else:
        c.print(_line(DESCRIPTIONS[24], "Not Available"))
