"""Deterministic identities derived from the rack seed.

Every MAC, serial number and UUID in a rack is a pure function of the rack
seed, the device name and the role of the identifier, so the same spec gives
the same rack on every machine, and adding a device does not renumber the
others.  MACs carry a vendor OUI taken from the device model so that tools
that look at OUIs (RackHD's proxyDHCP does) see plausible hardware.
"""

from __future__ import annotations

import hashlib
import uuid

# Vendor OUIs (IEEE registry assignments) used for realism only.
VENDOR_OUIS: dict[str, str] = {
    "quanta": "2c:60:0c",
    "dell": "18:66:da",
    "supermicro": "00:25:90",
    "arista": "00:1c:73",
    "cisco": "00:1b:54",
    "apc": "00:c0:b7",
    "servertech": "00:0a:9c",
    "sinetica": "00:1a:55",
    "intel": "a0:36:9f",
}
LOCAL_OUI = "02:76:72"  # locally administered ("vr")


def digest(seed: str, *parts: str) -> bytes:
    """SHA-256 of the seed and parts, NUL separated."""
    return hashlib.sha256("\0".join((seed, *parts)).encode()).digest()


def mac_address(seed: str, device: str, role: str, vendor: str | None = None) -> str:
    """A MAC with the vendor's OUI (or a locally administered one) and 3 derived bytes."""
    oui = VENDOR_OUIS.get(vendor or "", LOCAL_OUI)
    tail = digest(seed, device, "mac", role)[:3]
    return oui + ":" + ":".join(f"{b:02x}" for b in tail)


def serial_number(seed: str, device: str, role: str, prefix: str = "", length: int = 10) -> str:
    """An upper-case alphanumeric serial, ``prefix`` followed by derived characters."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    value = int.from_bytes(digest(seed, device, "serial", role), "big")
    chars = []
    for _ in range(max(length - len(prefix), 1)):
        value, rem = divmod(value, len(alphabet))
        chars.append(alphabet[rem])
    return prefix + "".join(chars)


def system_uuid(seed: str, device: str, role: str = "system") -> uuid.UUID:
    """A version-4-shaped UUID derived from the seed (stable, not random)."""
    return uuid.UUID(bytes=digest(seed, device, "uuid", role)[:16], version=4)


def small_int(seed: str, device: str, role: str, modulo: int) -> int:
    """A derived integer in ``range(modulo)`` (per-device curves and offsets)."""
    return int.from_bytes(digest(seed, device, "int", role)[:8], "big") % modulo
