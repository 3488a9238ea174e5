"""A compute node: its BMC (bmc_sim) on its own address, and its power and NICs.

The node's host power lives in the BMC's chassis; the rack reads and changes
it through the BMC's own command handlers (an in-band request, exactly what
ipmitool's chassis commands do), so the control API, ipmitool and the power
model always agree.  AC power comes from the rack's power model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from bmc_sim.config import Privilege
from bmc_sim.device import Bmc
from bmc_sim.message import IpmiRequest, RequestContext
from bmc_sim.protocol import BmcService
from bmc_sim.session import BmcEndpoint
from node_sim.console import NodeConsole
from node_sim.hardware import load_hardware
from vrack.bmc_dhcp import attach_dhcp
from vrack.devices import RackContext, bmc_views
from vrack.devices.base import DeviceService
from vrack.devices.compute_backends import node_backend, node_console
from vrack.devices.compute_bmc import BmcRequestJournal, bmc_config
from vrack.devices.host_firmware import HostFirmware, post_seconds
from vrack.devices.initial_sel import initial_sel
from vrack.devices.node_checks import check_disk, sensor_levels, threshold_sensor
from vrack.devices.redfish_bmc import CA_FILE, build_redfish, default_uefi, loopback_url, rack_authority, write_ca
from vrack.devices.virtual_cd import BOOT_DEVICE, VirtualCdBoot
from vrack.errors import DeviceStateConflict
from vrack.link import GatedLink, LinkGate
from vrack.netns_devices import follow_bmc
from vrack.nodes.base import effective_boot
from vrack.plan import NodePlan, RackPlan
from vrack.roles import (
    BmcFault,
    BmcFaults,
    BmcRecords,
    CabledHost,
    DiskFaults,
    HostPowerListener,
    LinkEnd,
    LinkFaults,
    ManagedHost,
    NeighborSource,
    PowerAction,
    PoweredHost,
    SensorLevels,
)

DRIVE_SLOT, PREDICTIVE_FAILURE = 0x0D, 0x02  # IPMI sensor type "Drive Slot (Bay)" and its offset 2

CHASSIS_CONTROL = {"off": 0x00, "on": 0x01, "cycle": 0x02, "reset": 0x03, "soft": 0x05}
STANDBY_WATTS = 12.0
_IN_BAND = RequestContext(peer=("vrack-control", 0), privilege=Privilege.ADMINISTRATOR, in_band=True)


class ComputeDevice(
    DeviceService,
    GatedLink,
    PoweredHost,
    CabledHost,
    ManagedHost,
    BmcFaults,
    BmcRecords,
    LinkFaults,
    DiskFaults,
):
    """One node: a BMC service plus power and NIC identity."""

    kind = "compute"

    def __init__(self, plan: NodePlan, rack: RackPlan, context: RackContext) -> None:
        super().__init__(plan.name, plan.spec.model)
        reactor, journal, clock = context.reactor, context.journal, context.clock
        self._reactor = reactor
        self.plan = plan
        self.journal = journal
        self.host_watts = load_hardware(plan.spec.model).host_watts  # drawn while the host runs
        self._state_path = context.state_path
        self._host_listeners: list[HostPowerListener] = []
        self.config = bmc_config(plan, rack)
        self.bmc = Bmc(self.config, reactor, epoch=clock.epoch.timestamp())
        self.bmc.power_meter = self._unthrottled_draw  # DCMI readings: the model's draw, throttled by a limit
        epoch = clock.epoch.timestamp()
        for event, timestamp in initial_sel(
            plan.spec.bmc, plan.spec.model, rack.spec.identity_seed, plan.name, epoch, self.config.sel_capacity
        ):
            self.bmc.sel.seed(event, timestamp)
        self.request_journal = BmcRequestJournal(plan.name, journal, reactor)
        self.endpoint = BmcEndpoint(self.bmc, reactor, observer=self.request_journal.record)
        listen = context.listeners or reactor  # ports.shared: one socket per port for every BMC
        self.service = BmcService(self.endpoint, str(plan.bmc_address), plan.bmc_port, reactor=listen, name=plan.name)
        self.service.setServiceParent(self)
        self.bmc.add_power_listener(self._on_host_power)
        follow_bmc(context.network, plan.name, self.bmc)  # netns mode: a dark BMC answers no ARP
        self.console = node_console(plan, context)
        self.bmc.console = self.console
        self.failing_disks: set[int] = set()  # drives going bad (a fault); the simulated OS reads it live
        self.redfish = build_redfish(
            plan,
            self.bmc,
            self.config,
            reactor=reactor,
            journal=journal,
            seed=rack.spec.identity_seed,
            rack=rack.spec.rack,
            state_path=context.state_path,
            power_draw=self.power_draw,
            loopback_only=rack.spec.mode == "loopback",
            listen=listen,
        )
        if self.redfish is not None:
            self.redfish.setServiceParent(self)
        self.dhcp = attach_dhcp(plan.name, self.bmc, [self.service, self.redfish], context.network, reactor, journal)
        if self.dhcp is not None:  # netns mode: a BMC set to DHCP leases its address from its own MAC
            self.dhcp.setServiceParent(self)
        self.backend = node_backend(self, context)
        if isinstance(self.console, NodeConsole):  # a VM's console needs no narration
            self.backend.console = self.console
        self.firmware = HostFirmware(plan.name, post_seconds(plan), reactor, journal, self.console, self.backend)
        if self.redfish is not None and isinstance(self.console, NodeConsole):  # VMs: see README (virtual media)
            loopback = rack.spec.mode == "loopback"
            self.firmware.virtual_cd = VirtualCdBoot(
                plan.name,
                reactor,
                journal,
                self.console,
                str(plan.bmc_address) if loopback else None,
                loopback_url if loopback else lambda url: True,
            )
        elif self.redfish is not None:  # a VM's own CD-ROM drive holds what the BMC's virtual CD slot holds
            self.redfish.redfish.media_watchers.append(lambda slot: self.backend.media_changed(_inserted(slot)))
        self.bmc.chassis.acpi_request = self._acpi_request

    # ------------------------------------------------------------------ journal

    def _on_host_power(self, on: bool, cause: str) -> None:
        self.journal.append(self.device_name, "power", "host-power", on=on, cause=cause)
        if on:
            selection = self.bmc.chassis.current_boot
            device = selection.device if selection else "default"
            # Redfish is built at its first use: before that no BIOS setting can be pending or changed
            bios = self.redfish.redfish.device.bios if self.redfish is not None and self.redfish.built else None
            applied = bios.apply() if bios is not None else {}  # pending BIOS settings take effect now
            # an override's own mode for this boot (IPMI's EFI bit, Redfish's BootSourceOverrideMode), else the BIOS's
            firmware_uefi = (
                bios.uefi() if bios is not None else self.redfish is None or default_uefi(self.plan.spec.model)
            )
            uefi = selection.efi if selection and device != "default" else firmware_uefi
            mode = "uefi" if uefi else "legacy"
            boot, image = effective_boot(device), self._virtual_cd_image()
            if boot == "cdrom" and image is not None:  # the BMC's virtual CD rather than a drive of the host
                boot = BOOT_DEVICE
            self.firmware.power_on(boot, cause, mode, dict(applied), image=image)
        else:
            self.firmware.power_off(cause)
        for listener in list(self._host_listeners):
            listener(on, cause)

    def _acpi_request(self, request: str) -> bool:
        """IPMI soft off, Redfish GracefulShutdown / GracefulRestart: taken only by a running OS (journal ``host
        acpi`` with ``handled``); firmware and boot loaders ignore it and the host stays on."""
        cd = self.firmware.virtual_cd
        handled = self.backend.os_running() or (cd is not None and cd.os_running)
        self.journal.append(self.device_name, "host", "acpi", request=request, handled=handled)
        if handled and isinstance(self.console, NodeConsole):
            self.console.acpi(request)
        return handled

    def _virtual_cd_image(self) -> str | None:
        """The image in the BMC's virtual CD slot while it is inserted (Redfish VirtualMedia), else None."""
        if self.redfish is None or not self.redfish.built or self.firmware.virtual_cd is None:
            return None
        return _inserted(self.redfish.redfish.virtual_media)

    # ------------------------------------------------------------------ power model hooks

    def add_host_power_listener(self, listener: HostPowerListener) -> None:
        self._host_listeners.append(listener)

    def add_draw_listener(self, listener: Callable[[], None]) -> None:
        self.bmc.power_limit.listeners.append(listener)

    def set_ac(self, on: bool, cause: str) -> None:
        """AC power on or off at the node's supplies (from PDU feeds)."""
        if on != self.bmc.ac_powered:
            self.journal.append(self.device_name, "power", "ac-power", on=on, cause=cause)
        self.bmc.set_ac_power(on)

    @property
    def host_powered(self) -> bool:
        return self.bmc.ac_powered and self.bmc.chassis.power_on

    def power_draw(self) -> float:
        """Watts drawn now: the model's draw, throttled while a DCMI power limit holds it down."""
        return self.bmc.power_limit.apply(self._unthrottled_draw())

    def _unthrottled_draw(self) -> float:
        if not self.bmc.ac_powered:
            return 0.0
        return self.host_watts if self.host_powered else STANDBY_WATTS

    @property
    def nic_count(self) -> int:
        return len(self.plan.nic_macs)

    def nic_end(self, nic: int) -> LinkEnd:
        """What a switch port cabled to NIC ``nic`` sees over LLDP and in its FDB."""
        return self.plan.nic_end(nic)

    def set_neighbor_source(self, source: NeighborSource) -> None:
        self.backend.set_neighbor_source(source)

    def neighbors_changed(self) -> None:
        """Nothing to do: the host asks the source whenever its LLDP agent runs."""

    # ------------------------------------------------------------------ control API

    def control_power(self, action: PowerAction, cause: str) -> None:
        """Chassis control through the BMC (as ipmitool would).

        Refused with :class:`DeviceStateConflict`, in the words a BMC would use, when the node has no AC power
        or the BMC answers "not supported in present state" (0xD5: a reset or cycle while the host is off).
        """
        if not self.bmc.ac_powered:
            raise DeviceStateConflict(f"{self.device_name} has no AC power (its PDU outlets are off)", "action")
        if not self.bmc.responsive:
            raise DeviceStateConflict(f"{self.device_name}'s BMC is not answering (booting or reset)", "action")
        self.journal.append(self.device_name, "control", "power", action=action, cause=cause)
        code = self._in_band_status(0x00, 0x02, bytes([CHASSIS_CONTROL[action]]))
        if code == 0xD5:
            state = "on" if self.bmc.chassis.power_on else "off"
            raise DeviceStateConflict(
                f"{self.device_name}: the BMC refused chassis power {action} while the host is {state} "
                f"(completion code 0xd5, not supported in present state); {action} needs the host on",
                "action",
                ["on", "off", "soft"] if state == "on" else ["on"],
            )
        if code != 0:
            raise DeviceStateConflict(
                f"{self.device_name}: the BMC refused chassis power {action} (completion code {code:#04x})", "action"
            )

    # ------------------------------------------------------------------ faults

    def _install_gate(self, gate: LinkGate | None) -> None:
        self.service.protocol.gate = gate

    def _link_reactor(self) -> Any:
        return self._reactor

    def set_bmc_fault(self, fault: BmcFault, active: bool, cause: str) -> None:
        if fault == "hang":
            self.bmc.hung = active
        elif fault == "busy":
            self.bmc.answers_busy = active
        else:
            self.endpoint.sessions.refuse_new = active

    def reset_bmc(self, kind: Literal["cold", "warm"], cause: str) -> None:
        self.bmc.mc_reset(kind)

    def sensor_levels(self, sensor: str) -> SensorLevels:
        return sensor_levels(threshold_sensor(self.device_name, self.bmc.sensors, sensor), self.config.sensors)

    def force_sensor(self, sensor: str, value: float | None, cause: str) -> None:
        threshold_sensor(self.device_name, self.bmc.sensors, sensor)
        records = self.bmc.set_sensor_reading(sensor, value)
        if records:
            self.journal.append(self.device_name, "bmc", "sel-event", sensor=sensor, records=records, cause=cause)

    def log_power_supply_failure(self, psu: int, failed: bool, cause: str) -> None:
        number = next((s.number for s in self.bmc.sensors if s.name.upper().startswith(f"PSU{psu}")), 0)
        record = self.bmc.log_event(0x08, number, 0x01, asserted=failed)  # power supply: failure detected
        self.journal.append(self.device_name, "bmc", "sel-event", psu=psu, failed=failed, records=[record], cause=cause)

    @property
    def disk_count(self) -> int:
        return len(load_hardware(self.plan.spec.model).disks)

    def set_disk_failing(self, disk: int, failing: bool, cause: str) -> None:
        check_disk(self.device_name, disk, self.disk_count)
        if failing:
            self.failing_disks.add(disk)
        else:
            self.failing_disks.discard(disk)
        number = next((s.number for s in self.bmc.sensors if s.sensor_type == DRIVE_SLOT), 0)
        record = self.bmc.log_event(DRIVE_SLOT, number, PREDICTIVE_FAILURE, asserted=failing)
        self.journal.append(
            self.device_name, "host", "disk-health", disk=disk, failing=failing, records=[record], cause=cause
        )

    # ------------------------------------------------------------------ records

    def sel_entries(self) -> list[dict[str, Any]]:
        return bmc_views.sel_entries(self.bmc)

    def add_sel_event(self, event: dict[str, Any], cause: str) -> int:
        record_id = bmc_views.log_sel_event(self.bmc, self.device_name, bmc_views.sel_event_from(event))
        self.journal.append(self.device_name, "bmc", "sel-event", records=[record_id], cause=cause)
        return record_id

    def sensor_readings(self) -> list[dict[str, Any]]:
        return bmc_views.sensor_readings(self.bmc)

    def _in_band_status(self, netfn: int, cmd: int, data: bytes = b"") -> int:
        return self.bmc.handle(IpmiRequest(netfn, cmd, data), _IN_BAND).completion_code

    def describe(self) -> dict[str, Any]:
        spec = self.plan.spec
        return {
            "name": self.device_name,
            "kind": self.kind,
            "model": spec.model,
            "power": self.host_powered,
            "ac_power": self.bmc.ac_powered,
            "bmc": {
                "address": self.service.address,  # where it listens now (a DHCP lease may have moved it)
                "port": self.plan.bmc_port,
                "bound_port": self.service.port,
                "mac": self.bmc.lan.reported()["mac_address"],
                "lan": self.bmc.lan.reported(),
                "dhcp": self.dhcp.describe() if self.dhcp is not None else None,
                "responsive": self.bmc.responsive,
                "users": [account["name"] for account in self.live_users()],
                "accounts": self.live_users(),
                "sel_entries": len(self.bmc.sel),
                **bmc_views.bmc_state(self.bmc),
                "sessions": bmc_views.sessions(self.endpoint.sessions, self._reactor.seconds()),
                "redfish": self._redfish_info(),
            },
            "identify": bmc_views.identify(self.bmc),
            "nics": [{"name": f"nic{i}", "mac": mac} for i, mac in enumerate(self.plan.nic_macs)],
            "host": self._host_view(),
            "serial": self.plan.system_serial,
            "uuid": self.plan.system_uuid,
            "stats": self.endpoint.stats.as_dict(),
            "sensors": self.sensor_summary(),
            "link": self.link_state(),
        }

    def answers_on_the_wire(self) -> bool:
        return self.bmc.responsive

    def _host_view(self) -> dict[str, Any]:
        """The backend's view of the host, with the POST still to run when the host is in POST."""
        return {**self.backend.describe(), **self.firmware.describe()}

    def _redfish_info(self) -> dict[str, Any] | None:
        """Where Redfish listens (bound ports once started) and the CA file that signs its certificate."""
        listener = self.redfish
        if listener is None:
            return None
        state = self._state_path
        return {
            "https_port": listener.https_port,
            "http_port": listener.http_port,
            "ca_file": str(state / CA_FILE) if state is not None else None,
            "sessions": len(listener.redfish.sessions) if listener.built else 0,
        }

    def sensor_summary(self) -> list[dict[str, Any]]:
        """Every threshold sensor's reading now, in engineering units, and its status (ok/warning/critical)."""
        return bmc_views.sensor_summary(self.bmc)

    def live_users(self) -> list[dict[str, Any]]:
        """The BMC's enabled users as they are now (RackHD's credential graph changes them), without passwords."""
        return bmc_views.live_users(self.bmc)

    def credentials(self) -> dict[str, Any]:
        """The BMC's enabled users with their passwords as they are now."""
        users = bmc_views.live_users(self.bmc, with_passwords=True)
        return {"bmc": {"address": self.service.address, "port": self.service.port, "users": users}}

    def stopService(self) -> Any:
        """Stop serving IPMI and let the backend release its host (VM domains, network boot)."""
        self.console.close()
        self.request_journal.flush()
        d = super().stopService()
        return self.backend.shutdown() if d is None else d.addBoth(lambda _: self.backend.shutdown())


def _inserted(slot: dict[str, Any]) -> str | None:
    """The image in a virtual media slot while it is inserted, else None."""
    image = slot.get("Image")
    return str(image) if slot.get("Inserted") and image else None


def build_compute_devices(plan: RackPlan, context: RackContext) -> Iterator[DeviceService]:
    """The plan's nodes, in order; first the rack's Redfish CA file, once, when a node has Redfish."""
    if any(node.redfish_port is not None or node.redfish_http_port is not None for node in plan.nodes):
        write_ca(context.state_path, rack_authority(plan.spec.identity_seed, plan.spec.rack))
    for node in plan.nodes:
        yield ComputeDevice(node, plan, context)
