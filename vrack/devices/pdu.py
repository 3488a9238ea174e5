"""A PDU in the rack: pdu_sim's outlets behind an SNMP agent, feeding node power supplies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pdu_sim.device import LoadState, Pdu
from snmp_agent.source import LazySource
from vrack.devices import RackContext
from vrack.devices.base import DeviceService
from vrack.devices.snmp import SnmpDeviceService
from vrack.journal import Journal
from vrack.plan import RackPlan, SnmpDevicePlan
from vrack.roles import InfeedLoad, LinkFaults, OutletAction, OutletBank, OutletListener, RelayFaults
from vrack.spec import PduSpec


class PduDevice(SnmpDeviceService, OutletBank, RelayFaults, InfeedLoad, LinkFaults):
    """A PDU: its outlets feed node power supplies through the power model."""

    kind = "pdu"

    def __init__(self, plan: SnmpDevicePlan, reactor: Any, journal: Journal) -> None:
        spec = plan.spec
        assert isinstance(spec, PduSpec)
        self.pdu = Pdu(
            spec.model,
            name=plan.name,
            outlets=spec.outlets,
            clock=reactor,
            reboot_delay=spec.reboot_delay,
            initial_on=spec.outlets_on,
            capacity_amps=spec.capacity_amps,
        )
        pdu = self.pdu  # its MIB is built at the first request that reaches the agent (issue 17)
        super().__init__(plan, LazySource(lambda: pdu.source), reactor, journal)
        self._listeners: list[OutletListener] = []
        self.pdu.add_outlet_listener(self._outlet_changed)
        self.pdu.add_load_listener(self._load_changed)

    def _load_changed(self, state: LoadState, cause: str) -> None:
        """The infeed's load state changed: journal it and send the model's trap, if it has one."""
        amps = round(self.pdu.total_current(), 2)
        self.journal.append(self.device_name, "power", "infeed-load", state=state, amps=amps, cause=cause)
        notification = self.pdu.personality.load_notification(self.pdu)
        if notification is not None:
            self.send_trap(*notification)

    @property
    def outlet_count(self) -> int:
        return self.pdu.outlet_count

    def _outlet_changed(self, outlet: int, on: bool, cause: str) -> None:
        self.journal.append(self.device_name, "power", "outlet", outlet=outlet, on=on, cause=cause)
        for listener in list(self._listeners):
            listener(self.device_name, outlet, on, cause)

    # power model hooks
    def add_outlet_listener(self, listener: OutletListener) -> None:
        self._listeners.append(listener)

    def outlet_on(self, outlet: int) -> bool:
        return self.pdu.outlet_state(outlet)

    def set_outlet_load(self, outlet: int, watts: float) -> None:
        self.pdu.set_outlet_load(outlet, watts)

    # control API
    def control_outlet(self, outlet: int, action: OutletAction, cause: str) -> None:
        self.journal.append(self.device_name, "control", "outlet", outlet=outlet, action=action, cause=cause)
        if action == "reboot":
            self.pdu.reboot_outlet(outlet, cause)
        else:
            self.pdu.set_outlet(outlet, action == "on", cause)

    def set_relay_fault(self, outlet: int, stuck: bool, delay: float, cause: str) -> None:
        self.pdu.set_relay_fault(outlet, stuck, delay)

    def set_external_load(self, amps: float, cause: str) -> None:
        self.pdu.set_external_load(amps, cause)

    @property
    def capacity_amps(self) -> float:
        return self.pdu.capacity_amps

    @property
    def infeed_amps(self) -> float:
        return self.pdu.total_current()

    def describe(self) -> dict[str, Any]:
        info = self.snmp_description()
        info["outlets"] = [
            {
                "outlet": n,
                "name": self.pdu.outlet(n).name,
                "on": self.pdu.outlet_state(n),
                "watts": round(self.pdu.outlet_power(n), 1),
            }
            for n in range(1, self.pdu.outlet_count + 1)
        ]
        info["infeed"] = {
            "amps": round(self.pdu.total_current(), 2),
            "capacity_amps": self.pdu.capacity_amps,
            "load": self.pdu.load_state(),
        }
        return info


def build_pdu_devices(plan: RackPlan, context: RackContext) -> Iterator[DeviceService]:
    for pdu in plan.pdus:
        yield PduDevice(pdu, context.reactor, context.journal)
