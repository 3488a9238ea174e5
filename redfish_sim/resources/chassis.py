"""Chassis with Thermal (temperatures, fans) and Power (consumption, voltages, supplies) from the sensors."""

from __future__ import annotations

from typing import Any

from redfish_sim.device import SensorReading
from redfish_sim.resources import V1, check_id, check_keys, collection, ref, resource, status
from redfish_sim.resources.systems import _choice
from redfish_sim.routing import Call, Reply, route

CHASSIS = f"{V1}/Chassis"
# IPMI threshold names -> Redfish threshold properties (Thermal/Power v1 style)
THRESHOLDS = {
    "upper_non_critical": "UpperThresholdNonCritical",
    "upper_critical": "UpperThresholdCritical",
    "upper_non_recoverable": "UpperThresholdFatal",
    "lower_non_critical": "LowerThresholdNonCritical",
    "lower_critical": "LowerThresholdCritical",
    "lower_non_recoverable": "LowerThresholdFatal",
}


def _base(call: Call) -> str:
    check_id(call, "chassis", call.device.identity.chassis_id)
    return f"{CHASSIS}/{call.device.identity.chassis_id}"


def chassis_collection(call: Call) -> Reply:
    return Reply(
        body=collection(
            CHASSIS,
            "#ChassisCollection.ChassisCollection",
            "Chassis Collection",
            [f"{CHASSIS}/{call.device.identity.chassis_id}"],
        )
    )


def chassis(call: Call) -> Reply:
    base = _base(call)
    ident = call.device.identity
    return Reply(
        body=resource(
            base,
            "#Chassis.v1_14_0.Chassis",
            "Computer System Chassis",
            ChassisType="RackMount",
            Manufacturer=ident.manufacturer,
            Model=ident.model,
            SerialNumber=ident.chassis_serial,
            PartNumber=ident.part_number,
            PowerState="On" if call.device.power_on() else "Off",
            IndicatorLED=call.device.indicator_led(),
            Status=status(),
            Thermal=ref(f"{base}/Thermal"),
            Power=ref(f"{base}/Power"),
            Links={
                "ComputerSystems": [ref(f"{V1}/Systems/{ident.system_id}")],
                "ManagedBy": [ref(f"{V1}/Managers/{ident.manager_id}")],
            },
        )
    )


def patch_chassis(call: Call) -> Reply:
    _base(call)
    check_keys(call.body, {"IndicatorLED"}, set(chassis(call).body or {}))
    if "IndicatorLED" in call.body:
        call.device.set_indicator_led(_choice(call.body, "IndicatorLED", ("Off", "Blinking", "Lit"), "Off"))
    return chassis(call)


def _sensor(base: str, kind: str, index: int, reading: SensorReading, value_key: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "@odata.id": f"{base}#/{kind}/{index}",
        "MemberId": str(index),
        "Name": reading.name,
        "SensorNumber": reading.number,
        value_key: reading.value,
        "Status": status(reading.health, "Enabled" if reading.value is not None else "Absent"),
    }
    if reading.context:
        item["PhysicalContext"] = reading.context
    for ipmi_name, prop in THRESHOLDS.items():
        if ipmi_name in reading.thresholds:
            item[prop] = reading.thresholds[ipmi_name]
    return item


def thermal(call: Call) -> Reply:
    base = f"{_base(call)}/Thermal"
    sensors = call.device.sensors()
    temps = [r for r in sensors if r.kind == "temperature"]
    fans = [r for r in sensors if r.kind == "fan"]
    body = resource(
        base,
        "#Thermal.v1_7_0.Thermal",
        "Thermal",
        ident="Thermal",
        Temperatures=[_sensor(base, "Temperatures", i, r, "ReadingCelsius") for i, r in enumerate(temps)],
        Fans=[{**_sensor(base, "Fans", i, r, "Reading"), "ReadingUnits": "RPM"} for i, r in enumerate(fans)],
    )
    return Reply(body=body)


def power(call: Call) -> Reply:
    base = f"{_base(call)}/Power"
    sensors = call.device.sensors()
    volts = [r for r in sensors if r.kind == "voltage"]
    supplies = [r for r in sensors if r.kind == "power"]
    watts = round(call.device.power_consumed_watts(), 1)
    control = {
        "@odata.id": f"{base}#/PowerControl/0",
        "MemberId": "0",
        "Name": "System Power Control",
        "PowerConsumedWatts": watts,
        "Status": status(),
    }
    body = resource(
        base,
        "#Power.v1_6_0.Power",
        "Power",
        ident="Power",
        PowerControl=[control],
        Voltages=[_sensor(base, "Voltages", i, r, "ReadingVolts") for i, r in enumerate(volts)],
        PowerSupplies=[
            {
                "@odata.id": f"{base}#/PowerSupplies/{i}",
                "MemberId": str(i),
                "Name": r.name,
                "LastPowerOutputWatts": r.value,
                "PowerInputWatts": r.value,
                "Status": status(r.health),
            }
            for i, r in enumerate(supplies)
        ],
    )
    return Reply(body=body)


C = f"{CHASSIS}/{{chassis}}"
ROUTES = [
    route(CHASSIS, "chassis", GET=(chassis_collection, "Login")),
    route(C, "chassis", GET=(chassis, "Login"), PATCH=(patch_chassis, "ConfigureComponents")),
    route(f"{C}/Thermal", "thermal", GET=(thermal, "Login")),
    route(f"{C}/Power", "power", GET=(power, "Login")),
]
