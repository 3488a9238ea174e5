"""Sinetica / Panduit HAWK-I2 personality (what RackHD's power and sensor pollers read).

Outlet numbering: a :class:`Pdu` with N outlets is presented as daisy-chained
HAWK PDUs of up to 24 outlets each; device outlet ``n`` is outlet
``(n-1) % 24 + 1`` of HAWK PDU ``p = (n-1) // 24 + 1``, whose SNMP index is
``pduId = 3p - 2`` (1, 4, 7, ...), as RackHD expects.

Outlet control, as the panduit OBM service does it:

1. SET pduOutPwd ``...7.2.3.1.6.<pduId>.<outlet>`` to the outlet password
   (``options["outlet_passwords"][n]``, else ``options["password"]``, else
   RackHD's default ``"A%02d" % outlet``).  A wrong password is refused with
   wrongValue and closes the outlet's window; a right one opens it for 300 s
   of clock time.
2. SET pduOutOn ``...7.2.3.1.5.<pduId>.<outlet>``: none 0 (no-op), on 1, off 2,
   reboot 3.  Refused with inconsistentValue unless the window is open.
   GET: on 1, off 2, reboot 3 while a reboot runs.

The pduMonTable has one row per HAWK PDU plus row 99 (aggregate); values
use RackHD's scale factors (volts x1, amps/kVA/kW/kWh/Hz x0.1, power factor
x0.01).  pduOutPwd is marked secret, so records never contain it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from pysnmp.proto import rfc1902

from snmp_agent.layout import Layout
from snmp_agent.source import InconsistentValue, MibSource, Value, WrongValue

from .base import (
    Notification,
    add_outlet_name,
    add_system_layout,
    column,
    integer_checker,
    static_layout,
    string_checker,
    text,
)

if TYPE_CHECKING:
    from ..device import Pdu

HAWK = (1, 3, 6, 1, 4, 1, 3711, 24, 1, 1)
PDU_ENTRY = (*HAWK, 7, 1, 2, 1)
OUT_CMN_ENTRY = (*HAWK, 7, 2, 2, 1)
OUT_ENTRY = (*HAWK, 7, 2, 3, 1)
MON_ENTRY = (*HAWK, 7, 3, 1, 1)
OUTLETS_PER_PDU = 24
AGGREGATE = 99
PASSWORD_WINDOW = 300.0
NONE, ON, OFF, REBOOT, UNKNOWN = 0, 1, 2, 3, 4
CAUSE = "snmp:HAWK-I2-MIB::pduOutOn"


def locate(n: int) -> tuple[int, int, int]:
    """(HAWK PDU number p, pduId, outlet within that PDU) of device outlet ``n``."""
    p = (n - 1) // OUTLETS_PER_PDU + 1
    return p, 3 * p - 2, (n - 1) % OUTLETS_PER_PDU + 1


class HawkI2Model:
    name = "sinetica-hawk-i2"
    aliases: tuple[str, ...] = ("hawk-i2", "sinetica", "panduit", "panduit-hawk-i2", "sinetica-hawk")
    vendor = "sinetica"
    oui = "00:1a:55"
    description = "Sinetica/Panduit HAWK-I2 iPDU"
    max_outlets = 6 * OUTLETS_PER_PDU
    sys_descr = "Sinetica Eagle-i. Versions: App. 1.10.18, OS 6.3, Btldr 1.10.18, H/w ZBHIEIBB-01 v1.02.02"
    sys_object_id = "1.3.6.1.4.1.3711.24"

    def load_notification(self, pdu: Pdu) -> Notification | None:
        """No load trap modelled for the Hawk-i2."""
        return None

    def build(self, pdu: Pdu) -> MibSource:
        """The PDU's MIB: the layout every HAWK-I2 with its outlet count shares, bound to ``pdu``."""
        return _layout(pdu.outlet_count).bind(pdu)

    @staticmethod
    def password(pdu: Pdu, n: int) -> str:
        per_outlet = pdu.options.get("outlet_passwords") or {}
        if n in per_outlet:
            return str(per_outlet[n])
        if "password" in pdu.options:
            return str(pdu.options["password"])
        return f"A{locate(n)[2]:02d}"

    @staticmethod
    def password_valid(pdu: Pdu, n: int) -> bool:
        until = pdu.outlet(n).extra.get("password_until")
        return until is not None and pdu.clock.seconds() < until


MODEL = HawkI2Model()


@functools.cache
def _layout(outlets: int) -> Layout[Pdu]:
    """Every instance of a HAWK-I2 with ``outlets`` outlets; values read from the bound PDU."""
    layout = static_layout("sinetica_hawk_i2.snmprec")
    add_system_layout(layout, MODEL.sys_descr, MODEL.sys_object_id)
    numbers = list(range(1, outlets + 1))
    groups: dict[int, list[int]] = {}
    for n in numbers:
        groups.setdefault(locate(n)[0], []).append(n)
    for p, members in groups.items():
        _add_pdu(layout, p, members)
    _add_monitor(layout, AGGREGATE, numbers)
    for n in numbers:
        _add_outlet(layout, n)
    return layout


