"""LLDP-MIB (IEEE 802.1AB, 1.0.8802.1.1.2): local system data and the remote table.

Local chassis ID: subtype macAddress(4), the switch base MAC (= the management
interface's ifPhysAddress).  Local port IDs: subtype interfaceName(5), the
ifName.  lldpLocPortNum / lldpRemLocalPortNum is the data port number (the
same as dot1dBasePort).  lldpRemTable has one row per oper-up port with a
known peer, indexed (time mark, local port, remote index); the peer's port ID
is sent as macAddress(3) when it is a MAC, else interfaceName(5).  Tx frame
counters assume one LLDPDU per 30 s of oper-up time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Counter32, Gauge32, Integer32, ObjectIdentifier, OctetString, TimeTicks

from switch_sim.addr import is_mac, mac_bytes, parse_mac
from switch_sim.mibtree import DeviceRows, Row, SharedTree, StaticRows
from switch_sim.ports import Port

if TYPE_CHECKING:
    from switch_sim.device import Neighbor, Switch

LLDP = "1.0.8802.1.1.2.1"
PORT_CONFIG_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 1, 6, 1)
STATS_TX_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 2, 6, 1)
STATS_RX_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 2, 7, 1)
LOC_PORT_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LOC_MAN_ADDR_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 3, 8, 1)
REM_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
REM_MAN_ADDR_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1)

TX_INTERVAL = 30
CHASSIS_MAC = 4
PORT_MAC, PORT_IFNAME = 3, 5
TX_AND_RX = 3
FALSE = 2
IPV4 = 1
IF_INDEX_SUBTYPE = 2
STATION_ONLY = 0x01
UNKNOWN = 1


def _ipv4_index(address: str) -> Row:
    """lldp*ManAddr index part: address family ipV4(1), then the length-prefixed octets."""
    return (IPV4, 4, *ipaddress.IPv4Address(address).packed)


class _RemoteRows:
    """lldpRemTable and lldpRemManAddrTable rows, rebuilt when the neighbour set changes."""

    def __init__(self, sw: Switch) -> None:
        self._sw = sw
        self._version = (-1, -1)
        self.rem: dict[Row, Neighbor] = {}
        self.man: dict[Row, Neighbor] = {}
        self._rem_rows: list[Row] = []
        self._man_rows: list[Row] = []

    def _refresh(self) -> None:
        version = (self._sw.lldp_inserts, self._sw.lldp_deletes)
        if version == self._version:
            return
        self._version = version
        self.rem = {(n.time_mark, n.port, n.index): n for n in self._sw.neighbors()}
        self.man = {key + _ipv4_index(n.peer.mgmt_ip): n for key, n in self.rem.items() if n.peer.mgmt_ip is not None}
        self._rem_rows = sorted(self.rem)
        self._man_rows = sorted(self.man)

    def rem_rows(self) -> Sequence[Row]:
        self._refresh()
        return self._rem_rows

    def man_rows(self) -> Sequence[Row]:
        self._refresh()
        return self._man_rows


def _port_id(port_id: str) -> tuple[int, bytes]:
    if is_mac(port_id):
        return PORT_MAC, mac_bytes(parse_mac(port_id))
    return PORT_IFNAME, port_id.encode()


def _remote(sw: Switch) -> _RemoteRows:
    """The switch's cache of remote-table rows (made at the first read of them)."""
    remote = sw.mib_state.get("lldp-remote")
    if remote is None:
        remote = sw.mib_state["lldp-remote"] = _RemoteRows(sw)
    assert isinstance(remote, _RemoteRows)
    return remote


def _man_addr_rows(sw: Switch) -> Sequence[Row]:
    """The lldpLocManAddrTable row of the switch's management address (none without one)."""
    rows = sw.mib_state.get("lldp-man-addr")
    if rows is None:
        rows = sw.mib_state["lldp-man-addr"] = [] if sw.management_ip is None else [_ipv4_index(sw.management_ip)]
    assert isinstance(rows, list)
    return rows


def _port(sw: Switch, row: Row) -> Port:
    return sw.port(row[0])


