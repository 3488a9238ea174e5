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

from typing import TYPE_CHECKING

from pysnmp.proto import rfc1902

from snmp_agent.source import MibTable, Value

from .base import Notification, add_system_group, column, integer_checker, static_table, string_checker, text

if TYPE_CHECKING:
    from ..device import Pdu

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

    def build(self, pdu: Pdu) -> MibTable:
        table = static_table("apc_powernet.snmprec")
        add_system_group(table, pdu, self.sys_descr, self.sys_object_id)
        table.add((*POWERNET, 4, 4, 1, 0), rfc1902.Integer32(pdu.outlet_count))
        table.add(column(R_LOAD_STATUS, 1, 1), rfc1902.Integer32(1))
        table.add(column(R_LOAD_STATUS, 2, 1), getter=lambda: rfc1902.Gauge32(round(pdu.total_current() * 10)))
        table.add(column(R_LOAD_STATUS, 3, 1), getter=lambda: rfc1902.Integer32(LOAD_STATES[pdu.load_state()]))
        for n in pdu.outlets:
            self._add_outlet(table, pdu, n)
        return table

    def _add_outlet(self, table: MibTable, pdu: Pdu, n: int) -> None:
        def name() -> Value:
            return rfc1902.OctetString(pdu.outlet(n).name)

        def set_name(value: Value) -> None:
            pdu.set_outlet_name(n, text(value))

        def state() -> Value:
            return rfc1902.Integer32(ON if pdu.outlet_state(n) else OFF)

        def pending() -> Value:
            return rfc1902.Integer32(1 if pdu.is_rebooting(n) else 2)

        def s_control(value: Value) -> None:
            self.apply(pdu, n, int(value), CAUSE_S)

        def r_control(value: Value) -> None:
            self.apply(pdu, n, int(value), CAUSE_R)

        control = integer_checker({ON, OFF, REBOOT})
        table.add(column(S_OUTLET_CTL, 1, n), rfc1902.Integer32(n))
        table.add(column(S_OUTLET_CTL, 2, n), getter=pending)
        table.add(column(S_OUTLET_CTL, 3, n), getter=state, setter=s_control, checker=control)
        table.add(column(S_OUTLET_CTL, 4, n), getter=name, setter=set_name, checker=string_checker(20), live=False)
        table.add(column(R_OUTLET_CONTROL, 1, n), rfc1902.Integer32(n))
        table.add(column(R_OUTLET_CONTROL, 2, n), getter=name, live=False)
        table.add(column(R_OUTLET_CONTROL, 3, n), rfc1902.Integer32(1))
        table.add(column(R_OUTLET_CONTROL, 4, n), getter=state, setter=r_control, checker=control)
        table.add(column(R_OUTLET_STATUS, 1, n), rfc1902.Integer32(n))
        table.add(column(R_OUTLET_STATUS, 2, n), getter=name, live=False)
        table.add(column(R_OUTLET_STATUS, 3, n), rfc1902.Integer32(1))
        table.add(column(R_OUTLET_STATUS, 4, n), getter=state)
        table.add(column(R_OUTLET_STATUS, 5, n), getter=pending)

    @staticmethod
    def apply(pdu: Pdu, n: int, command: int, cause: str) -> None:
        if command == REBOOT:
            pdu.reboot_outlet(n, cause)
        else:
            pdu.set_outlet(n, command == ON, cause)


MODEL = PowerNetModel()
