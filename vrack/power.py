"""One model of who powers and cables whom.

* A node's BMC has AC power while any of its power supplies is fed by an
  outlet that is on.  A node with no feeds in the spec is on permanent AC.
* All feeds off: the BMC goes silent and the host stops.  Feeds back: the BMC
  boots (its own boot delay), logs the AC-lost event in its SEL, and applies
  its power-restore policy (all inside ``bmc_sim``).
* A node NIC cabled to a switch port makes that port oper-up while the host
  is powered, the cable is plugged and no fault holds the port down; the
  switch learns the NIC's MAC and sees its LLDP identity, and the node hears
  the switch's.
* PDU outlets report the draw of the supplies they feed.

Every effect is journalled with its cause, so a test can read the chain
"outlet pdu1/3 off -> node01 AC lost -> sw1 port 1 down".  The model talks
to devices only through their roles (:mod:`vrack.roles`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Protocol

from vrack.errors import NotFound
from vrack.journal import Journal
from vrack.plan import CablePlan, FeedPlan, RackPlan
from vrack.roles import (
    CabledHost,
    HeardNeighbor,
    HostPowerListener,
    NeighborSource,
    OutletBank,
    PortBank,
    PoweredHost,
)


class Node(PoweredHost, CabledHost, Protocol):
    """What the power model needs of a compute node."""


class PowerModel:
    """Propagates outlet, host power, cable and port-fault changes between devices."""

    def __init__(
        self,
        plan: RackPlan,
        nodes: Mapping[str, Node],
        pdus: Mapping[str, OutletBank],
        switches: Mapping[str, PortBank],
        journal: Journal,
    ) -> None:
        self.plan = plan
        self.nodes = nodes
        self.pdus = pdus
        self.switches = switches
        self.journal = journal
        self.feeds_of_node: dict[str, list[FeedPlan]] = defaultdict(list)
        self.feed_of_outlet: dict[tuple[str, int], FeedPlan] = {}
        for feed in plan.feeds:
            self.feeds_of_node[feed.node].append(feed)
            self.feed_of_outlet[(feed.pdu, feed.outlet)] = feed
        self.cables_of_node: dict[str, list[CablePlan]] = defaultdict(list)
        self.cable_at_port: dict[tuple[str, int], CablePlan] = {}
        self.plugged: dict[CablePlan, bool] = {}
        self.ports_held_down: set[tuple[str, int]] = set()
        self.failed_supplies: set[tuple[str, int]] = set()
        self.supplies_of_node = {node.name: node.spec.power_supplies for node in plan.nodes}
        for cable in plan.cables:
            self.cables_of_node[cable.node].append(cable)
            self.cable_at_port[(cable.switch, cable.port)] = cable
            self.plugged[cable] = True
        for pdu in pdus.values():
            pdu.add_outlet_listener(self._outlet_changed)
        for name, node in nodes.items():
            node.set_neighbor_source(self._neighbor_source(name))
            node.add_host_power_listener(self._host_power_listener(name))
            node.add_draw_listener(self._draw_listener(name))

    def _neighbor_source(self, node: str) -> NeighborSource:
        return lambda: self.lldp_neighbors(node)

    def _draw_listener(self, node: str) -> Callable[[], None]:
        return lambda: self._update_loads(node)

    def _host_power_listener(self, node: str) -> HostPowerListener:
        return lambda on, cause: self._host_power_changed(node, on, cause)

    # ------------------------------------------------------------------ state

    def node_has_ac(self, node: str) -> bool:
        """True while a working power supply of ``node`` is fed (a node without feeds is on permanent AC)."""
        supplies = self.supplies_of_node.get(node, 1)
        if all((node, psu) in self.failed_supplies for psu in range(1, supplies + 1)):
            return False
        feeds = self.feeds_of_node.get(node)
        if not feeds:
            return True
        return any(self.pdus[f.pdu].outlet_on(f.outlet) and (node, f.psu) not in self.failed_supplies for f in feeds)

    def fail_supply(self, node: str, psu: int, failed: bool, cause: str) -> None:
        """Power supply ``psu`` of ``node`` fails (delivers nothing) or is replaced; AC and loads follow."""
        key = (node, psu)
        if failed == (key in self.failed_supplies):
            return
        if failed:
            self.failed_supplies.add(key)
        else:
            self.failed_supplies.discard(key)
        self.journal.append(node, "power", "supply-failed" if failed else "supply-restored", psu=psu, cause=cause)
        self.nodes[node].set_ac(self.node_has_ac(node), f"psu{psu} {'failed' if failed else 'restored'} ({cause})")
        self._update_loads(node)

    def apply_initial_state(self) -> None:
        """Give every BMC the AC state its feeds imply, then settle links and loads."""
        for name, node in self.nodes.items():
            node.set_ac(self.node_has_ac(name), "rack start")
        for name in self.nodes:
            self._update_links(name, "rack start")
            self._update_loads(name)

    def cable_plugged(self, switch: str, port: int) -> bool | None:
        """Whether the cable at ``switch``/``port`` is plugged; ``None`` if no cable ends there."""
        cable = self.cable_at_port.get((switch, port))
        return None if cable is None else self.plugged[cable]

    # ------------------------------------------------------------------ events

    def _outlet_changed(self, pdu: str, outlet: int, on: bool, cause: str) -> None:
        feed = self.feed_of_outlet.get((pdu, outlet))
        if feed is None:
            return
        has_ac = self.node_has_ac(feed.node)
        why = f"outlet {pdu}/{outlet} {'on' if on else 'off'} ({cause})"
        self.journal.append(
            feed.node, "power", "feed-changed", psu=feed.psu, outlet=f"{pdu}/{outlet}", on=on, ac=has_ac
        )
        self.nodes[feed.node].set_ac(has_ac, why)
        self._update_loads(feed.node)

    def _host_power_changed(self, node: str, on: bool, cause: str) -> None:
        self._update_links(node, f"{node} host power {'on' if on else 'off'} ({cause})")
        self._update_loads(node)

    def set_cable(self, switch: str, port: int, plugged: bool, cause: str) -> CablePlan:
        """Plug or unplug the cable at ``switch`` port ``port``; :class:`NotFound` if no cable ends there."""
        cable = self.cable_at_port.get((switch, port))
        if cable is None:
            cabled = sorted(p for s, p in self.cable_at_port if s == switch)
            raise NotFound(f"no cable ends at {switch}/{port}", "port", cabled)
        self.plugged[cable] = plugged
        self.journal.append(
            cable.node,
            "cable",
            "plugged" if plugged else "unplugged",
            nic=cable.nic,
            switch=switch,
            port=port,
            cause=cause,
        )
        self._update_links(cable.node, cause)
        return cable

    def hold_port_down(self, switch: str, port: int, down: bool, cause: str) -> None:
        """Force a switch port's link down (a fault) or let it follow the cabling again."""
        key = (switch, port)
        if down:
            self.ports_held_down.add(key)
        else:
            self.ports_held_down.discard(key)
        cable = self.cable_at_port.get(key)
        if cable is not None:
            self._update_links(cable.node, cause)
        else:
            self.switches[switch].set_link(port, False, None, cause)

    def lldp_neighbors(self, node: str) -> tuple[HeardNeighbor, ...]:
        """What the node's lldpd hears: each plugged cable's switch advertises itself on its port."""
        heard = []
        for cable in self.cables_of_node.get(node, ()):
            switch = self.switches[cable.switch]
            if self.plugged[cable] and switch.port_oper_up(cable.port):
                heard.append(HeardNeighbor(cable.nic, switch.port_end(cable.port)))
        return tuple(heard)

    # ------------------------------------------------------------------ effects

    def _update_links(self, node_name: str, cause: str) -> None:
        node = self.nodes[node_name]
        for cable in self.cables_of_node.get(node_name, ()):
            up = node.host_powered and self.plugged[cable] and (cable.switch, cable.port) not in self.ports_held_down
            self.switches[cable.switch].set_link(cable.port, up, node.nic_end(cable.nic) if up else None, cause)
        if node_name in self.cables_of_node:
            node.neighbors_changed()

    def _update_loads(self, node_name: str) -> None:
        feeds = self.feeds_of_node.get(node_name)
        if not feeds:
            return
        live = [
            f for f in feeds if self.pdus[f.pdu].outlet_on(f.outlet) and (node_name, f.psu) not in self.failed_supplies
        ]
        draw = self.nodes[node_name].power_draw()
        for feed in feeds:
            share = draw / len(live) if feed in live else 0.0
            self.pdus[feed.pdu].set_outlet_load(feed.outlet, share)