def add_lldp(tree: SharedTree[Switch], shape: Switch) -> None:
    prows = StaticRows([(p.number,) for p in shape.ports])
    caps = bytes([shape.model.lldp_capabilities])

    tree.scalar(f"{LLDP}.1.1", lambda sw: Integer32(TX_INTERVAL))  # lldpMessageTxInterval
    tree.scalar(f"{LLDP}.1.2", lambda sw: Integer32(4))  # lldpMessageTxHoldMultiplier
    tree.scalar(f"{LLDP}.1.3", lambda sw: Integer32(2))  # lldpReinitDelay
    tree.scalar(f"{LLDP}.1.4", lambda sw: Integer32(2))  # lldpTxDelay
    tree.scalar(f"{LLDP}.1.5", lambda sw: Integer32(5))  # lldpNotificationInterval
    tree.table(
        PORT_CONFIG_ENTRY,
        prows,
        {
            2: lambda sw, row: Integer32(TX_AND_RX),
            3: lambda sw, row: Integer32(FALSE),
            4: lambda sw, row: OctetString(b"\xf0"),  # portDesc, sysName, sysDesc, sysCap
        },
    )
    tree.scalar(f"{LLDP}.2.1", lambda sw: TimeTicks(sw.lldp_last_change), live=True)
    tree.scalar(f"{LLDP}.2.2", lambda sw: Gauge32(sw.lldp_inserts), live=True)
    tree.scalar(f"{LLDP}.2.3", lambda sw: Gauge32(sw.lldp_deletes), live=True)
    tree.scalar(f"{LLDP}.2.4", lambda sw: Gauge32(0))  # drops
    tree.scalar(f"{LLDP}.2.5", lambda sw: Gauge32(0))  # ageouts

    def tx_frames(sw: Switch, row: Row) -> Counter32:
        return Counter32(int(_port(sw, row).up_seconds(sw.now()) // TX_INTERVAL) & 0xFFFFFFFF)

    tree.column((*STATS_TX_ENTRY, 2), prows, tx_frames, live=True)
    tree.table(
        STATS_RX_ENTRY,
        prows,
        {
            2: lambda sw, row: Counter32(0),  # discarded
            3: lambda sw, row: Counter32(0),  # errors
            4: lambda sw, row: tx_frames(sw, row) if _port(sw, row).peer is not None else Counter32(0),
            5: lambda sw, row: Counter32(0),  # TLVs discarded
            6: lambda sw, row: Counter32(0),  # TLVs unrecognized
            7: lambda sw, row: Counter32(0),  # ageouts
        },
        live={4},
    )

    tree.scalar(f"{LLDP}.3.1", lambda sw: Integer32(CHASSIS_MAC))
    tree.scalar(f"{LLDP}.3.2", lambda sw: OctetString(mac_bytes(sw.base_mac)))
    tree.scalar(f"{LLDP}.3.3", lambda sw: OctetString(sw.sys_name))
    tree.scalar(f"{LLDP}.3.4", lambda sw: OctetString(sw.model.sys_descr))
    tree.scalar(f"{LLDP}.3.5", lambda sw: OctetString(caps))
    tree.scalar(f"{LLDP}.3.6", lambda sw: OctetString(caps))
    tree.table(
        LOC_PORT_ENTRY,
        prows,
        {
            2: lambda sw, row: Integer32(PORT_IFNAME),
            3: lambda sw, row: OctetString(_port(sw, row).name),
            4: lambda sw, row: OctetString(_port(sw, row).descr),
        },
    )
    if shape.management_ip is not None:  # part of the shape: switches with and without one share no tree
        tree.table(
            LOC_MAN_ADDR_ENTRY,
            DeviceRows(_man_addr_rows),
            {
                3: lambda sw, row: Integer32(5),  # lldpLocManAddrLen: subtype octet + 4 address octets
                4: lambda sw, row: Integer32(IF_INDEX_SUBTYPE),
                5: lambda sw, row: Integer32(sw.mgmt.if_index),
                6: lambda sw, row: ObjectIdentifier("0.0"),
            },
        )

    def rem(sw: Switch, row: Row) -> Neighbor:
        return _remote(sw).rem[row]

    tree.table(
        REM_ENTRY,
        DeviceRows(lambda sw: _remote(sw).rem_rows()),
        {
            4: lambda sw, row: Integer32(CHASSIS_MAC),
            5: lambda sw, row: OctetString(mac_bytes(rem(sw, row).peer_mac)),
            6: lambda sw, row: Integer32(_port_id(rem(sw, row).peer.port_id)[0]),
            7: lambda sw, row: OctetString(_port_id(rem(sw, row).peer.port_id)[1]),
            8: lambda sw, row: OctetString(rem(sw, row).peer.port_descr),
            9: lambda sw, row: OctetString(rem(sw, row).peer.chassis_name),
            10: lambda sw, row: OctetString(rem(sw, row).peer.system_descr),
            11: lambda sw, row: OctetString(bytes([STATION_ONLY])),
            12: lambda sw, row: OctetString(bytes([STATION_ONLY])),
        },
        live=True,
    )
    tree.table(
        REM_MAN_ADDR_ENTRY,
        DeviceRows(lambda sw: _remote(sw).man_rows()),
        {
            3: lambda sw, row: Integer32(UNKNOWN),  # lldpRemManAddrIfSubtype
            4: lambda sw, row: Integer32(0),  # lldpRemManAddrIfId
            5: lambda sw, row: ObjectIdentifier("0.0"),
        },
        live=True,
    )
