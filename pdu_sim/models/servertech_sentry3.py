"""ServerTech Sentry3 ("Sentry Switched CDU") personality.

Live objects, all under tower 1 / infeed 1 (``<column>.1.1.<outlet>``):

* outletControlAction (col 11, read-write): none 0, on 1, off 2, reboot 3.
  Reads back none(0), as the real CDU does.
* outletControlState (col 10): on 5 / off 4; reboot 8 while a reboot runs;
  pendOn 10 / pendOff 11 while a delayed switch (``options["switch_delay"]``
  seconds, default 0 = immediate) is pending.  The full enumeration is
  :data:`CONTROL_STATES`.
* outletStatus (col 5): on 1 / off 0; outletName (col 3, writable);
  outletLoadValue (col 7, hundredths of amps), outletPower (col 14, W),
  outletApparentPower (col 15, VA), outletEnergy (col 18, Wh) follow the
  load the rack reports with ``Pdu.set_outlet_load``.
* infeed 1.1: outlet count, voltage, load, power and energy totals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from pysnmp.proto import rfc1902

from snmp_agent.layout import Layout
from snmp_agent.source import MibSource, Value

from .base import (
    Notification,
    add_outlet_name,
    add_system_layout,
    column,
    integer_checker,
    static_layout,
    string_checker,
)

if TYPE_CHECKING:
    from ..device import Pdu

Checker = Callable[[Value], None]

SENTRY3 = (1, 3, 6, 1, 4, 1, 1718, 3)
INFEED = (*SENTRY3, 2, 2, 1)
OUTLET = (*SENTRY3, 2, 3, 1)

CONTROL_STATES = {
    "idleOff": 0,
    "idleOn": 1,
    "wakeOff": 2,
    "wakeOn": 3,
    "off": 4,
    "on": 5,
    "lockedOff": 6,
    "lockedOn": 7,
    "reboot": 8,
    "shutdown": 9,
    "pendOn": 10,
    "pendOff": 11,
    "minimumOff": 12,
    "minimumOn": 13,
    "eventOff": 14,
    "eventOn": 15,
    "eventReboot": 16,
    "eventShutdown": 17,
}
ACTION_NONE, ACTION_ON, ACTION_OFF, ACTION_REBOOT = 0, 1, 2, 3
CAUSE = "snmp:Sentry3-MIB::outletControlAction"


# infeedLoadStatus: normal(0), notOn(1), reading(2), loadLow(3), loadHigh(4), overLoad(5), readError(6), noComm(7)
LOAD_STATUS = {"normal": 0, "high": 4, "overload": 5}
INFEED_LOAD_EVENT = (*SENTRY3, 100, 0, 3)  # Sentry3-MIB infeedLoadEvent
SYSTEM_LOCATION = (*SENTRY3, 1, 3, 0)
EVENT_STATUS_TEXT, EVENT_STATUS_CONDITION = (*SENTRY3, 99, 1, 0), (*SENTRY3, 99, 2, 0)


class Sentry3Model:
    name = "servertech-sentry3"
    aliases: tuple[str, ...] = ("servertech", "sentry3", "servertech-sentry")
    vendor = "servertech"
    oui = "00:0a:9c"
    description = "ServerTech Sentry3 switched CDU"
    max_outlets = 64
    sys_descr = "Sentry Switched CDU"
    sys_object_id = "1.3.6.1.4.1.1718.3"

    def load_notification(self, pdu: Pdu) -> Notification | None:
        """infeedLoadEvent with the objects Sentry3-MIB lists for it (location, infeed, status, load, threshold)."""
        state = pdu.load_state()
        text = {"normal": "Normal", "high": "Load High", "overload": "Over Load"}[state]
        return (
            INFEED_LOAD_EVENT,
            [
                (SYSTEM_LOCATION, rfc1902.OctetString(pdu.name)),
                (column(INFEED, 2, 1, 1), rfc1902.OctetString("AA")),
                (column(INFEED, 3, 1, 1), rfc1902.OctetString("Master_Input")),
                (column(INFEED, 6, 1, 1), rfc1902.Integer32(LOAD_STATUS[state])),
                (column(INFEED, 7, 1, 1), rfc1902.Integer32(round(pdu.total_current() * 100))),
                (column(INFEED, 8, 1, 1), rfc1902.Integer32(round(pdu.load_high_amps))),
                (EVENT_STATUS_TEXT, rfc1902.OctetString(text)),
                (EVENT_STATUS_CONDITION, rfc1902.Integer32(0 if state == "normal" else 1)),
            ],
        )

    def build(self, pdu: Pdu) -> MibSource:
        """The PDU's MIB: the layout every Sentry3 with its outlet count shares, bound to ``pdu``."""
        return _layout(pdu.outlet_count).bind(pdu)

    @staticmethod
    def control_state(pdu: Pdu, n: int) -> int:
        outlet = pdu.outlet(n)
        if outlet.rebooting:
            return CONTROL_STATES["reboot"]
        target = pdu.pending_switch(n)
        if target is not None:
            return CONTROL_STATES["pendOn" if target else "pendOff"]
        return CONTROL_STATES["on" if outlet.on else "off"]

    @staticmethod
    def apply_action(pdu: Pdu, n: int, action: int) -> None:
        delay = float(pdu.options.get("switch_delay", 0.0))
        if action == ACTION_REBOOT:
            pdu.reboot_outlet(n, CAUSE)
        elif action in (ACTION_ON, ACTION_OFF):
            on = action == ACTION_ON
            if delay > 0:
                pdu.switch_outlet_later(n, on, delay, CAUSE)
            else:
                pdu.set_outlet(n, on, CAUSE)


