"""BRIDGE-MIB (RFC 4188) and Q-BRIDGE-MIB (RFC 4363) for one VLAN (1, "default").

Bridge port n is data port n.  dot1dTpFdbTable and dot1qTpFdbTable hold the
live forwarding database (see :mod:`switch_sim.fdb` for learning and ageing):
the peers of oper-up ports plus MACs learned through ``Switch.learn_mac``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Counter32, Integer32, ObjectIdentifier, OctetString, Unsigned32

from switch_sim.addr import mac_bytes, mac_octets
from switch_sim.mibs.common import port_list
from switch_sim.mibtree import DeviceRows, Row, SharedTree, StaticRows
from switch_sim.ports import COUNTER, MASK32, Port

if TYPE_CHECKING:
    from switch_sim.device import Switch

DOT1D = "1.3.6.1.2.1.17"
BASE_PORT_ENTRY = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1)
TP_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1)
TP_PORT_ENTRY = (1, 3, 6, 1, 2, 1, 17, 4, 4, 1)
Q_BASE = "1.3.6.1.2.1.17.7.1.1"
Q_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 1, 1)
Q_TP_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1)
Q_VLAN_STATIC_ENTRY = (1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 3, 1)
Q_PORT_VLAN_ENTRY = (1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 5, 1)
VLAN = 1
TRANSPARENT_ONLY = 2
LEARNED = 3
ACTIVE = 1
DISABLED = 2


class _FdbRows:
    """FDB table rows of one switch, rebuilt only when the FDB's entry list changes."""

    def __init__(self, sw: Switch, prefix: Row) -> None:
        self._sw = sw
        self._prefix = prefix
        self._source: object = None
        self._rows: list[Row] = []
        self.port: dict[Row, int] = {}

    def sorted_rows(self) -> Sequence[Row]:
        entries = self._sw.fdb.entries()
        if entries is not self._source:
            self._source = entries
            self.port = {self._prefix + mac_octets(mac): port for mac, port in entries}
            self._rows = sorted(self.port)
        return self._rows


def _fdb(sw: Switch, prefix: Row) -> _FdbRows:
    """The switch's cache of FDB rows under ``prefix`` (made at the first read of an FDB table)."""
    key = ("bridge-fdb", prefix)
    rows = sw.mib_state.get(key)
    if rows is None:
        rows = sw.mib_state[key] = _FdbRows(sw, prefix)
    assert isinstance(rows, _FdbRows)
    return rows


def _port(sw: Switch, row: Row) -> Port:
    return sw.port(row[0])


def add_bridge(tree: SharedTree[Switch], shape: Switch) -> None:
    prows = StaticRows([(p.number,) for p in shape.ports])
    tree.scalar(f"{DOT1D}.1.1", lambda sw: OctetString(mac_bytes(sw.base_mac)))  # dot1dBaseBridgeAddress
    tree.scalar(f"{DOT1D}.1.2", lambda sw: Integer32(sw.port_count))  # dot1dBaseNumPorts
    tree.scalar(f"{DOT1D}.1.3", lambda sw: Integer32(TRANSPARENT_ONLY))  # dot1dBaseType
    tree.table(
        BASE_PORT_ENTRY,
        prows,
        {
            1: lambda sw, row: Integer32(row[0]),
            2: lambda sw, row: Integer32(_port(sw, row).if_index),
            3: lambda sw, row: ObjectIdentifier("0.0"),
            4: lambda sw, row: Counter32(0),
            5: lambda sw, row: Counter32(0),
        },
    )
    tree.scalar(f"{DOT1D}.4.1", lambda sw: Counter32(0))  # dot1dTpLearnedEntryDiscards
    tree.scalar(f"{DOT1D}.4.2", lambda sw: Integer32(int(sw.fdb.aging_time)))  # dot1dTpAgingTime

    tree.table(
        TP_FDB_ENTRY,
        DeviceRows(lambda sw: _fdb(sw, ()).sorted_rows()),
        {
            1: lambda sw, row: OctetString(bytes(row)),
            2: lambda sw, row: Integer32(_fdb(sw, ()).port[row]),
            3: lambda sw, row: Integer32(LEARNED),
        },
        live=True,
    )

    def frames(sw: Switch, row: Row, direction: str) -> Counter32:
        p, now = _port(sw, row), sw.now()
        total = sum(p.counter(COUNTER[f"{direction}_{kind}"], now) for kind in ("ucast", "mcast", "bcast"))
        return Counter32(total & MASK32)

    tree.table(
        TP_PORT_ENTRY,
        prows,
        {
            1: lambda sw, row: Integer32(row[0]),
            2: lambda sw, row: Integer32(_port(sw, row).mtu),  # dot1dTpPortMaxInfo
            3: lambda sw, row: frames(sw, row, "in"),
            4: lambda sw, row: frames(sw, row, "out"),
            5: lambda sw, row: Counter32(_port(sw, row).counter(COUNTER["in_discards"], sw.now()) & MASK32),
        },
        live={3, 4, 5},
    )

    tree.scalar(f"{Q_BASE}.1", lambda sw: Integer32(1))  # dot1qVlanVersionNumber
    tree.scalar(f"{Q_BASE}.2", lambda sw: Integer32(4094))  # dot1qMaxVlanId
    tree.scalar(f"{Q_BASE}.3", lambda sw: Unsigned32(4094))  # dot1qMaxSupportedVlans
    tree.scalar(f"{Q_BASE}.4", lambda sw: Unsigned32(1))  # dot1qNumVlans
    tree.scalar(f"{Q_BASE}.5", lambda sw: Integer32(DISABLED))  # dot1qGvrpStatus
    tree.column((*Q_FDB_ENTRY, 2), StaticRows([(VLAN,)]), lambda sw, row: Counter32(len(sw.fdb.entries())), live=True)

    tree.table(
        Q_TP_FDB_ENTRY,
        DeviceRows(lambda sw: _fdb(sw, (VLAN,)).sorted_rows()),
        {
            2: lambda sw, row: Integer32(_fdb(sw, (VLAN,)).port[row]),
            3: lambda sw, row: Integer32(LEARNED),
        },
        live=True,
    )
    every_port = port_list(range(1, shape.port_count + 1), shape.port_count)
    tree.table(
        Q_VLAN_STATIC_ENTRY,
        StaticRows([(VLAN,)]),
        {
            1: lambda sw, row: OctetString("default"),
            2: lambda sw, row: OctetString(every_port),  # dot1qVlanStaticEgressPorts
            3: lambda sw, row: OctetString(bytes(len(every_port))),  # dot1qVlanForbiddenEgressPorts
            4: lambda sw, row: OctetString(every_port),  # dot1qVlanStaticUntaggedPorts
            5: lambda sw, row: Integer32(ACTIVE),
        },
    )
    tree.column((*Q_PORT_VLAN_ENTRY, 1), prows, lambda sw, row: Unsigned32(VLAN))  # dot1qPvid
