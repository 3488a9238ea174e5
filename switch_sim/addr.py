"""MAC and IPv4 address helpers (pure functions).

MACs are handled as 48-bit integers inside the model so that "base MAC + n"
is plain arithmetic; they are parsed from and printed as colon-separated hex.
"""

from __future__ import annotations

import ipaddress
import re

_MAC_RE = re.compile(r"^[0-9A-Fa-f]{1,2}([:-][0-9A-Fa-f]{1,2}){5}$")
MAC_MAX = (1 << 48) - 1


def parse_mac(text: str) -> int:
    """Parse ``"52:54:00:0a:0b:0c"`` (``-`` separators and unpadded octets allowed) into an int."""
    if not _MAC_RE.match(text.strip()):
        raise ValueError(f"not a MAC address: {text!r} (expected six hex octets like 52:54:00:0a:0b:0c)")
    value = 0
    for part in re.split(r"[:-]", text.strip()):
        value = (value << 8) | int(part, 16)
    return value


def is_mac(text: str) -> bool:
    return bool(_MAC_RE.match(text.strip()))


def mac_bytes(mac: int) -> bytes:
    """The 6 octets of ``mac`` (as SNMP PhysAddress / MacAddress carry it)."""
    return (mac & MAC_MAX).to_bytes(6, "big")


def mac_octets(mac: int) -> tuple[int, ...]:
    """The 6 octets of ``mac`` as an OID suffix (BRIDGE-MIB table index)."""
    return tuple(mac_bytes(mac))


def format_mac(mac: int) -> str:
    """``52:54:00:0a:0b:0c`` (lower case, zero padded)."""
    return ":".join(f"{b:02x}" for b in mac_bytes(mac))


def ipv4_bytes(text: str) -> bytes:
    """The 4 octets of a dotted IPv4 address; ValueError for anything else."""
    return ipaddress.IPv4Address(text).packed
