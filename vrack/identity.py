"""Deterministic identities derived from the rack seed.

Every MAC, serial number and UUID in a rack is a pure function of the rack
seed, the device name and the role of the identifier, so the same spec gives
the same rack on every machine, and adding a device does not renumber the
others.  MACs carry the maker's OUI that the device model's own file names
(:attr:`vrack.registry.ModelInfo.oui`), so that tools that look at OUIs
(RackHD's proxyDHCP does) see plausible hardware.
"""

from __future__ import annotations

import hashlib
import uuid

LOCAL_OUI = "02:76:72"  # locally administered ("vr")


def digest(seed: str, *parts: str) -> bytes:
    """SHA-256 of the seed and parts, NUL separated."""
    return hashlib.sha256("\0".join((seed, *parts)).encode()).digest()


def mac_address(seed: str, device: str, role: str, oui: str | None = None) -> str:
    """A MAC with ``oui`` (a locally administered one when None) and 3 bytes derived from seed, device and role."""
    oui = oui or LOCAL_OUI
    return oui + ":" + digest(seed, device, "mac", role)[:3].hex(":")


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
