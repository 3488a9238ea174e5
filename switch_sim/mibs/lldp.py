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
from switch_sim.mibtree import DynamicRows, MibTree, Row, StaticRows
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


def add_lldp(tree: MibTree, sw: Switch) -> None:
    ports: dict[Row, Port] = {(p.number,): p for p in sw.ports}
    prows = StaticRows(list(ports))
    caps = bytes([sw.model.lldp_capabilities])

    tree.scalar(f"{LLDP}.1.1", lambda: Integer32(TX_INTERVAL))  # lldpMessageTxInterval
    tree.scalar(f"{LLDP}.1.2", lambda: Integer32(4))  # lldpMessageTxHoldMultiplier
    tree.scalar(f"{LLDP}.1.3", lambda: Integer32(2))  # lldpReinitDelay
    tree.scalar(f"{LLDP}.1.4", lambda: Integer32(2))  # lldpTxDelay
    tree.scalar(f"{LLDP}.1.5", lambda: Integer32(5))  # lldpNotificationInterval
    tree.table(
        PORT_CONFIG_ENTRY,
        prows,
        {
            2: lambda row: Integer32(TX_AND_RX),
            3: lambda row: Integer32(FALSE),
            4: lambda row: OctetString(b"\xf0"),  # portDesc, sysName, sysDesc, sysCap
        },
    )
    tree.scalar(f"{LLDP}.2.1", lambda: TimeTicks(sw.lldp_last_change), live=True)
    tree.scalar(f"{LLDP}.2.2", lambda: Gauge32(sw.lldp_inserts), live=True)
    tree.scalar(f"{LLDP}.2.3", lambda: Gauge32(sw.lldp_deletes), live=True)
    tree.scalar(f"{LLDP}.2.4", lambda: Gauge32(0))  # drops
    tree.scalar(f"{LLDP}.2.5", lambda: Gauge32(0))  # ageouts

    def tx_frames(row: Row) -> Counter32:
        return Counter32(int(ports[row].up_seconds(sw.now()) // TX_INTERVAL) & 0xFFFFFFFF)

    tree.column((*STATS_TX_ENTRY, 2), prows, tx_frames, live=True)
    tree.table(
        STATS_RX_ENTRY,
        prows,
        {
            2: lambda row: Counter32(0),  # discarded
            3: lambda row: Counter32(0),  # errors
            4: lambda row: tx_frames(row) if ports[row].peer is not None else Counter32(0),
            5: lambda row: Counter32(0),  # TLVs discarded
            6: lambda row: Counter32(0),  # TLVs unrecognized
            7: lambda row: Counter32(0),  # ageouts
        },
        live={4},
    )

    tree.scalar(f"{LLDP}.3.1", lambda: Integer32(CHASSIS_MAC))
    tree.scalar(f"{LLDP}.3.2", lambda: OctetString(mac_bytes(sw.base_mac)))
    tree.scalar(f"{LLDP}.3.3", lambda: OctetString(sw.sys_name))
    tree.scalar(f"{LLDP}.3.4", lambda: OctetString(sw.model.sys_descr))
    tree.scalar(f"{LLDP}.3.5", lambda: OctetString(caps))
    tree.scalar(f"{LLDP}.3.6", lambda: OctetString(caps))
    tree.table(
        LOC_PORT_ENTRY,
        prows,
        {
            2: lambda row: Integer32(PORT_IFNAME),
            3: lambda row: OctetString(ports[row].name),
            4: lambda row: OctetString(ports[row].descr),
        },
    )
    if sw.management_ip is not None:
        tree.table(
            LOC_MAN_ADDR_ENTRY,
            StaticRows([_ipv4_index(sw.management_ip)]),
            {
                3: lambda row: Integer32(5),  # lldpLocManAddrLen: subtype octet + 4 address octets
                4: lambda row: Integer32(IF_INDEX_SUBTYPE),
                5: lambda row: Integer32(sw.mgmt.if_index),
                6: lambda row: ObjectIdentifier("0.0"),
            },
        )

    remote = _RemoteRows(sw)
    rem = DynamicRows(remote.rem_rows)
    tree.table(
        REM_ENTRY,
        rem,
        {
            4: lambda row: Integer32(CHASSIS_MAC),
            5: lambda row: OctetString(mac_bytes(remote.rem[row].peer_mac)),
            6: lambda row: Integer32(_port_id(remote.rem[row].peer.port_id)[0]),
            7: lambda row: OctetString(_port_id(remote.rem[row].peer.port_id)[1]),
            8: lambda row: OctetString(remote.rem[row].peer.port_descr),
            9: lambda row: OctetString(remote.rem[row].peer.chassis_name),
            10: lambda row: OctetString(remote.rem[row].peer.system_descr),
            11: lambda row: OctetString(bytes([STATION_ONLY])),
            12: lambda row: OctetString(bytes([STATION_ONLY])),
        },
        live=True,
    )
    tree.table(
        REM_MAN_ADDR_ENTRY,
        DynamicRows(remote.man_rows),
        {
            3: lambda row: Integer32(UNKNOWN),  # lldpRemManAddrIfSubtype
            4: lambda row: Integer32(0),  # lldpRemManAddrIfId
            5: lambda row: ObjectIdentifier("0.0"),
        },
        live=True,
    )
