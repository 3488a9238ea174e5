"""Per-node identity: serial numbers, UUID, MACs and BMC address.

The rack derives a :class:`NodeIdentity` from its seed and hands it to the
node; :func:`derive_identity` is the same derivation for callers without a
rack (tests, one-off nodes).  Part serials (disks, DIMMs, RAID controller)
are expanded from the personality's patterns by :func:`expand`, keyed by
the system serial, so one identity always yields the same parts.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from node_sim.hardware import Disk, Hardware

_TOKEN = re.compile(r"\{(hex|dig)(\d+)\}|\{index(?::(\d+))?\}")


@dataclass(frozen=True)
class NodeIdentity:
    """What makes one node unique.

    ``nic_macs`` are in NIC order (``eth0`` first) and must match the
    personality's NIC count.  Board and chassis serials default to the
    system serial.
    """

    name: str
    system_serial: str
    system_uuid: uuid.UUID
    nic_macs: tuple[str, ...]
    bmc_ip: str
    bmc_mac: str
    board_serial: str = ""
    chassis_serial: str = ""
    asset_tag: str = ""

    @property
    def board(self) -> str:
        return self.board_serial or self.system_serial

    @property
    def chassis(self) -> str:
        return self.chassis_serial or self.system_serial


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def expand(pattern: str, key: str, role: str, index: int = 0) -> str:
    """Expand ``{hexN}`` (N upper-case hex digits), ``{digN}`` (N decimal digits)
    and ``{index}``/``{index:02}`` in ``pattern``, deterministically from ``key``, ``role`` and ``index``."""
    digest = _digest(key, role, str(index)) * 4

    def sub(match: re.Match[str]) -> str:
        kind, width, index_width = match.group(1), match.group(2), match.group(3)
        if kind is None:
            return f"{index:0{int(index_width)}d}" if index_width else str(index)
        n = int(width)
        if kind == "hex":
            return digest.hex().upper()[:n]
        return "".join(str(b % 10) for b in digest[:n])

    return _TOKEN.sub(sub, pattern)


def mac_from(oui: str, *parts: str) -> str:
    """A MAC with the vendor ``oui`` (``"2c:60:0c"``) and three derived bytes."""
    tail = _digest(*parts)[:3]
    return oui.lower() + ":" + ":".join(f"{b:02x}" for b in tail)


def derive_identity(seed: str, name: str, hardware: Hardware, bmc_ip: str) -> NodeIdentity:
    """A deterministic identity for node ``name`` of ``hardware`` under rack ``seed``."""
    serial = expand(hardware.system.serial_pattern, seed, f"{name}/system")
    system_uuid = uuid.UUID(bytes=_digest(seed, name, "uuid")[:16], version=4)
    macs = tuple(mac_from(nic.oui, seed, name, f"nic{i}") for i, nic in enumerate(hardware.nics))
    return NodeIdentity(
        name=name,
        system_serial=serial,
        system_uuid=system_uuid,
        nic_macs=macs,
        bmc_ip=bmc_ip,
        bmc_mac=mac_from(hardware.bmc_oui, seed, name, "bmc"),
    )


def check_identity(hardware: Hardware, identity: NodeIdentity) -> None:
    """Raise ValueError when ``identity`` does not fit ``hardware`` (NIC count)."""
    if len(identity.nic_macs) != len(hardware.nics):
        raise ValueError(
            f"node {identity.name}: {len(identity.nic_macs)} MACs for {len(hardware.nics)} NICs of {hardware.name}"
        )


def disk_serial(disk: Disk, identity: NodeIdentity, index: int) -> str:
    """Serial number of drive ``index`` (position in ``hardware.disks``)."""
    return expand(disk.serial_pattern, identity.system_serial, "disk", index)


def disk_wwn(disk: Disk, identity: NodeIdentity, index: int) -> str:
    """A 16-hex-digit NAA 5 WWN (``5000c500a1b2c3d4``) for drive ``index``."""
    if disk.wwn_pattern:
        return expand(disk.wwn_pattern, identity.system_serial, "wwn", index).lower()
    return "5" + _digest(identity.system_serial, "wwn", str(index)).hex()[:15]


def part_serial(pattern: str, identity: NodeIdentity, role: str, index: int = 0) -> str:
    """Serial of any other part (DIMM, RAID controller, ...)."""
    return expand(pattern, identity.system_serial, role, index)
