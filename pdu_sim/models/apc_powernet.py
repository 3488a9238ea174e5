"""APC PowerNet personality (Switched Rack PDU with a Web/SNMP Management Card).

Live objects:

* sPDUOutletCtl ``1.3.6.1.4.1.318.1.1.4.4.2.1.3.<n>`` (read-write): SET
  outletOn 1 / outletOff 2 / outletReboot 3; GET reports the state, outletOn 1
  or outletOff 2 (off while a reboot runs).  sPDUOutletPending (col 2):
  commandPending 1 while rebooting, else noCommandPending 2.
  sPDUOutletCtlName (col 4, writable).  sPDUOutletControlTableSize
  ``...4.4.1.0`` = number of outlets.
* rPDUOutletControlOutletCommand ``...12.3.3.1.1.4.<n>`` (read-write): SET
  immediateOn 1 / immediateOff 2 / immediateReboot 3; GET 1 when on, else 2.
  rPDUOutletControlOutletName (col 2), phase (col 3).
* rPDUOutletStatusOutletState ``...12.3.5.1.1.4.<n>``: outletStatusOn 1 /
  outletStatusOff 2; name (col 2), phase (col 3), commandPending (col 5).
* rPDULoadStatusLoad ``...12.2.3.1.1.2.1``: total current in tenths of amps.
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

POWERNET = (1, 3, 6, 1, 4, 1, 318, 1, 1)
S_OUTLET_CTL = (*POWERNET, 4, 4, 2, 1)
R_OUTLET_CONTROL = (*POWERNET, 12, 3, 3, 1, 1)
R_OUTLET_STATUS = (*POWERNET, 12, 3, 5, 1, 1)
R_LOAD_STATUS = (*POWERNET, 12, 2, 3, 1, 1)
# rPDULoadStatusLoadState: phaseLoadNormal(1), phaseLoadLow(2), phaseLoadNearOverload(3), phaseLoadOverload(4)
LOAD_STATES = {"normal": 1, "high": 3, "overload": 4}
ON, OFF, REBOOT = 1, 2, 3
CAUSE_S = "snmp:PowerNet-MIB::sPDUOutletCtl"
CAUSE_R = "snmp:PowerNet-MIB::rPDUOutletControlOutletCommand"


class PowerNetModel:
    name = "apc-powernet"
    aliases: tuple[str, ...] = ("apc", "powernet", "apc-rpdu")
    vendor = "apc"
    oui = "00:c0:b7"
    description = "APC PowerNet switched rack PDU"
    max_outlets = 48
    sys_descr = (
        "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.4.6 PN:apc_hw05_aos_646.bin AF1:v6.4.6 "
        "AN1:apc_hw05_rpdu2g_646.bin MN:AP8953 HR:02 SN: 5A1627E12345 MD:07/01/2016)"
    )
    sys_object_id = "1.3.6.1.4.1.318.1.3.4.5"

    def load_notification(self, pdu: Pdu) -> Notification | None:
        """No trap modelled for APC (rPDULoadStatusLoadState shows the state)."""
        return None

    def build(self, pdu: Pdu) -> MibSource:
        """The PDU's MIB: the layout every PowerNet PDU with its outlet count shares, bound to ``pdu``."""
        return _layout(pdu.outlet_count).bind(pdu)

    @staticmethod
    def apply(pdu: Pdu, n: int, command: int, cause: str) -> None:
        if command == REBOOT:
            pdu.reboot_outlet(n, cause)
        else:
            pdu.set_outlet(n, command == ON, cause)


MODEL = PowerNetModel()


@functools.cache
def _layout(outlets: int) -> Layout[Pdu]:
    """Every instance of a PowerNet PDU with ``outlets`` outlets; values read from the bound PDU."""
    layout = static_layout("apc_powernet.snmprec")
    add_system_layout(layout, MODEL.sys_descr, MODEL.sys_object_id)
    layout.add((*POWERNET, 4, 4, 1, 0), rfc1902.Integer32(outlets))
    layout.add(column(R_LOAD_STATUS, 1, 1), rfc1902.Integer32(1))
    layout.add(column(R_LOAD_STATUS, 2, 1), getter=lambda pdu: rfc1902.Gauge32(round(pdu.total_current() * 10)))
    layout.add(column(R_LOAD_STATUS, 3, 1), getter=lambda pdu: rfc1902.Integer32(LOAD_STATES[pdu.load_state()]))
    control = integer_checker({ON, OFF, REBOOT})
    check_name = string_checker(20)
    for n in range(1, outlets + 1):
        _add_outlet(layout, n, control, check_name)
    return layout


def _add_outlet(layout: Layout[Pdu], n: int, control: Checker, check_name: Checker) -> None:
    def name(pdu: Pdu) -> Value:
        return rfc1902.OctetString(pdu.outlet(n).name)

    def state(pdu: Pdu) -> Value:
        return rfc1902.Integer32(ON if pdu.outlet_state(n) else OFF)

    def pending(pdu: Pdu) -> Value:
        return rfc1902.Integer32(1 if pdu.is_rebooting(n) else 2)

    def s_control(pdu: Pdu, value: Value) -> None:
        MODEL.apply(pdu, n, int(value), CAUSE_S)

    def r_control(pdu: Pdu, value: Value) -> None:
        MODEL.apply(pdu, n, int(value), CAUSE_R)

    def check_control(_pdu: Pdu, value: Value) -> None:
        control(value)

    layout.add(column(S_OUTLET_CTL, 1, n), rfc1902.Integer32(n))
    layout.add(column(S_OUTLET_CTL, 2, n), getter=pending)
    layout.add(column(S_OUTLET_CTL, 3, n), getter=state, setter=s_control, checker=check_control)
    add_outlet_name(layout, column(S_OUTLET_CTL, 4, n), n, check_name)
    layout.add(column(R_OUTLET_CONTROL, 1, n), rfc1902.Integer32(n))
    layout.add(column(R_OUTLET_CONTROL, 2, n), getter=name, live=False)
    layout.add(column(R_OUTLET_CONTROL, 3, n), rfc1902.Integer32(1))
    layout.add(column(R_OUTLET_CONTROL, 4, n), getter=state, setter=r_control, checker=check_control)
    layout.add(column(R_OUTLET_STATUS, 1, n), rfc1902.Integer32(n))
    layout.add(column(R_OUTLET_STATUS, 2, n), getter=name, live=False)
    layout.add(column(R_OUTLET_STATUS, 3, n), rfc1902.Integer32(1))
    layout.add(column(R_OUTLET_STATUS, 4, n), getter=state)
    layout.add(column(R_OUTLET_STATUS, 5, n), getter=pending)
