"""The switch device: ports, cabling, FDB and LLDP neighbours, with no sockets.

A :class:`Switch` is driven by whoever models the rack: :meth:`Switch.set_link`
when a cable's far end comes up or goes down (a node powers on or off),
:meth:`Switch.set_admin` for administrative state, :meth:`Switch.learn_mac`
for traffic seen on a port.  Its MIB content is :attr:`Switch.source`, a
:class:`~snmp_agent.source.MibSource` computed from this state on every read.

Identity: data port ``n`` (1-based) has MAC ``base_mac + n``; the management
interface has ``base_mac`` itself, which is also the LLDP chassis ID and the
bridge address, so the LLDP chassis ID is always one of the ifPhysAddress
values (RackHD's switch relations need that).  The management interface is
always up; data ports start uncabled (oper down).

LLDP: a remote-table entry exists for every oper-up port with a known peer;
it appears when the port comes up (time mark = sysUpTime then) and goes away
when it goes down.  FDB policy: see :mod:`switch_sim.fdb`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from switch_sim.addr import MAC_MAX, format_mac, ipv4_bytes, parse_mac
from switch_sim.fdb import DEFAULT_AGING_TIME, Fdb
from switch_sim.mibs import build_tree, check_vendor_mibs
from switch_sim.mibtree import BoundTree
from switch_sim.personality import SwitchModel, load_model
from switch_sim.ports import LinkPeer, Port


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A port's operational status changed (delivered to link listeners)."""

    switch: str
    port: int
    if_index: int
    oper_up: bool
    peer: LinkPeer | None
    at: float  # clock seconds


@dataclass(frozen=True, slots=True)
class Neighbor:
    """An LLDP remote-table entry (lldpRemTable row)."""

    port: int  # local port number (lldpRemLocalPortNum)
    time_mark: int  # sysUpTime ticks when the entry was created
    index: int  # lldpRemIndex
    peer: LinkPeer
    peer_mac: int


LinkListener = Callable[[LinkEvent], None]


@functools.cache
def _port_text(template: str, n: int) -> str:
    """``template`` for port ``n`` (ifDescr, ifName), one string shared by every switch of the model."""
    return template.format(n=n)


class Clock(Protocol):
    """The part of ``twisted.internet.interfaces.IReactorTime`` the switch uses (a reactor or a
    ``twisted.internet.task.Clock``)."""

    def seconds(self) -> float: ...


