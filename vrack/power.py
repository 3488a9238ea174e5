"""One model of who powers and cables whom.

* A node's BMC has AC power while any of its power supplies is fed by an
  outlet that is on.  A node with no feeds in the spec is on permanent AC.
* All feeds off: the BMC goes silent and the host stops.  Feeds back: the BMC
  boots (its own boot delay), logs the AC-lost event in its SEL, and applies
  its power-restore policy (all inside ``bmc_sim``).
* A node NIC cabled to a switch port makes that port oper-up while the host
  is powered and the cable is plugged; the switch learns the NIC's MAC and
  sees its LLDP identity.
* PDU outlets report the draw of the supplies they feed.

Every effect is journalled with its cause, so a test can read the chain
"outlet pdu1/3 off -> node01 AC lost -> sw1 port 1 down".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from vrack.journal import Journal
from vrack.plan import CablePlan, FeedPlan, RackPlan


class PowerModel:
    """Propagates outlet, host power and cable changes between devices."""

    def __init__(self, plan: RackPlan, devices: dict[str, Any], journal: Journal) -> None:
        self.plan = plan
        self.devices = devices
        self.journal = journal
        self.feeds_of_node: dict[str, list[FeedPlan]] = defaultdict(list)
        self.feed_of_outlet: dict[tuple[str, int], FeedPlan] = {}
        for feed in plan.feeds:
            self.feeds_of_node[feed.node].append(feed)
            self.feed_of_outlet[(feed.pdu, feed.outlet)] = feed
        self.cables_of_node: dict[str, list[CablePlan]] = defaultdict(list)
        self.cable_at_port: dict[tuple[str, int], CablePlan] = {}
        self.plugged: dict[CablePlan, bool] = {}
        for cable in plan.cables:
            self.cables_of_node[cable.node].append(cable)
            self.cable_at_port[(cable.switch, cable.port)] = cable
            self.plugged[cable] = True
        for pdu in plan.pdus:
            self.devices[pdu.name].add_outlet_listener(self._outlet_changed)
        for node in plan.nodes:
            backend = getattr(self.devices[node.name], "backend", None)
            if backend is not None and hasattr(backend, "neighbors"):
                backend.neighbors = lambda name=node.name: self.lldp_neighbors(name)
            self.devices[node.name].add_host_power_listener(
                lambda on, cause, name=node.name: self._host_power_changed(name, on, cause)
            )

    # ------------------------------------------------------------------ state

    def node_has_ac(self, node: str) -> bool:
        feeds = self.feeds_of_node.get(node)
        if not feeds:
            return True
        return any(self.devices[f.pdu].outlet_on(f.outlet) for f in feeds)

    def apply_initial_state(self) -> None:
        """Give every BMC the AC state its feeds imply, then settle links and loads."""
        for node in self.plan.nodes:
            self.devices[node.name].set_ac(self.node_has_ac(node.name), "rack start")
        for node in self.plan.nodes:
            self._update_links(node.name, "rack start")
            self._update_loads(node.name)

    # ------------------------------------------------------------------ events

    def _outlet_changed(self, pdu: str, outlet: int, on: bool, cause: str) -> None:
        feed = self.feed_of_outlet.get((pdu, outlet))
        if feed is None:
            return
        node = self.devices[feed.node]
        has_ac = self.node_has_ac(feed.node)
        why = f"outlet {pdu}/{outlet} {'on' if on else 'off'} ({cause})"
        self.journal.append(
            feed.node, "power", "feed-changed", psu=feed.psu, outlet=f"{pdu}/{outlet}", on=on, ac=has_ac
        )
        node.set_ac(has_ac, why)
        self._update_loads(feed.node)

    def _host_power_changed(self, node: str, on: bool, cause: str) -> None:
        self._update_links(node, f"{node} host power {'on' if on else 'off'} ({cause})")
        self._update_loads(node)

    def set_cable(self, switch: str, port: int, plugged: bool, cause: str) -> CablePlan:
        """Plug or unplug the cable at ``switch`` port ``port``; ``KeyError`` if none."""
        cable = self.cable_at_port[(switch, port)]
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

    def lldp_neighbors(self, node: str) -> tuple[Any, ...]:
        """What the node's lldpd hears: each plugged cable's switch advertises itself on its port."""
        from node_sim.catalog.context import LldpNeighbor

        heard = []
        for cable in self.cables_of_node.get(node, ()):
            switch = self.devices[cable.switch]
            if self.plugged[cable] and switch.switch.port(cable.port).oper_up:
                heard.append(LldpNeighbor.from_peer(f"eth{cable.nic}", switch.switch.advertisement(cable.port)))
        return tuple(heard)

    # ------------------------------------------------------------------ effects

    def _update_links(self, node_name: str, cause: str) -> None:
        node = self.devices[node_name]
        for cable in self.cables_of_node.get(node_name, ()):
            up = node.host_powered and self.plugged[cable]
            switch = self.devices[cable.switch]
            switch.set_link(cable.port, up, node.link_peer(cable.nic) if up else None, cause)

    def _update_loads(self, node_name: str) -> None:
        feeds = self.feeds_of_node.get(node_name)
        if not feeds:
            return
        live = [f for f in feeds if self.devices[f.pdu].outlet_on(f.outlet)]
        draw = self.devices[node_name].power_draw()
        for feed in feeds:
            share = draw / len(live) if feed in live else 0.0
            self.devices[feed.pdu].set_outlet_load(feed.outlet, share)