MODEL = Sentry3Model()


@functools.cache
def _layout(outlets: int) -> Layout[Pdu]:
    """Every instance of a Sentry3 with ``outlets`` outlets; values read from the bound PDU (see module doc)."""
    layout = static_layout("servertech_sentry3.snmprec")
    add_system_layout(layout, MODEL.sys_descr, MODEL.sys_object_id)
    infeed = functools.partial(column, INFEED)
    layout.add(infeed(9, 1, 1), rfc1902.Integer32(outlets))
    layout.add(infeed(11, 1, 1), getter=_volts_tenths, live=False)
    layout.add(infeed(6, 1, 1), getter=lambda pdu: rfc1902.Integer32(LOAD_STATUS[pdu.load_state()]))
    layout.add(infeed(7, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.total_current() * 100)))
    layout.add(infeed(8, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.load_high_amps)), live=False)
    layout.add(infeed(10, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.capacity_amps)), live=False)
    layout.add(infeed(12, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.total_power())))
    layout.add(infeed(13, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.total_power() / pdu.power_factor)))
    layout.add(infeed(14, 1, 1), getter=_power_factor, live=False)
    layout.add(infeed(16, 1, 1), getter=lambda pdu: rfc1902.Integer32(round(pdu.total_energy() / 100)))
    check_name = string_checker(24)
    check_action = integer_checker({ACTION_NONE, ACTION_ON, ACTION_OFF, ACTION_REBOOT})
    for n in range(1, outlets + 1):
        _add_outlet(layout, n, check_name, check_action)
    return layout


def _volts_tenths(pdu: Pdu) -> Value:
    return rfc1902.Integer32(round(pdu.voltage * 10))


def _power_factor(pdu: Pdu) -> Value:
    return rfc1902.Integer32(round(pdu.power_factor * 100))


def _add_outlet(layout: Layout[Pdu], n: int, check_name: Checker, check_action: Checker) -> None:
    def row(col: int) -> tuple[int, ...]:
        return column(OUTLET, col, 1, 1, n)

    def act(pdu: Pdu, value: Value) -> None:
        MODEL.apply_action(pdu, n, int(value))

    layout.add(row(2), rfc1902.OctetString(f"AA{n}"))
    add_outlet_name(layout, row(3), n, check_name)
    layout.add(row(5), getter=lambda pdu: rfc1902.Integer32(1 if pdu.outlet_state(n) else 0))
    layout.add(row(6), _ZERO)
    layout.add(row(7), getter=lambda pdu: rfc1902.Integer32(round(pdu.outlet_current(n) * 100)))
    layout.add(row(10), getter=lambda pdu: rfc1902.Integer32(MODEL.control_state(pdu, n)))
    layout.add(
        row(11),
        getter=lambda _pdu: _ZERO,
        setter=act,
        checker=lambda _pdu, value: check_action(value),
    )
    layout.add(row(12), rfc1902.Integer32(10))
    layout.add(row(13), getter=_volts_tenths, live=False)
    layout.add(row(14), getter=lambda pdu: rfc1902.Integer32(round(pdu.outlet_power(n))))
    layout.add(row(15), getter=lambda pdu: rfc1902.Integer32(round(pdu.outlet_power(n) / pdu.power_factor)))
    layout.add(row(16), getter=_power_factor, live=False)
    layout.add(row(18), getter=lambda pdu: rfc1902.Integer32(round(pdu.outlet_energy(n))))
    layout.add(row(19), rfc1902.Integer32(1))
    layout.add(row(20), _ZERO)


_ZERO = rfc1902.Integer32(0)  # ACTION_NONE, and the static zero columns