class Switch:
    """A simulated switch of personality ``model`` with ``ports`` data ports."""

    def __init__(
        self,
        model: str,
        *,
        name: str,
        ports: int,
        clock: Clock,
        base_mac: str,
        serial: str,
        seed: int,
        sys_name: str | None = None,
        management_ip: str | None = None,
        sys_contact: str = "",
        sys_location: str = "",
        fdb_aging_time: float = DEFAULT_AGING_TIME,
    ) -> None:
        self.model: SwitchModel = load_model(model)
        check_vendor_mibs(self.model)  # the MIB itself may be built much later, at its first use
        if not 1 <= ports <= self.model.max_ports:
            raise ValueError(f"{model} has 1..{self.model.max_ports} ports, not {ports}")
        self.name = name
        self.clock = clock
        self.base_mac = parse_mac(base_mac)
        if self.base_mac + ports > MAC_MAX:
            raise ValueError(f"base_mac {base_mac} leaves no room for {ports} port MACs")
        if management_ip is not None:
            ipv4_bytes(management_ip)  # validate early
        self.serial = serial
        self.seed = seed
        self.sys_name = sys_name if sys_name is not None else name
        self.sys_contact = sys_contact
        self.sys_location = sys_location
        self.management_ip = management_ip
        self.boot_time = clock.seconds()
        self.fdb = Fdb(clock.seconds, fdb_aging_time)

        now = self.boot_time
        style = self.model.port
        self._ports = [
            Port(
                number=n,
                if_index=style.if_index(n),
                descr=_port_text(style.descr, n),
                name=_port_text(style.name, n),
                mac=self.base_mac + n,
                speed_mbps=style.speed_mbps,
                mtu=style.mtu,
                mgmt=False,
                seed=seed,
                now=now,
            )
            for n in range(1, ports + 1)
        ]
        m = self.model.mgmt
        self.mgmt = Port(
            number=0,
            if_index=m.if_index,
            descr=m.descr,
            name=m.name,
            mac=self.base_mac,
            speed_mbps=m.speed_mbps,
            mtu=m.mtu,
            mgmt=True,
            seed=seed,
            now=now,
        )
        self.mgmt.apply(now, link_up=True)
        self.interfaces: list[Port] = sorted([*self._ports, self.mgmt], key=lambda p: p.if_index)
        self.by_if_index = {p.if_index: p for p in self.interfaces}
        if len(self.by_if_index) != len(self.interfaces):
            raise ValueError(f"{model}: the management ifIndex collides with a data port")

        self._neighbors: dict[int, Neighbor] = {}
        self._next_rem_index = 1
        self.lldp_inserts = 0
        self.lldp_deletes = 0
        self.lldp_last_change = 0  # ticks
        self._listeners: list[LinkListener] = []
        self._tree: BoundTree[Switch] | None = None
        self.mib_state: dict[object, object] = {}  # the MIB's caches of rows derived from this switch's state

    # time
    def now(self) -> float:
        return self.clock.seconds()

    def uptime(self) -> float:
        """Seconds since the switch was created (its boot)."""
        return max(0.0, self.clock.seconds() - self.boot_time)

    def ticks(self, at: float | None = None) -> int:
        """sysUpTime in hundredths of a second at clock time ``at`` (default now), mod 2**32."""
        when = self.clock.seconds() if at is None else at
        # the epsilon keeps float noise (12.34 s -> 1233.9999 ticks) from losing a tick
        return int(max(0.0, when - self.boot_time) * 100 + 1e-6) & 0xFFFFFFFF

    # ports
    @property
    def port_count(self) -> int:
        return len(self._ports)

    @property
    def ports(self) -> list[Port]:
        """The data ports, port 1 first."""
        return list(self._ports)

    def port(self, number: int) -> Port:
        if not 1 <= number <= len(self._ports):
            raise ValueError(f"{self.name} has ports 1..{len(self._ports)}, not {number}")
        return self._ports[number - 1]

    def set_link(self, port: int, up: bool, *, peer: LinkPeer | None = None) -> None:
        """Say what is cabled to ``port`` (None: nothing known) and whether its far end is up.

        The port is oper-up when its far end is up and it is admin-up.  Re-cabling
        a port that stays up replaces its LLDP neighbour and FDB entries without
        an oper-status change.
        """
        p = self.port(port)
        peer_mac = parse_mac(peer.mac) if peer is not None else None
        recabled = p.peer != peer
        p.peer = peer
        if p.apply(self.now(), link_up=up):
            self._oper_changed(p, peer_mac)
        elif p.oper_up and recabled:
            self._drop_neighbor(p)
            self.fdb.flush_port(p.number)
            self._port_came_up(p, peer_mac)

    def set_admin(self, port: int, up: bool) -> None:
        """Administratively enable or disable ``port`` (ifAdminStatus)."""
        p = self.port(port)
        if p.apply(self.now(), admin_up=up):
            self._oper_changed(p, parse_mac(p.peer.mac) if p.peer is not None else None)

    def _oper_changed(self, p: Port, peer_mac: int | None) -> None:
        if p.oper_up:
            self._port_came_up(p, peer_mac)
        else:
            self._drop_neighbor(p)
            self.fdb.flush_port(p.number)
        event = LinkEvent(self.name, p.number, p.if_index, p.oper_up, p.peer, self.now())
        for listener in list(self._listeners):
            listener(event)

    def _port_came_up(self, p: Port, peer_mac: int | None) -> None:
        if p.peer is None or peer_mac is None:
            return
        self.fdb.learn(p.number, peer_mac, pinned=True)
        self._neighbors[p.number] = Neighbor(p.number, self.ticks(), self._next_rem_index, p.peer, peer_mac)
        self._next_rem_index += 1
        self.lldp_inserts += 1
        self.lldp_last_change = self.ticks()

    def _drop_neighbor(self, p: Port) -> None:
        if self._neighbors.pop(p.number, None) is not None:
            self.lldp_deletes += 1
            self.lldp_last_change = self.ticks()

    def add_link_listener(self, listener: LinkListener) -> Callable[[], None]:
        """Call ``listener`` on every port oper-status change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    # forwarding database and neighbours
    def learn_mac(self, port: int, mac: str) -> bool:
        """Record traffic from ``mac`` on ``port``; False (nothing learned) if the port is down."""
        p = self.port(port)
        if not p.oper_up:
            return False
        self.fdb.learn(p.number, parse_mac(mac))
        return True

    def fdb_entries(self) -> list[tuple[str, int]]:
        """Live ``(mac, port)`` pairs, sorted by MAC."""
        return [(format_mac(mac), port) for mac, port in self.fdb.entries()]

    def advertisement(self, port: int) -> LinkPeer:
        """What this switch's LLDP speaker on ``port`` advertises to the cabled node.

        Chassis ID = the base MAC (an ifPhysAddress of this switch, as RackHD's
        switch relations require), port ID = the port's ifName, system name =
        sysName.  A simulated node's ``lldpcli show neighbor`` answers from this.
        """
        p = self.port(port)
        return LinkPeer(
            mac=format_mac(self.base_mac),
            chassis_name=self.sys_name,
            port_id=p.name,
            port_descr=p.descr,
            system_descr=self.model.sys_descr,
            mgmt_ip=self.management_ip,
        )

    def neighbors(self) -> list[Neighbor]:
        """LLDP remote entries, in lldpRemTable order (time mark, port, index)."""
        return sorted(self._neighbors.values(), key=lambda n: (n.time_mark, n.port, n.index))

    # MIB
    @property
    def source(self) -> BoundTree[Switch]:
        """The switch's MIB view (a :class:`~snmp_agent.source.MibSource`), built once."""
        if self._tree is None:
            self._tree = build_tree(self)
        return self._tree
