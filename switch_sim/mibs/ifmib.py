"""IF-MIB (RFC 2863): ifNumber, ifTable, ifXTable for the data ports and the management port.

Rows are indexed by the vendor's ifIndex.  ifOperStatus is up(1) only when
the port is admin-up and its far end is up; counters come from
:meth:`switch_sim.ports.Port.counter` (32-bit columns are the 64-bit values
mod 2**32).  ifSpeed saturates at 4294967295 for ports faster than 4 Gbit/s,
with ifHighSpeed carrying Mbit/s.  Writable: ifAdminStatus (up/down, data
ports only) and ifAlias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import (
    Counter32,
    Counter64,
    Gauge32,
    Integer32,
    ObjectIdentifier,
    OctetString,
    TimeTicks,
)

from snmp_agent.source import InconsistentValue, Value
from switch_sim.addr import mac_bytes
from switch_sim.mibs.common import FALSE, TRUE, display_string, enum_value
from switch_sim.mibtree import Row, SharedTree, StaticRows
from switch_sim.ports import COUNTER, MASK32, Port

if TYPE_CHECKING:
    from switch_sim.device import Switch

SwitchValueFn = Callable[["Switch", Row], Value]

IF_NUMBER = "1.3.6.1.2.1.2.1"
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IF_TABLE_LAST_CHANGE = "1.3.6.1.2.1.31.1.5"
ETHERNET_CSMACD = 6
UP, DOWN = 1, 2
GAUGE_MAX = 4294967295


def add_ifmib(tree: SharedTree[Switch], shape: Switch) -> None:
    rows = StaticRows([(p.if_index,) for p in shape.interfaces])

    def col(fn: Callable[[Port], Value]) -> SwitchValueFn:
        return lambda sw, row: fn(sw.by_if_index[row[0]])

    def col_sw(fn: Callable[[Switch, Port], Value]) -> SwitchValueFn:
        return lambda sw, row: fn(sw, sw.by_if_index[row[0]])

    def c32(name: str) -> SwitchValueFn:
        index = COUNTER[name]
        return col_sw(lambda sw, p: Counter32(p.counter(index, sw.now()) & MASK32))

    def c64(name: str) -> SwitchValueFn:
        index = COUNTER[name]
        return col_sw(lambda sw, p: Counter64(p.counter(index, sw.now())))

    def non_unicast(direction: str) -> SwitchValueFn:
        mcast, bcast = COUNTER[f"{direction}_mcast"], COUNTER[f"{direction}_bcast"]
        return col_sw(lambda sw, p: Counter32((p.counter(mcast, sw.now()) + p.counter(bcast, sw.now())) & MASK32))

    def check_admin(sw: Switch, row: Row, value: Value) -> None:
        enum_value(value, (UP, DOWN))
        if sw.by_if_index[row[0]].mgmt:
            raise InconsistentValue("the management interface carries this agent; it cannot be shut down")

    def set_admin(sw: Switch, row: Row, value: Value) -> None:
        sw.set_admin(sw.by_if_index[row[0]].number, int(value) == UP)

    def check_alias(_sw: Switch, _row: Row, value: Value) -> None:
        display_string(value, 64)

    def set_alias(sw: Switch, row: Row, value: Value) -> None:
        sw.by_if_index[row[0]].alias = display_string(value, 64)

    tree.scalar(IF_NUMBER, lambda sw: Integer32(len(sw.interfaces)))
    tree.table(
        IF_ENTRY,
        rows,
        {
            1: col(lambda p: Integer32(p.if_index)),
            2: col(lambda p: OctetString(p.descr)),
            3: col(lambda p: Integer32(ETHERNET_CSMACD)),
            4: col(lambda p: Integer32(p.mtu)),
            5: col(lambda p: Gauge32(min(p.speed_mbps * 1_000_000, GAUGE_MAX))),
            6: col(lambda p: OctetString(mac_bytes(p.mac))),
        },
    )
    tree.column(
        (*IF_ENTRY, 7),
        rows,
        col(lambda p: Integer32(UP if p.admin_up else DOWN)),
        setter=set_admin,
        checker=check_admin,
    )
    tree.table(
        IF_ENTRY,
        rows,
        {
            8: col(lambda p: Integer32(UP if p.oper_up else DOWN)),
            9: col_sw(lambda sw, p: TimeTicks(sw.ticks(p.last_change))),
            10: c32("in_octets"),
            11: c32("in_ucast"),
            12: non_unicast("in"),
            13: c32("in_discards"),
            14: c32("in_errors"),
            15: c32("in_unknown_protos"),
            16: c32("out_octets"),
            17: c32("out_ucast"),
            18: non_unicast("out"),
            19: c32("out_discards"),
            20: c32("out_errors"),
            21: col(lambda p: Gauge32(0)),  # ifOutQLen
            22: col(lambda p: ObjectIdentifier("0.0")),  # ifSpecific
        },
        live=range(8, 21),
    )
    tree.table(
        IFX_ENTRY,
        rows,
        {
            1: col(lambda p: OctetString(p.name)),
            2: c32("in_mcast"),
            3: c32("in_bcast"),
            4: c32("out_mcast"),
            5: c32("out_bcast"),
            6: c64("in_octets"),
            7: c64("in_ucast"),
            8: c64("in_mcast"),
            9: c64("in_bcast"),
            10: c64("out_octets"),
            11: c64("out_ucast"),
            12: c64("out_mcast"),
            13: c64("out_bcast"),
            14: col(lambda p: Integer32(FALSE if p.mgmt else TRUE)),  # ifLinkUpDownTrapEnable
            15: col(lambda p: Gauge32(p.speed_mbps)),
            16: col(lambda p: Integer32(FALSE)),  # ifPromiscuousMode
            17: col(lambda p: Integer32(TRUE)),  # ifConnectorPresent
        },
        live=range(2, 14),
    )
    tree.column((*IFX_ENTRY, 18), rows, col(lambda p: OctetString(p.alias)), setter=set_alias, checker=check_alias)
    tree.column((*IFX_ENTRY, 19), rows, col(lambda p: TimeTicks(0)))  # ifCounterDiscontinuityTime
    tree.scalar(IF_TABLE_LAST_CHANGE, lambda sw: TimeTicks(0))
