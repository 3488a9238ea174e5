"""Helpers shared by the vendor personalities: static data, system group, SET checks.

A personality is a small object with ``name``, ``aliases``, ``max_outlets``
and ``build(pdu) -> MibSource``.  Each builds, once per outlet count, a
:class:`~snmp_agent.layout.Layout` from the vendor's static ``.snmprec`` file
(next to its module), the MIB-II system group and the live OIDs (outlet state,
load, names) as functions of the PDU, and binds it to the :class:`Pdu`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pysnmp.proto import rfc1902

from snmp_agent.layout import Layout
from snmp_agent.snmprec import read_snmprec
from snmp_agent.source import MibSource, Oid, Value, WrongLength, WrongType, WrongValue

if TYPE_CHECKING:
    from ..device import Pdu

DATA_DIR = Path(__file__).parent
SYSTEM = (1, 3, 6, 1, 2, 1, 1)


class PduModel(Protocol):
    """A vendor personality."""

    name: str
    aliases: tuple[str, ...]
    vendor: str  # the maker's key
    oui: str  # the maker's IEEE OUI, the first half of the PDU's derived management MAC
    description: str
    max_outlets: int

    def build(self, pdu: Pdu) -> MibSource: ...

    def load_notification(self, pdu: Pdu) -> Notification | None:
        """The trap the device sends when its infeed's load state changes (``pdu.load_state()``), if it has one."""
        ...


Notification = tuple[tuple[int, ...], list[tuple[tuple[int, ...], object]]]
"""``(trap OID, variable bindings)`` of a trap a PDU sends."""


def static_layout(filename: str) -> Layout[Pdu]:
    """A new layout holding the records of ``pdu_sim/models/<filename>``."""
    layout: Layout[Pdu] = Layout()
    for oid, value in read_snmprec(DATA_DIR / filename):
        layout.add(oid, value)
    return layout


def add_system_layout(layout: Layout[Pdu], descr: str, object_id: str, *, contact: str = "") -> None:
    """sysDescr, sysObjectID, sysUpTime (live, from the PDU clock), sysContact, sysName, sysLocation, sysServices."""
    layout.add((*SYSTEM, 1, 0), rfc1902.OctetString(descr))
    layout.add((*SYSTEM, 2, 0), rfc1902.ObjectIdentifier(object_id))
    layout.add((*SYSTEM, 3, 0), getter=lambda pdu: rfc1902.TimeTicks(int(pdu.uptime() * 100) % 2**32))
    layout.add((*SYSTEM, 4, 0), rfc1902.OctetString(contact))
    layout.add((*SYSTEM, 5, 0), getter=lambda pdu: rfc1902.OctetString(pdu.name), live=False)
    location: Callable[[Pdu], Value] = lambda pdu: rfc1902.OctetString(str(pdu.options.get("location", "")))  # noqa: E731
    layout.add((*SYSTEM, 6, 0), getter=location, live=False)
    layout.add((*SYSTEM, 7, 0), rfc1902.Integer32(72))


def integer_checker(allowed: set[int] | range) -> Callable[[Value], None]:
    """A SET checker accepting an INTEGER from ``allowed`` (wrongType / wrongValue otherwise)."""

    def check(value: Value) -> None:
        if not isinstance(value, rfc1902.Integer32):
            raise WrongType(f"expected INTEGER, got {type(value).__name__}")
        if int(value) not in allowed:
            raise WrongValue(f"{int(value)} is not one of {sorted(allowed)}")

    return check


def string_checker(max_length: int) -> Callable[[Value], None]:
    """A SET checker accepting an OCTET STRING of at most ``max_length`` bytes."""

    def check(value: Value) -> None:
        if not isinstance(value, rfc1902.OctetString) or isinstance(value, rfc1902.IpAddress):
            raise WrongType(f"expected OCTET STRING, got {type(value).__name__}")
        if len(value.asOctets()) > max_length:
            raise WrongLength(f"at most {max_length} characters")

    return check


def text(value: Value) -> str:
    return bytes(value.asOctets()).decode(errors="replace")


def column(entry: Oid, col: int, *index: int) -> Oid:
    return (*entry, col, *index)


def add_outlet_name(layout: Layout[Pdu], oid: Oid, n: int, check_name: Callable[[Value], None]) -> None:
    """Outlet ``n``'s name at ``oid``: read from the PDU, written by SET after ``check_name`` accepts it; not live
    (a walk may cache it)."""

    def set_name(pdu: Pdu, value: Value) -> None:
        pdu.set_outlet_name(n, text(value))

    layout.add(
        oid,
        getter=lambda pdu: rfc1902.OctetString(pdu.outlet(n).name),
        setter=set_name,
        checker=lambda _pdu, value: check_name(value),
        live=False,
    )
