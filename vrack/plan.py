"""From a validated spec to a concrete rack plan.

The plan expands ``count`` entries into named devices, assigns management
addresses (explicit ones first, then the free hosts of
``networks.management`` in spec order), derives identities from the seed, and
resolves power feeds and cables to device objects.  ``vrack.references.check_references``
reports every cross-reference problem with its document path; ``build_plan``
assumes a spec that passed it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Container
from dataclasses import dataclass

from vrack import identity, registry
from vrack.references import expanded, explicit_address, free_hosts, nic_count, split_ref
from vrack.roles import LinkEnd
from vrack.spec_model import ComputeSpec, PduSpec, RackSpec, SwitchSpec
from vrack.yamlsource import PathKey


@dataclass(frozen=True)
class NodePlan:
    """One compute node with its BMC identity."""

    name: str
    spec: ComputeSpec
    path: PathKey
    bmc_address: ipaddress.IPv4Address
    bmc_port: int
    bmc_mac: str
    nic_macs: tuple[str, ...]
    system_serial: str
    board_serial: str
    chassis_serial: str
    system_uuid: str
    redfish_port: int | None = None  # HTTPS; None when the spec turns it off
    redfish_http_port: int | None = None  # plain HTTP; None unless the spec asks

    def nic_end(self, nic: int) -> LinkEnd:
        """What a switch port cabled to NIC ``nic`` learns of the node over LLDP and in its FDB."""
        return LinkEnd(
            mac=self.nic_macs[nic],
            chassis_name=self.name,
            port_id=f"eth{nic}",
            port_descr=f"{self.name} eth{nic}",
            system_descr=f"vrack simulated node ({self.spec.model})",
        )


@dataclass(frozen=True)
class SnmpDevicePlan:
    """A PDU or switch with its management identity."""

    name: str
    spec: PduSpec | SwitchSpec
    path: PathKey
    address: ipaddress.IPv4Address
    port: int
    mac: str
    serial: str


@dataclass(frozen=True)
class FeedPlan:
    pdu: str
    outlet: int
    node: str
    psu: int


@dataclass(frozen=True)
class CablePlan:
    node: str
    nic: int
    switch: str
    port: int


@dataclass(frozen=True)
class RackPlan:
    spec: RackSpec
    nodes: tuple[NodePlan, ...]
    pdus: tuple[SnmpDevicePlan, ...]
    switches: tuple[SnmpDevicePlan, ...]
    feeds: tuple[FeedPlan, ...]
    cables: tuple[CablePlan, ...]

    def node(self, name: str) -> NodePlan:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


def build_plan(spec: RackSpec, only: Container[str] | None = None) -> RackPlan:
    """Expand and resolve a spec that passed :func:`check_references`.

    ``only``: just these compute nodes, with what the whole plan gives them, and no PDUs, switches, feeds or
    cables (a worker of ``vrack up --workers`` builds its slice, not the whole rack's identities).
    """
    seed = spec.identity_seed
    taken = {explicit_address(d) for d in spec.devices if explicit_address(d) != "auto"}
    auto = free_hosts(spec, taken)
    nodes: list[NodePlan] = []
    pdus: list[SnmpDevicePlan] = []
    switches: list[SnmpDevicePlan] = []
    for name, path, device in expanded(spec):
        explicit = explicit_address(device)
        address = next(auto) if explicit == "auto" else explicit
        if only is not None and (name not in only or not isinstance(device, ComputeSpec)):
            continue  # its address is taken all the same: the nodes after it keep theirs
        model = registry.find_model(device.kind, device.model)
        oui = model.oui if model else None
        if isinstance(device, ComputeSpec):
            nodes.append(
                NodePlan(
                    name=name,
                    spec=device,
                    path=path,
                    bmc_address=address,
                    bmc_port=device.bmc.port or spec.ports.ipmi,
                    bmc_mac=device.bmc.mac or identity.mac_address(seed, name, "bmc", oui),
                    nic_macs=tuple(
                        identity.mac_address(seed, name, f"nic{i}", model.nic_oui(i) if model else None)
                        for i in range(nic_count(device))
                    ),
                    system_serial=identity.serial_number(seed, name, "system"),
                    board_serial=identity.serial_number(seed, name, "board", "BRD"),
                    chassis_serial=identity.serial_number(seed, name, "chassis", "CH"),
                    system_uuid=str(identity.system_uuid(seed, name)),
                    redfish_port=spec.ports.redfish
                    if device.bmc.redfish.enabled and device.bmc.redfish.https
                    else None,
                    redfish_http_port=(
                        spec.ports.redfish_http if device.bmc.redfish.enabled and device.bmc.redfish.http else None
                    ),
                )
            )
        else:
            plan = SnmpDevicePlan(
                name=name,
                spec=device,
                path=path,
                address=address,
                port=device.port or spec.ports.snmp,
                mac=identity.mac_address(seed, name, "mgmt", oui),
                serial=identity.serial_number(seed, name, "device"),
            )
            (pdus if isinstance(device, PduSpec) else switches).append(plan)
    if only is not None:
        return RackPlan(spec, tuple(nodes), (), (), (), ())
    feeds = tuple(
        FeedPlan(split_ref(f.outlet)[0], int(split_ref(f.outlet)[1]), split_ref(f.to)[0], int(split_ref(f.to)[1][3:]))
        for f in spec.power
    )
    cables = tuple(
        CablePlan(split_ref(c.a)[0], int(split_ref(c.a)[1][3:]), split_ref(c.b)[0], int(split_ref(c.b)[1]))
        for c in spec.cables
    )
    return RackPlan(spec, tuple(nodes), tuple(pdus), tuple(switches), feeds, cables)
