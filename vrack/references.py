"""Cross-reference checks of a rack spec: names, models, addresses, feeds and cables.

:func:`check_references` runs after the structure validated (:mod:`vrack.spec`)
and returns every problem as ``(document path, message)``; the spec loader
turns them into located errors.  The plan (:mod:`vrack.plan`) uses the same
address and NIC rules, from here, to build a spec that passed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from vrack import registry
from vrack.elevation import check_elevation
from vrack.spec_model import ComputeSpec, PduSpec, RackSpec, SwitchSpec
from vrack.yamlsource import PathKey, format_path

LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def expanded(spec: RackSpec) -> Iterator[tuple[str, PathKey, ComputeSpec | PduSpec | SwitchSpec]]:
    """Every device name with the path of its spec entry, in spec order."""
    for index, device in enumerate(spec.devices):
        for name in device.expanded_names():
            yield name, ("devices", index), device


def nic_count(node: ComputeSpec) -> int:
    """The node's NICs: as the spec says, else the model's onboard NICs (2 for unknown models)."""
    if node.nics is not None:
        return node.nics
    try:
        return registry.model_info("compute", node.model).nics or 2
    except KeyError:
        return 2


def check_references(spec: RackSpec) -> list[tuple[PathKey, str]]:
    """Every cross-reference problem as ``(path, message)``; empty when consistent."""
    issues: list[tuple[PathKey, str]] = []
    names: dict[str, PathKey] = {}
    kinds: dict[str, ComputeSpec | PduSpec | SwitchSpec] = {}
    for name, path, device in expanded(spec):
        if name in names:
            issues.append(((*path, "name"), f"device name {name!r} is already used by {format_path(names[name])}"))
        else:
            names[name] = path
            kinds[name] = device
    for index, device in enumerate(spec.devices):
        if isinstance(device, ComputeSpec) and device.backend == "sim" and device.nics is not None:
            model_nics = (
                registry.model_info("compute", device.model).nics
                if device.model in registry.models("compute")
                else device.nics
            )
            if device.nics != model_nics:
                issues.append(
                    (("devices", index, "nics"), f"a simulated {device.model} has {model_nics} NICs, not {device.nics}")
                )
        valid = registry.models(device.kind)
        if device.model not in valid:
            issues.append(
                (
                    ("devices", index, "model"),
                    f"unknown {device.kind} model {device.model!r} (valid: {', '.join(valid)})",
                )
            )
    if spec.ports.shared and spec.mode != "loopback":
        issues.append(
            (("ports", "shared"), "serves loopback racks only (netns mode keeps a socket per address); valid: false")
        )
    mgmt = spec.networks.management
    if spec.mode == "loopback" and not mgmt.subnet_of(LOOPBACK):
        issues.append(
            (("networks", "management"), f"{mgmt} is outside 127.0.0.0/8; loopback mode serves only loopback addresses")
        )
    if spec.mode == "netns":
        issues.extend(_check_netns_networks(spec))
    elif mgmt.overlaps(spec.networks.provisioning):
        issues.append((("networks", "provisioning"), "overlaps networks.management; use separate networks"))
    control = spec.control
    if control.address not in LOOPBACK and not control.allow_remote:
        issues.append(
            (
                ("control", "address"),
                f"{control.address} would let other machines power nodes off and stop the rack: keep the control "
                "API on 127.0.0.1, or set control.allow_remote: true (clients then need the rack's token)",
            )
        )
    issues.extend(_check_addresses(spec))
    issues.extend(_check_trap_receivers(spec))
    issues.extend(_check_feeds(spec, kinds))
    issues.extend(_check_cables(spec, kinds))
    issues.extend(check_elevation(spec))
    return issues


def _check_trap_receivers(spec: RackSpec) -> list[tuple[PathKey, str]]:
    """Traps go to loopback (loopback mode) or to the management network's uplink side (netns mode) only."""
    issues: list[tuple[PathKey, str]] = []
    allowed = LOOPBACK if spec.mode == "loopback" else spec.networks.management
    for index, device in enumerate(spec.devices):
        if isinstance(device, ComputeSpec):
            continue
        for n, receiver in enumerate(device.snmp.traps):
            if receiver.address not in allowed:
                issues.append(
                    (
                        ("devices", index, "snmp", "traps", n, "address"),
                        f"{receiver.address} is outside {allowed}: a {spec.mode} rack sends traps only there",
                    )
                )
    return issues


def explicit_address(device: Any) -> Any:
    if isinstance(device, ComputeSpec):
        return device.bmc.address
    return device.address


def _addr_path(index: int, device: Any) -> PathKey:
    return ("devices", index, "bmc", "address") if isinstance(device, ComputeSpec) else ("devices", index, "address")


def _check_addresses(spec: RackSpec) -> list[tuple[PathKey, str]]:
    issues: list[tuple[PathKey, str]] = []
    seen: dict[ipaddress.IPv4Address, PathKey] = {}
    wanted_auto = 0
    for index, device in enumerate(spec.devices):
        address = explicit_address(device)
        path = _addr_path(index, device)
        if address == "auto":
            wanted_auto += device.count
            continue
        if device.count > 1:
            issues.append((path, f"an explicit address cannot be shared by {device.count} devices; use 'auto'"))
            continue
        if spec.mode == "loopback" and address not in LOOPBACK:
            issues.append((path, f"{address} is not a loopback address; loopback mode needs 127.0.0.0/8"))
        if address in seen:
            issues.append((path, f"address {address} is already used by {format_path(seen[address])}"))
        seen[address] = path
    available = free_hosts(spec, set(seen))
    free = sum(1 for _ in zip(range(wanted_auto), available, strict=False))
    if free < wanted_auto:
        issues.append(
            (
                ("networks", "management"),
                f"{spec.networks.management} has {free} free addresses but {wanted_auto} devices need one; "
                "use a larger network",
            )
        )
    return issues


