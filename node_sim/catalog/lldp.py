"""``lldpcli show neighbor -f keyvalue`` (lldpd 0.7) from the node's LLDP neighbours.

RackHD's switch-relations job reads ``lldp.<if>.chassis.mac`` and
``lldp.<if>.port.ifname``; with no neighbour lldpcli prints nothing.
"""

from __future__ import annotations

from node_sim.catalog.context import CommandResult, LldpNeighbor, NodeContext


def _age(seconds: float) -> str:
    s = max(0, int(seconds))
    days, s = divmod(s, 86400)
    return f"{days} day, {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def neighbor_lines(n: LldpNeighbor, rid: int, age: float) -> list[str]:
    p = f"lldp.{n.interface}"
    lines = [
        f"{p}.via=LLDP",
        f"{p}.rid={rid}",
        f"{p}.age={_age(age)}",
        f"{p}.chassis.mac={n.chassis_mac.lower()}",
        f"{p}.chassis.name={n.chassis_name}",
    ]
    if n.system_descr:
        lines.append(f"{p}.chassis.descr={n.system_descr}")
    if n.mgmt_ip:
        lines.append(f"{p}.chassis.mgmt-ip={n.mgmt_ip}")
    lines += [
        f"{p}.chassis.Bridge.enabled=on",
        f"{p}.chassis.Router.enabled=off",
        f"{p}.port.ifname={n.port_ifname}",
        f"{p}.port.descr={n.port_descr or n.port_ifname}",
        f"{p}.port.ttl={n.ttl}",
        f"{p}.port.auto-negotiation.supported=yes",
        f"{p}.port.auto-negotiation.enabled=yes",
        f"{p}.port.auto-negotiation.current=1000BaseTFD - Four-pair Category 5 UTP, full duplex mode",
        f"{p}.vlan.vlan-id=1",
        f"{p}.vlan.pvid=yes",
    ]
    return lines


def lldpcli(args: list[str], ctx: NodeContext) -> CommandResult:
    if args[:2] not in (["show", "neighbor"], ["show", "neighbors"]):
        return CommandResult("", "lldpcli: vrack emulates only 'show neighbor [-f keyvalue]'\n", 1)
    if "keyvalue" not in args:
        return CommandResult("", "lldpcli: vrack emulates only the keyvalue format\n", 1)
    lines: list[str] = []
    for rid, neighbor in enumerate(ctx.lldp_neighbors(), start=1):
        lines += neighbor_lines(neighbor, rid, ctx.uptime())
    return CommandResult("".join(line + "\n" for line in lines))
