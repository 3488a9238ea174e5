"""The fault kinds a rack offers: each is data (name, role, parameters) plus one apply function.

``apply(context, device_name, params)`` makes the fault true on one device
through the device's roles (:mod:`vrack.roles`) and returns the function
that undoes it.  A kind marked ``one_shot`` happens once (a BMC reset) and
stays in no list of active faults.  Adding a kind means adding one entry to
:data:`FAULT_KINDS` (or to a module it merges: :mod:`vrack.fault_kinds_link`); the API, CLI, test kit
and scenarios pick it up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from vrack.devices.node_checks import fan_sensors
from vrack.errors import InvalidArgument
from vrack.fault_kind import FaultContext, FaultKind, NoParams, Undo
from vrack.fault_kinds_link import LINK_KINDS

__all__ = ["FAULT_KINDS", "FaultContext", "FaultKind", "NoParams", "Undo"]


class ResetParams(NoParams):
    kind: Literal["cold", "warm"] = Field(default="cold", description="mc reset cold or warm")


class OutletParams(NoParams):
    outlets: list[int] | None = Field(default=None, description="outlet numbers; default every outlet")


class LateOutletParams(OutletParams):
    delay: float = Field(gt=0, le=3600, description="seconds between a command and the relay moving")


class PortParams(NoParams):
    ports: list[int] = Field(min_length=1, description="switch port numbers")


class FlapParams(PortParams):
    period: float = Field(default=5.0, gt=0, le=3600, description="seconds between link changes")
    jitter: float = Field(default=0.0, ge=0, lt=1, description="each interval varies by up to this fraction")


# --------------------------------------------------------------------------- compute (BMC)


def _bmc_hang(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    node.set_bmc_fault("hang", True, ctx.cause)
    return lambda: node.set_bmc_fault("hang", False, ctx.cause)


def _bmc_busy(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    node.set_bmc_fault("busy", True, ctx.cause)
    return lambda: node.set_bmc_fault("busy", False, ctx.cause)


def _bmc_reset(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    ctx.rack.node(name).reset_bmc(params["kind"], ctx.cause)
    return lambda: None


class SensorParams(NoParams):
    sensor: str = Field(min_length=1, description="threshold sensor name, e.g. Temp_CPU0 (see ipmitool sdr)")
    value: float = Field(description="the forced reading, in the sensor's units")


class RampParams(NoParams):
    sensor: str = Field(min_length=1, description="threshold sensor name, e.g. Temp_CPU0")
    to: (
        float
        | Literal[
            "upper_non_critical",
            "upper_critical",
            "upper_non_recoverable",
            "lower_non_critical",
            "lower_critical",
            "lower_non_recoverable",
        ]
    ) = Field(description="target reading, or a threshold's name to end exactly on it")
    over: float = Field(gt=0, le=86_400, description="seconds from the current reading to the target")
    every: float = Field(default=1.0, gt=0, le=3600, description="seconds between reading updates")


class FanParams(NoParams):
    sensor: str | None = Field(default=None, description="fan sensor name; default the node's first fan")


class SupplyParams(NoParams):
    psu: int = Field(default=1, ge=1, le=4, description="power supply number (psu1 = 1)")


def _sensor_value(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    node.force_sensor(params["sensor"], params["value"], ctx.cause)
    return lambda: node.force_sensor(params["sensor"], None, ctx.cause)


def _sensor_ramp(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    """Move the reading in straight steps from where it is to ``to`` over ``over`` seconds, then hold it."""
    node = ctx.rack.node(name)
    levels = node.sensor_levels(params["sensor"])
    target = params["to"]
    if isinstance(target, str):
        if target not in levels.thresholds:
            valid = sorted(levels.thresholds)
            raise InvalidArgument(f"{params['sensor']} has no {target} threshold", "params.to", valid)
        target = levels.thresholds[target]
    start = levels.current if levels.current is not None else levels.nominal
    steps = max(1, round(params["over"] / params["every"]))
    timer: list[Any] = [None]

    def step(n: int) -> None:
        node.force_sensor(params["sensor"], start + (target - start) * n / steps, ctx.cause)
        timer[0] = ctx.reactor.callLater(params["every"], step, n + 1) if n < steps else None

    timer[0] = ctx.reactor.callLater(params["every"], step, 1)

    def undo() -> None:
        if timer[0] is not None and timer[0].active():
            timer[0].cancel()
        node.force_sensor(params["sensor"], None, ctx.cause)

    return undo


def _fan_fail(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    sensor = params["sensor"]
    if sensor is None:
        fans = fan_sensors(node)
        if not fans:
            raise InvalidArgument(f"{name} has no fan sensor", "params.sensor")
        sensor = fans[0]
    node.force_sensor(sensor, 0.0, ctx.cause)
    return lambda: node.force_sensor(sensor, None, ctx.cause)


def _psu_fail(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    psu = params["psu"]
    supplies = ctx.rack.plan.node(name).spec.power_supplies
    if psu > supplies:
        raise InvalidArgument(f"{name} has psu1..psu{supplies}, not psu{psu}", "params.psu", [f"1..{supplies}"])
    node = ctx.rack.node(name)
    node.log_power_supply_failure(psu, True, ctx.cause)
    ctx.rack.power.fail_supply(name, psu, True, ctx.cause)

    def undo() -> None:
        ctx.rack.power.fail_supply(name, psu, False, ctx.cause)
        node.log_power_supply_failure(psu, False, ctx.cause)

    return undo


def _sessions_full(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    node.set_bmc_fault("sessions-full", True, ctx.cause)
    return lambda: node.set_bmc_fault("sessions-full", False, ctx.cause)


class DiskParams(NoParams):
    disk: int = Field(default=0, ge=0, le=63, description="drive number (0 = the personality's first drive)")


def _disk_fail(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    node = ctx.rack.node(name)
    node.set_disk_failing(params["disk"], True, ctx.cause)
    return lambda: node.set_disk_failing(params["disk"], False, ctx.cause)


# --------------------------------------------------------------------------- PDU outlets


def _outlets(ctx: FaultContext, name: str, params: dict[str, Any]) -> list[int]:
    count = ctx.rack.pdu(name).outlet_count
    wanted: list[int] = params["outlets"] or list(range(1, count + 1))
    bad = [n for n in wanted if not 1 <= n <= count]
    if bad:
        raise InvalidArgument(f"{name} has outlets 1..{count}, not {bad[0]}", "params.outlets", [f"1..{count}"])
    return wanted


def _relay_fault(stuck: bool) -> Callable[[FaultContext, str, dict[str, Any]], Undo]:
    def apply(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
        pdu = ctx.rack.pdu(name)
        outlets = _outlets(ctx, name, params)
        delay = float(params.get("delay", 0.0))
        for outlet in outlets:
            pdu.set_relay_fault(outlet, stuck, delay, ctx.cause)

        def undo() -> None:
            for outlet in outlets:
                pdu.set_relay_fault(outlet, False, 0.0, ctx.cause)

        return undo

    return apply


class OverloadParams(NoParams):
    amps: float | None = Field(
        default=None, gt=0, le=1000, description="extra amps on the infeed; default: enough for 110 % of capacity"
    )


def _pdu_overload(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    """Something outside the rack draws on the PDU's infeed: load high at 80 %, overload above 100 %."""
    pdu = ctx.rack.pdu(name)
    amps = params["amps"]
    if amps is None:
        amps = max(pdu.capacity_amps * 1.1 - pdu.infeed_amps, 0.1)
    pdu.set_external_load(amps, ctx.cause)
    return lambda: pdu.set_external_load(0.0, ctx.cause)