def _check_netns_networks(spec: RackSpec) -> list[tuple[PathKey, str]]:
    issues: list[tuple[PathKey, str]] = []
    for key in ("management", "provisioning"):
        network = getattr(spec.networks, key)
        if not network.is_private or network.subnet_of(LOOPBACK) or network.prefixlen > 29:
            issues.append(
                (
                    ("networks", key),
                    f"{network} cannot be a netns rack network: use a private (RFC 1918) network of /29 or "
                    "larger, e.g. 172.31.0.0/24",
                )
            )
    if spec.networks.management.overlaps(spec.networks.provisioning):
        issues.append((("networks", "provisioning"), "overlaps networks.management; use separate networks"))
    return issues


def reserved_hosts(spec: RackSpec) -> set[ipaddress.IPv4Address]:
    """Addresses no device may take: the control API, 127.0.0.1, and in netns mode the uplink (first host,
    where the system under test sits) and the rack side of the bridge (last host)."""
    reserved = {spec.control.address, ipaddress.IPv4Address("127.0.0.1")}
    if spec.mode == "netns":
        hosts = list(spec.networks.management.hosts())
        if hosts:
            reserved |= {hosts[0], hosts[-1]}
    return reserved


def free_hosts(spec: RackSpec, taken: set[ipaddress.IPv4Address]) -> Iterator[ipaddress.IPv4Address]:
    reserved = reserved_hosts(spec)
    for host in spec.networks.management.hosts():
        if host not in taken and host not in reserved:
            yield host


def split_ref(ref: str) -> tuple[str, str]:
    device, _, part = ref.partition("/")
    return device, part


def _check_feeds(spec: RackSpec, kinds: dict[str, Any]) -> list[tuple[PathKey, str]]:
    issues: list[tuple[PathKey, str]] = []
    outlets: dict[tuple[str, int], int] = {}
    psus: dict[tuple[str, int], int] = {}
    for index, feed in enumerate(spec.power):
        pdu_name, outlet_text = split_ref(feed.outlet)
        node_name, psu_text = split_ref(feed.to)
        pdu = kinds.get(pdu_name)
        if not isinstance(pdu, PduSpec):
            issues.append((("power", index, "outlet"), _not_a(pdu_name, "pdu", kinds)))
        elif not 1 <= int(outlet_text) <= pdu.outlets:
            issues.append((("power", index, "outlet"), f"{pdu_name} has outlets 1..{pdu.outlets}, not {outlet_text}"))
        node = kinds.get(node_name)
        psu = int(psu_text[3:])
        if not isinstance(node, ComputeSpec):
            issues.append((("power", index, "to"), _not_a(node_name, "compute", kinds)))
        elif not 1 <= psu <= node.power_supplies:
            issues.append((("power", index, "to"), f"{node_name} has psu1..psu{node.power_supplies}, not {psu_text}"))
        key_o = (pdu_name, int(outlet_text))
        if key_o in outlets:
            issues.append((("power", index, "outlet"), f"{feed.outlet} already feeds power[{outlets[key_o]}]"))
        outlets.setdefault(key_o, index)
        key_p = (node_name, psu)
        if key_p in psus:
            issues.append((("power", index, "to"), f"{feed.to} is already fed by power[{psus[key_p]}]"))
        psus.setdefault(key_p, index)
    return issues


def _check_cables(spec: RackSpec, kinds: dict[str, Any]) -> list[tuple[PathKey, str]]:
    issues: list[tuple[PathKey, str]] = []
    ends: dict[str, int] = {}
    for index, cable in enumerate(spec.cables):
        node_name, nic_text = split_ref(cable.a)
        switch_name, port_text = split_ref(cable.b)
        node = kinds.get(node_name)
        nic = int(nic_text[3:])
        if not isinstance(node, ComputeSpec):
            issues.append((("cables", index, "a"), _not_a(node_name, "compute", kinds)))
        elif not 0 <= nic < nic_count(node):
            issues.append((("cables", index, "a"), f"{node_name} has nic0..nic{nic_count(node) - 1}, not {nic_text}"))
        switch = kinds.get(switch_name)
        if not isinstance(switch, SwitchSpec):
            issues.append((("cables", index, "b"), _not_a(switch_name, "switch", kinds)))
        elif not 1 <= int(port_text) <= switch.ports:
            issues.append((("cables", index, "b"), f"{switch_name} has ports 1..{switch.ports}, not {port_text}"))
        for key, end in (("a", cable.a), ("b", cable.b)):
            if end in ends:
                issues.append((("cables", index, key), f"{end} is already cabled by cables[{ends[end]}]"))
            ends.setdefault(end, index)
    return issues


def _not_a(name: str, kind: str, kinds: dict[str, Any]) -> str:
    device = kinds.get(name)
    if device is None:
        valid = sorted(n for n, d in kinds.items() if d.kind == kind)
        shown = ", ".join(valid[:8]) + (" ..." if len(valid) > 8 else "")
        return f"no device named {name!r}; {kind} devices are: {shown or 'none'}"
    return f"{name!r} is a {device.kind}, not a {kind}"
