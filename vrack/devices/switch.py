"""A switch in the rack: switch_sim's ports behind an SNMP agent, following the cabling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from snmp_agent.source import LazySource
from switch_sim.device import Switch
from switch_sim.ports import LinkPeer
from vrack import identity
from vrack.devices import RackContext
from vrack.devices.base import DeviceService
from vrack.devices.snmp import SnmpDeviceService
from vrack.journal import Journal
from vrack.plan import RackPlan, SnmpDevicePlan
from vrack.roles import LinkEnd, LinkFaults, PortBank
from vrack.spec import SwitchSpec


class SwitchDevice(SnmpDeviceService, PortBank, LinkFaults):
    """A switch: port links follow the cabling model; it advertises itself over LLDP on every port."""

    kind = "switch"

    def __init__(self, plan: SnmpDevicePlan, seed: str, reactor: Any, journal: Journal) -> None:
        spec = plan.spec
        assert isinstance(spec, SwitchSpec)
        self.switch = Switch(
            spec.model,
            name=plan.name,
            ports=spec.ports,
            clock=reactor,
            base_mac=plan.mac,
            serial=plan.serial,
            seed=identity.small_int(seed, plan.name, "switch", 2**31),
            management_ip=str(plan.address),
        )
        switch = self.switch  # its MIB is built at the first request that reaches the agent (issue 17)
        super().__init__(plan, LazySource(lambda: switch.source), reactor, journal)

    @property
    def port_count(self) -> int:
        return self.switch.port_count

    def port_oper_up(self, port: int) -> bool:
        return self.switch.port(port).oper_up

    def port_end(self, port: int) -> LinkEnd:
        advertised = self.switch.advertisement(port)
        return LinkEnd(
            mac=advertised.mac,
            chassis_name=advertised.chassis_name,
            port_id=advertised.port_id,
            port_descr=advertised.port_descr,
            system_descr=advertised.system_descr,
            mgmt_ip=advertised.mgmt_ip,
        )

    def set_link(self, port: int, up: bool, peer: LinkEnd | None, cause: str) -> None:
        """Link state from the power and cabling model (peer = the cabled NIC, when up)."""
        before = self.switch.port(port).oper_up
        link_peer = (
            LinkPeer(peer.mac, peer.chassis_name, peer.port_id, peer.port_descr, peer.system_descr, peer.mgmt_ip)
            if peer
            else None
        )
        self.switch.set_link(port, up, peer=link_peer)
        after = self.switch.port(port).oper_up
        if before != after:
            self.journal.append(self.device_name, "link", "port-up" if after else "port-down", port=port, cause=cause)

    def describe(self) -> dict[str, Any]:
        info = self.snmp_description()
        info["ports"] = [
            {
                "port": p.number,
                "name": p.name,
                "oper_up": p.oper_up,
                "peer": p.peer.chassis_name + "/" + p.peer.port_id if p.peer else None,
            }
            for p in self.switch.ports
        ]
        info["fdb"] = [{"mac": mac, "port": port} for mac, port in self.switch.fdb_entries()]
        return info


def build_switch_devices(plan: RackPlan, context: RackContext) -> Iterator[DeviceService]:
    for switch in plan.switches:
        yield SwitchDevice(switch, plan.spec.identity_seed, context.reactor, context.journal)