def _add_pdu(layout: Layout[Pdu], p: int, members: list[int]) -> None:
    pdu_id = 3 * p - 2
    rows = {
        1: rfc1902.Gauge32(pdu_id),
        2: rfc1902.Integer32(1),
        3: rfc1902.OctetString(f"PDU_{p}"),
        4: rfc1902.Integer32(1),
        5: rfc1902.Integer32(1),
        6: rfc1902.Integer32(1),
        7: rfc1902.Integer32(8),
        8: rfc1902.Integer32(1),
        9: rfc1902.Gauge32(len(members)),
        10: rfc1902.Integer32(2),
        11: rfc1902.Gauge32(len(members)),
    }
    for col, value in rows.items():
        layout.add(column(PDU_ENTRY, col, pdu_id), value)
    layout.add(column(OUT_CMN_ENTRY, 1, pdu_id), rfc1902.Gauge32(pdu_id))
    layout.add(column(OUT_CMN_ENTRY, 2, pdu_id), rfc1902.Integer32(1))
    layout.add(column(OUT_CMN_ENTRY, 3, pdu_id), rfc1902.Gauge32(len(members)))
    _add_monitor(layout, pdu_id, members)


def _add_monitor(layout: Layout[Pdu], index: int, members: list[int]) -> None:
    def amps(pdu: Pdu) -> float:
        return sum(pdu.outlet_current(n) for n in members)

    def watts(pdu: Pdu) -> float:
        return sum(pdu.outlet_power(n) for n in members)

    def kwh(pdu: Pdu) -> float:
        return sum(pdu.outlet_energy(n) for n in members) / 1000

    layout.add(column(MON_ENTRY, 1, index), rfc1902.Gauge32(index))
    layout.add(column(MON_ENTRY, 2, index), rfc1902.Integer32(1))
    layout.add(column(MON_ENTRY, 3, index), getter=lambda pdu: rfc1902.Integer32(round(pdu.voltage)), live=False)
    layout.add(column(MON_ENTRY, 4, index), getter=lambda pdu: rfc1902.Integer32(round(amps(pdu) * 10)))
    layout.add(column(MON_ENTRY, 5, index), getter=lambda pdu: rfc1902.Integer32(round(kwh(pdu) * 10)))
    layout.add(
        column(MON_ENTRY, 6, index),
        getter=lambda pdu: rfc1902.Integer32(round(watts(pdu) / pdu.power_factor / 100)),
    )
    layout.add(column(MON_ENTRY, 7, index), getter=lambda pdu: rfc1902.Integer32(round(watts(pdu) / 100)))
    layout.add(column(MON_ENTRY, 8, index), getter=_power_factor(rfc1902.Integer32), live=False)
    layout.add(column(MON_ENTRY, 9, index), getter=lambda pdu: rfc1902.Integer32(round(pdu.frequency * 10)), live=False)


def _power_factor(kind: Callable[[int], Value]) -> Callable[[Pdu], Value]:
    return lambda pdu: kind(round(pdu.power_factor * 100))


def _gauge(number: float) -> Value:
    """Gauge32 of ``round(number)``, never below 0."""
    return rfc1902.Gauge32(max(round(number), 0))


def _add_outlet(layout: Layout[Pdu], n: int) -> None:
    _, pdu_id, local = locate(n)
    check_action = integer_checker({NONE, ON, OFF, REBOOT})
    check_name = string_checker(32)

    def row(col: int) -> tuple[int, ...]:
        return column(OUT_ENTRY, col, pdu_id, local)

    def state(pdu: Pdu) -> Value:
        if pdu.is_rebooting(n):
            return rfc1902.Integer32(REBOOT)
        return rfc1902.Integer32(ON if pdu.outlet_state(n) else OFF)

    def check_on(pdu: Pdu, value: Value) -> None:
        check_action(value)
        if int(value) != NONE and not MODEL.password_valid(pdu, n):
            raise InconsistentValue(f"outlet {pdu_id}.{local}: set pduOutPwd first (or it expired)")

    def set_on(pdu: Pdu, value: Value) -> None:
        action = int(value)
        if action == REBOOT:
            pdu.reboot_outlet(n, CAUSE)
        elif action in (ON, OFF):
            pdu.set_outlet(n, action == ON, CAUSE)

    def check_password(pdu: Pdu, value: Value) -> None:
        check_name(value)
        if text(value) != MODEL.password(pdu, n):
            pdu.outlet(n).extra["password_until"] = None
            raise WrongValue(f"outlet {pdu_id}.{local}: wrong outlet password")

    def set_password(pdu: Pdu, value: Value) -> None:
        pdu.outlet(n).extra["password_until"] = pdu.clock.seconds() + PASSWORD_WINDOW

    def reboot_seconds(pdu: Pdu) -> Value:
        return rfc1902.Gauge32(min(max(round(pdu.reboot_delay), 5), 300))

    layout.add(row(1), rfc1902.Gauge32(pdu_id))
    layout.add(row(2), rfc1902.Gauge32(local))
    layout.add(row(3), rfc1902.Integer32(1))
    add_outlet_name(layout, row(4), n, check_name)
    layout.add(row(5), getter=state, setter=set_on, checker=check_on)
    layout.add(
        row(6),
        getter=lambda _pdu: rfc1902.OctetString(b""),
        setter=set_password,
        checker=check_password,
        live=False,
        secret=True,
    )
    layout.add(row(7), rfc1902.Gauge32(0))
    layout.add(row(8), getter=reboot_seconds, live=False)
    layout.add(row(9), getter=lambda pdu: _gauge(pdu.outlet_current(n) * 10))
    layout.add(row(11), getter=lambda pdu: _gauge(pdu.outlet(n).peak_watts / pdu.voltage / pdu.power_factor * 10))
    layout.add(row(13), getter=lambda pdu: _gauge(pdu.outlet_power(n) / pdu.power_factor / 100))
    layout.add(row(14), getter=lambda pdu: _gauge(pdu.outlet_energy(n) / 100))
    layout.add(row(15), getter=_power_factor(rfc1902.Gauge32), live=False)
