"""A test's rack spec (a path, YAML text or a dict) made ready to run: validated, ports chosen.

``ports="standard"`` keeps the spec's ports (RackHD's UDP 623 and 161 by default) and, when they
are below 1024 and this process may not bind them, fails with :class:`PortsUnavailable` saying
why.  ``ports="auto"`` keeps them when they can be bound and otherwise moves every privileged
IPMI and SNMP port to a free high port, the same port for every device of a protocol (each device
has its own address), as the spec's ``ports:`` would.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from vrack.plan import RackPlan, build_plan
from vrack.spec import parse_spec

Ports = Literal["auto", "standard"]
SpecSource = str | Path | dict[str, Any]
PRIVILEGED_BELOW = 1024


class PortsUnavailable(RuntimeError):
    """``ports="standard"`` was asked for, and this process may not bind ports below 1024."""


@dataclass(frozen=True)
class ReadySpec:
    """The spec as the rack will run it."""

    text: str  # YAML, with the chosen ports
    source: str  # where it came from, for error messages
    plan: RackPlan
    moved_ports: dict[str, int]  # protocol -> the free port it was moved to ("auto" without privilege)


def spec_text(spec: SpecSource) -> tuple[str, str]:
    """The YAML text of ``spec`` and a name for it in messages."""
    if isinstance(spec, dict):
        return yaml.safe_dump(spec, sort_keys=False), "<dict>"
    if isinstance(spec, Path) or "\n" not in spec:
        path = Path(spec)
        return path.read_text(encoding="utf-8"), str(path)
    return spec, "<string>"


def can_bind_privileged(address: str = "127.0.0.1", port: int = 623) -> bool:
    """Whether this process may bind UDP ports below 1024 (a port in use still counts as allowed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, port))
        except OSError as exc:
            return exc.errno != errno.EACCES
    return True


def _free_udp_ports(address: str, count: int) -> list[int]:
    return _free_ports(address, count, socket.SOCK_DGRAM)


def _free_ports(address: str, count: int, kind: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, kind) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((address, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _privileged_ports(plan: RackPlan) -> dict[str, list[str]]:
    """Protocol -> the devices whose port is below 1024."""
    found: dict[str, list[str]] = {}
    for node in plan.nodes:
        if node.bmc_port < PRIVILEGED_BELOW:
            found.setdefault("ipmi", []).append(f"{node.name} {node.bmc_address}:{node.bmc_port}")
        for proto, port in (("redfish", node.redfish_port), ("redfish_http", node.redfish_http_port)):
            if port is not None and port < PRIVILEGED_BELOW:
                found.setdefault(proto, []).append(f"{node.name} {node.bmc_address}:{port} (TCP)")
    for device in (*plan.pdus, *plan.switches):
        if device.port < PRIVILEGED_BELOW:
            found.setdefault("snmp", []).append(f"{device.name} {device.address}:{device.port}")
    return found


def _move_ports(data: dict[str, Any], ports: dict[str, int]) -> None:
    data["ports"] = {**(data.get("ports") or {}), **ports}
    for device in data.get("devices") or ():
        if not isinstance(device, dict):
            continue
        if "snmp" in ports and isinstance(device.get("port"), int) and device["port"] < PRIVILEGED_BELOW:
            device["port"] = ports["snmp"]
        bmc = device.get("bmc")
        bmc_port = bmc.get("port") if isinstance(bmc, dict) else None
        if "ipmi" in ports and isinstance(bmc, dict) and isinstance(bmc_port, int) and bmc_port < PRIVILEGED_BELOW:
            bmc["port"] = ports["ipmi"]


def prepare(spec: SpecSource, ports: Ports) -> ReadySpec:
    """Validate ``spec`` (raising :class:`vrack.spec.SpecError` with lines) and choose its ports."""
    if ports not in ("auto", "standard"):
        raise ValueError(f"ports must be 'auto' or 'standard', not {ports!r}")
    text, source = spec_text(spec)
    plan = build_plan(parse_spec(text, source))
    privileged = _privileged_ports(plan)
    if not privileged or plan.spec.mode == "netns" or can_bind_privileged():
        return ReadySpec(text, source, plan, {})
    if ports == "standard":
        where = "; ".join(f"{proto}: {', '.join(devs[:3])}" for proto, devs in privileged.items())
        raise PortsUnavailable(
            f"ports='standard' needs ports below 1024 ({where}), and this process (uid {os.getuid()}) lacks "
            "CAP_NET_BIND_SERVICE (root without it, or not root); use ports='auto' to move them to free high ports"
        )
    first = plan.nodes[0].bmc_address if plan.nodes else (plan.pdus or plan.switches)[0].address
    protocols = sorted(privileged)
    udp = [p for p in protocols if not p.startswith("redfish")]
    tcp = [p for p in protocols if p.startswith("redfish")]
    moved = dict(zip(udp, _free_udp_ports(str(first), len(udp)), strict=True))
    moved.update(zip(tcp, _free_ports(str(first), len(tcp), socket.SOCK_STREAM), strict=True))
    data = yaml.safe_load(text)
    _move_ports(data, moved)
    text = yaml.safe_dump(data, sort_keys=False)
    return ReadySpec(text, source, build_plan(parse_spec(text, source)), moved)