# --------------------------------------------------------------------------- switch ports


def _ports(ctx: FaultContext, name: str, params: dict[str, Any]) -> list[int]:
    count = ctx.rack.switch(name).port_count
    bad = [n for n in params["ports"] if not 1 <= n <= count]
    if bad:
        raise InvalidArgument(f"{name} has ports 1..{count}, not {bad[0]}", "params.ports", [f"1..{count}"])
    return list(params["ports"])


def _port_down(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    ports = _ports(ctx, name, params)
    for port in ports:
        ctx.rack.power.hold_port_down(name, port, True, ctx.cause)

    def undo() -> None:
        for port in ports:
            ctx.rack.power.hold_port_down(name, port, False, ctx.cause)

    return undo


def _port_flap(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    """Each port goes down and up again, every ``period`` seconds (± ``jitter`` from the fault's seed)."""
    ports = _ports(ctx, name, params)
    period, jitter = float(params["period"]), float(params["jitter"])
    timers: dict[int, Any] = {}
    down: dict[int, bool] = dict.fromkeys(ports, False)

    def interval() -> float:
        return period * (1 + jitter * (2 * ctx.rng.random() - 1))

    def flip(port: int) -> None:
        down[port] = not down[port]
        ctx.rack.power.hold_port_down(name, port, down[port], f"{ctx.cause} (flap)")
        timers[port] = ctx.reactor.callLater(interval(), flip, port)

    for port in ports:
        timers[port] = ctx.reactor.callLater(interval(), flip, port)

    def undo() -> None:
        for port in ports:
            timer = timers.get(port)
            if timer is not None and timer.active():
                timer.cancel()
            if down[port]:
                ctx.rack.power.hold_port_down(name, port, False, ctx.cause)

    return undo


FAULT_KINDS: dict[str, FaultKind] = {
    kind.name: kind
    for kind in (
        FaultKind("bmc-hang", "compute", "the BMC stops answering (hung firmware) until cleared", NoParams, _bmc_hang),
        FaultKind("bmc-busy", "compute", "every IPMI command answers 0xC0 (node busy)", NoParams, _bmc_busy),
        FaultKind(
            "bmc-reset",
            "compute",
            "the BMC restarts as after mc reset: silent for its reset time, sessions lost",
            ResetParams,
            _bmc_reset,
            one_shot=True,
        ),
        FaultKind(
            "sensor-value", "compute", "a sensor reads `value` (SEL events for thresholds)", SensorParams, _sensor_value
        ),
        FaultKind(
            "sensor-ramp",
            "compute",
            "a sensor's reading moves to `to` over `over` seconds; each threshold crossed is a SEL event",
            RampParams,
            _sensor_ramp,
        ),
        FaultKind("fan-fail", "compute", "a fan stops (reads 0 RPM; SEL going-low events)", FanParams, _fan_fail),
        FaultKind(
            "psu-fail",
            "compute",
            "a power supply fails: it feeds nothing (the node loses AC if it was the last) and the BMC logs it",
            SupplyParams,
            _psu_fail,
        ),
        FaultKind(
            "bmc-sessions-full",
            "compute",
            "every session slot is taken: new IPMI logins are refused (insufficient resources), open ones go on",
            NoParams,
            _sessions_full,
        ),
        FaultKind(
            "disk-fail",
            "compute",
            "a drive goes bad: smartctl says FAILED (exit bits 3/4), storcli flags S.M.A.R.T, the BMC logs it",
            DiskParams,
            _disk_fail,
        ),
        FaultKind(
            "outlet-stuck",
            "pdu",
            "outlet relays ignore commands (the PDU accepts them; power does not change)",
            OutletParams,
            _relay_fault(stuck=True),
        ),
        FaultKind(
            "outlet-late", "pdu", "outlet relays switch `delay` seconds late", LateOutletParams, _relay_fault(False)
        ),
        FaultKind(
            "pdu-overload",
            "pdu",
            "extra load on the infeed: load high (80 %) or overload (> 100 %) in its status, and its trap",
            OverloadParams,
            _pdu_overload,
        ),
        FaultKind("port-down", "switch", "ports lose link whatever the cabling says", PortParams, _port_down),
        FaultKind("port-flap", "switch", "ports go down and up every `period` seconds", FlapParams, _port_flap),
        *LINK_KINDS,
    )
}
