"""Redfish on a compute node's BMC: ``redfish_sim`` served from the very ``bmc_sim`` BMC that answers IPMI.

Power, boot override, SEL, sensors, FRU identity, users and LAN settings are the BMC's own objects (through
:class:`redfish_sim.bmc_device.BmcBackedDevice`), so a Redfish power change is what ipmitool sees next and
the other way round; the PDU model acts on both because it acts on the BMC.  Inventory (processors, DIMMs,
drives) comes from the node's hardware personality (``node_sim/hardware``), NIC MACs from the plan.  Each
rack has one certificate authority derived from its seed (:func:`rack_authority`), written to
``<state dir>/<rack>/redfish-ca.pem`` for clients to trust.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bmc_sim.config import BmcConfig
from bmc_sim.device import Bmc
from bmc_sim.models import load_model
from node_sim.hardware import HardwareError, load_hardware
from node_sim.hardware_identity import expand
from redfish_sim import RedfishService, RequestRecord, all_routes
from redfish_sim.bios import BiosAttribute, BiosSettings, registry_from
from redfish_sim.bmc_device import BmcBackedDevice, identity_from_config
from redfish_sim.device import Dimm, Drive, HostNic, Identity, Inventory, Processor
from redfish_sim.tls import CertificateAuthority
from redfish_sim.transport import RedfishListener
from vrack.journal import Journal
from vrack.plan import NodePlan

CA_FILE = "redfish-ca.pem"


@functools.lru_cache(maxsize=8)
def rack_authority(seed: str, rack: str) -> CertificateAuthority:
    """The rack's Redfish CA (the same for the same seed, on every run)."""
    return CertificateAuthority(seed, rack)


def write_ca(state_path: Path | None, authority: CertificateAuthority) -> Path | None:
    """Write the CA certificate beside the rack's journal (unless it is there already); returns its path."""
    if state_path is None:
        return None
    path = state_path / CA_FILE
    if not path.exists() or path.read_bytes() != authority.pem:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(authority.pem)
    return path


def inventory_for(plan: NodePlan) -> tuple[Inventory, dict[str, str]]:
    """Processors, DIMMs, NICs (the plan's MACs), drives, BIOS strings and BIOS attribute registry of the node's
    hardware model."""
    try:
        hw = load_hardware(plan.spec.model)
    except HardwareError:
        nics = tuple(HostNic(f"eth{i}", mac, 1000) for i, mac in enumerate(plan.nic_macs))
        return Inventory(nics=nics), {}
    cpus = tuple(
        Processor(f"CPU{i}", hw.cpu.manufacturer, hw.cpu.model, hw.cpu.cores, hw.cpu.threads, hw.cpu.max_speed_mhz)
        for i in range(hw.cpu.count)
    )
    serial = plan.system_serial
    dimms = tuple(
        Dimm(
            d.locator,
            d.size_mb,
            d.type,
            d.speed_mts,
            d.manufacturer,
            d.part_number,
            expand(d.serial_pattern, serial, "dimm", i),
        )
        for i, d in enumerate(hw.dimms)
    )
    speeds = [n.speed_mbps for n in hw.nics]
    nics = tuple(HostNic(f"eth{i}", mac, speeds[i] if i < len(speeds) else 1000) for i, mac in enumerate(plan.nic_macs))
    drives = tuple(
        Drive(
            f"Disk.{i}",
            d.vendor,
            d.model,
            expand(d.serial_pattern, serial, "disk", i),
            d.size_bytes,
            "HDD" if d.rotational else "SSD",
            d.bus.upper(),
        )
        for i, d in enumerate(hw.disks)
    )
    bios = bios_registry(hw.name)
    inventory = Inventory(cpus, dimms, nics, drives, bios)
    return inventory, {"bios_version": hw.bios.version, "sku": hw.system.sku}


def loopback_url(url: str) -> bool:
    """Whether ``url``'s host is a loopback address (where a loopback rack may send traffic)."""
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def identity_for(plan: NodePlan, config: BmcConfig, extra: dict[str, str]) -> Identity:
    ids = load_model(plan.spec.model).redfish_ids  # e.g. an iDRAC's System.Embedded.1
    return identity_from_config(config, uuid=plan.system_uuid, host_name=plan.name, **extra, **ids)


def build_redfish(
    plan: NodePlan,
    bmc: Bmc,
    config: BmcConfig,
    *,
    reactor: Any,
    journal: Journal,
    seed: str,
    rack: str,
    state_path: Path | None,
    power_draw: Callable[[], float],
    loopback_only: bool = True,
    listen: Any = None,
) -> RedfishListener | None:
    """The node's Redfish listener (not started), or None when the spec turns Redfish off.  The service behind it
    (inventory, BIOS, sessions) is built on first use: nothing of it can differ before a client's first request.
    ``listen`` is what it binds through (default ``reactor``; ``vrack.shared_listeners`` for ``ports.shared``)."""
    if plan.redfish_port is None and plan.redfish_http_port is None:
        return None
    name = plan.name
    authority = rack_authority(seed, rack)  # its file is written once per rack (build_compute_devices)

    def service() -> RedfishService:
        return _service(plan, bmc, config, reactor, journal, power_draw, loopback_only)

    return RedfishListener(
        service,
        str(plan.bmc_address),
        reactor=listen or reactor,
        https_port=plan.redfish_port,
        http_port=plan.redfish_http_port,
        credential=lambda address: authority.issue(address, name),  # where it listens now (DHCP may move it)
        name=name,
    )


def _service(
    plan: NodePlan,
    bmc: Bmc,
    config: BmcConfig,
    reactor: Any,
    journal: Journal,
    power_draw: Callable[[], float],
    loopback_only: bool,
) -> RedfishService:
    """The node's Redfish service: its BMC's state, its hardware's inventory, requests journalled."""
    inventory, extra = inventory_for(plan)
    device = BmcBackedDevice(bmc, identity_for(plan, config, extra), inventory, power_draw=power_draw)
    name = plan.name

    def observe(record: RequestRecord) -> None:
        fields: dict[str, Any] = {
            "method": record.method,
            "path": record.path,
            "user": record.user,
            "status": record.status,
            "peer": record.peer,
        }
        if record.outcome != "ok":
            fields["outcome"] = record.outcome
        if record.expanded:
            fields["expanded"] = list(record.expanded)
        journal.append_fields(name, "redfish", record.operation, fields)

    settings = plan.spec.bmc.redfish
    service = RedfishService(
        device,
        reactor,
        all_routes(),
        observer=observe,
        session_limit=settings.session_limit,
        session_timeout=float(settings.session_timeout),
    )
    service.ports = {"https": plan.redfish_port, "http": plan.redfish_http_port, "ipmi": plan.bmc_port}
    if loopback_only:  # events go only where the rack may send traffic
        service.events.allow_destination = loopback_url
    return service


@functools.cache
def default_uefi(model: str) -> bool:
    """Whether a host of ``model`` boots in UEFI mode while nobody changed its BIOS settings (its registry's
    default ``BootMode``; UEFI without one)."""
    try:
        hw = load_hardware(model)
    except HardwareError:
        return True
    return BiosSettings(bios_registry(hw.name)).uefi()


@functools.cache
def bios_registry(model: str) -> tuple[BiosAttribute, ...]:
    """The BIOS attribute registry of hardware ``model`` (one per model: hosts share it, each keeps its values)."""
    hw = load_hardware(model)
    return registry_from(hw.bios_settings, f"node_sim/hardware/{hw.name}.yaml: bios_settings")
