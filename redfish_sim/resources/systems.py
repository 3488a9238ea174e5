"""ComputerSystem and its subtree: reset, boot override, processors, memory, NICs, storage (BIOS: resources.bios)."""

from __future__ import annotations

from typing import Any

from redfish_sim.device import BOOT_ENABLED, BOOT_MODES, BOOT_TARGETS, RESET_TYPES, BootOverride, DeviceConflict
from redfish_sim.errors import RedfishError, action_value, not_found, not_in_list
from redfish_sim.resources import V1, check_id, check_keys, collection, ref, resource, status
from redfish_sim.routing import Call, Reply, route

SYSTEMS = f"{V1}/Systems"
RESET = "ComputerSystem.Reset"


def system_base(call: Call) -> str:
    check_id(call, "system", call.device.identity.system_id)
    return f"{SYSTEMS}/{call.device.identity.system_id}"


def systems(call: Call) -> Reply:
    return Reply(
        body=collection(
            SYSTEMS,
            "#ComputerSystemCollection.ComputerSystemCollection",
            "Computer System Collection",
            [f"{SYSTEMS}/{call.device.identity.system_id}"],
        )
    )


def system(call: Call) -> Reply:
    base = system_base(call)
    device, ident, inv = call.device, call.device.identity, call.device.inventory
    boot = device.boot_override()
    cpus = inv.processors
    power = "On" if device.power_on() else "Off"
    body = resource(
        base,
        "#ComputerSystem.v1_13_0.ComputerSystem",
        "System",
        SystemType="Physical",
        Manufacturer=ident.manufacturer,
        Model=ident.model,
        SKU=ident.sku,
        SerialNumber=ident.serial,
        PartNumber=ident.part_number,
        UUID=ident.uuid,
        HostName=ident.host_name,
        BiosVersion=ident.bios_version,
        PowerState=power,
        IndicatorLED=device.indicator_led(),
        Status=status(state="Enabled" if power == "On" else "StandbyOffline"),
        Boot={
            "BootSourceOverrideTarget": boot.target,
            "BootSourceOverrideEnabled": boot.enabled,
            "BootSourceOverrideMode": boot.mode,
            "BootSourceOverrideTarget@Redfish.AllowableValues": list(BOOT_TARGETS),
            "BootSourceOverrideMode@Redfish.AllowableValues": list(BOOT_MODES),
        },
        ProcessorSummary={
            "Count": len(cpus),
            "CoreCount": sum(c.cores for c in cpus),
            "LogicalProcessorCount": sum(c.threads for c in cpus),
            "Model": cpus[0].model if cpus else "",
            "Status": status(),
        },
        MemorySummary={
            "TotalSystemMemoryGiB": round(sum(d.size_mib for d in inv.dimms) / 1024, 2),
            "Status": status(),
        },
        Processors=ref(f"{base}/Processors"),
        Memory=ref(f"{base}/Memory"),
        EthernetInterfaces=ref(f"{base}/EthernetInterfaces"),
        Storage=ref(f"{base}/Storage"),
        Bios=ref(f"{base}/Bios"),
        LogServices=ref(f"{base}/LogServices"),
        Links={
            "Chassis": [ref(f"{V1}/Chassis/{ident.chassis_id}")],
            "ManagedBy": [ref(f"{V1}/Managers/{ident.manager_id}")],
        },
        Actions={
            f"#{RESET}": {
                "target": f"{base}/Actions/{RESET}",
                "ResetType@Redfish.AllowableValues": list(RESET_TYPES),
            }
        },
    )
    return Reply(body=body)


def patch_system(call: Call) -> Reply:
    system_base(call)
    body = call.body
    check_keys(body, {"Boot", "IndicatorLED"}, set(system(call).body or {}))
    if "Boot" in body:
        boot = body["Boot"]
        if not isinstance(boot, dict):
            raise RedfishError(400, "PropertyValueTypeError", boot, "Boot", note="Expected an object.")
        names = {"BootSourceOverrideTarget", "BootSourceOverrideEnabled", "BootSourceOverrideMode"}
        check_keys(boot, names, None, "Boot/")
        current = call.device.boot_override()
        target = _choice(boot, "BootSourceOverrideTarget", BOOT_TARGETS, current.target)
        enabled = _choice(boot, "BootSourceOverrideEnabled", BOOT_ENABLED, current.enabled)
        mode = _choice(boot, "BootSourceOverrideMode", BOOT_MODES, current.mode)
        if "BootSourceOverrideTarget" in boot and "BootSourceOverrideEnabled" not in boot and enabled == "Disabled":
            enabled = "Once"
        call.device.set_boot_override(BootOverride(target, enabled, mode))
    if "IndicatorLED" in body:
        call.device.set_indicator_led(_choice(body, "IndicatorLED", ("Off", "Blinking", "Lit"), "Off"))
    return system(call)


def _choice(body: dict[str, Any], key: str, valid: tuple[str, ...], default: str) -> str:
    value = body.get(key, default)
    if value not in valid:
        raise not_in_list(value, key, valid)
    return str(value)


def reset(call: Call) -> Reply:
    system_base(call)
    for key in call.body:
        if key != "ResetType" and not key.startswith("@"):
            raise RedfishError(400, "ActionParameterUnknown", RESET, key)
    reset_type = call.body.get("ResetType")
    if reset_type is None:
        raise RedfishError(400, "ActionParameterMissing", RESET, "ResetType")
    if reset_type not in RESET_TYPES:
        raise action_value(reset_type, "ResetType", RESET, RESET_TYPES)
    try:
        call.device.reset(reset_type)
    except DeviceConflict as exc:
        raise RedfishError(409, "ResourceInUse", note=str(exc)) from None
    return Reply(204)


def processors(call: Call) -> Reply:
    base = system_base(call)
    members = [f"{base}/Processors/{p.socket}" for p in call.device.inventory.processors]
    return Reply(
        body=collection(f"{base}/Processors", "#ProcessorCollection.ProcessorCollection", "Processors", members)
    )


def processor(call: Call) -> Reply:
    base = system_base(call)
    cpu = next((p for p in call.device.inventory.processors if p.socket == call.params["cpu"]), None)
    if cpu is None:
        raise not_found(call.path)
    return Reply(
        body=resource(
            f"{base}/Processors/{cpu.socket}",
            "#Processor.v1_10_0.Processor",
            f"Processor {cpu.socket}",
            Socket=cpu.socket,
            ProcessorType="CPU",
            ProcessorArchitecture="x86",
            InstructionSet="x86-64",
            Manufacturer=cpu.manufacturer,
            Model=cpu.model,
            MaxSpeedMHz=cpu.max_speed_mhz,
            TotalCores=cpu.cores,
            TotalThreads=cpu.threads,
            Status=status(),
        )
    )


def memory(call: Call) -> Reply:
    base = system_base(call)
    members = [f"{base}/Memory/{d.locator}" for d in call.device.inventory.dimms]
    return Reply(body=collection(f"{base}/Memory", "#MemoryCollection.MemoryCollection", "Memory", members))


def dimm(call: Call) -> Reply:
    base = system_base(call)
    found = next((d for d in call.device.inventory.dimms if d.locator == call.params["dimm"]), None)
    if found is None:
        raise not_found(call.path)
    return Reply(
        body=resource(
            f"{base}/Memory/{found.locator}",
            "#Memory.v1_10_0.Memory",
            f"DIMM {found.locator}",
            MemoryType="DRAM",
            MemoryDeviceType=found.memory_type,
            CapacityMiB=found.size_mib,
            OperatingSpeedMhz=found.speed_mts,
            Manufacturer=found.manufacturer,
            PartNumber=found.part_number,
            SerialNumber=found.serial,
            DeviceLocator=found.locator,
            Status=status(),
        )
    )


def nics(call: Call) -> Reply:
    base = system_base(call)
    members = [f"{base}/EthernetInterfaces/{n.name}" for n in call.device.inventory.nics]
    return Reply(
        body=collection(
            f"{base}/EthernetInterfaces",
            "#EthernetInterfaceCollection.EthernetInterfaceCollection",
            "Ethernet Interfaces",
            members,
        )
    )


def nic(call: Call) -> Reply:
    base = system_base(call)
    found = next((n for n in call.device.inventory.nics if n.name == call.params["nic"]), None)
    if found is None:
        raise not_found(call.path)
    mac = found.mac.upper()
    return Reply(
        body=resource(
            f"{base}/EthernetInterfaces/{found.name}",
            "#EthernetInterface.v1_6_0.EthernetInterface",
            found.name,
            MACAddress=mac,
            PermanentMACAddress=mac,
            SpeedMbps=found.speed_mbps,
            LinkStatus="LinkUp",
            InterfaceEnabled=True,
            Status=status(),
        )
    )


def storages(call: Call) -> Reply:
    base = system_base(call)
    members = [f"{base}/Storage/1"] if call.device.inventory.drives else []
    return Reply(body=collection(f"{base}/Storage", "#StorageCollection.StorageCollection", "Storage", members))


def storage(call: Call) -> Reply:
    base = system_base(call)
    drives = call.device.inventory.drives
    if call.params["storage"] != "1" or not drives:
        raise not_found(call.path)
    body = resource(
        f"{base}/Storage/1",
        "#Storage.v1_9_0.Storage",
        "Storage",
        Status=status(),
        Drives=[ref(f"{base}/Storage/1/Drives/{d.name}") for d in drives],
    )
    body["Drives@odata.count"] = len(drives)
    return Reply(body=body)


def drive(call: Call) -> Reply:
    base = system_base(call)
    found = next((d for d in call.device.inventory.drives if d.name == call.params["drive"]), None)
    if call.params["storage"] != "1" or found is None:
        raise not_found(call.path)
    return Reply(
        body=resource(
            f"{base}/Storage/1/Drives/{found.name}",
            "#Drive.v1_12_0.Drive",
            found.name,
            Manufacturer=found.manufacturer,
            Model=found.model,
            SerialNumber=found.serial,
            CapacityBytes=found.capacity_bytes,
            MediaType=found.media_type,
            Protocol=found.protocol,
            Status=status(),
        )
    )


S = f"{SYSTEMS}/{{system}}"
ROUTES = [
    route(SYSTEMS, "systems", GET=(systems, "Login")),
    route(S, "system", GET=(system, "Login"), PATCH=(patch_system, "ConfigureComponents")),
    route(f"{S}/Actions/{RESET}", "system.reset", POST=(reset, "ConfigureComponents")),
    route(f"{S}/Processors", "processors", GET=(processors, "Login")),
    route(f"{S}/Processors/{{cpu}}", "processor", GET=(processor, "Login")),
    route(f"{S}/Memory", "memory", GET=(memory, "Login")),
    route(f"{S}/Memory/{{dimm}}", "memory", GET=(dimm, "Login")),
    route(f"{S}/EthernetInterfaces", "nics", GET=(nics, "Login")),
    route(f"{S}/EthernetInterfaces/{{nic}}", "nic", GET=(nic, "Login")),
    route(f"{S}/Storage", "storage", GET=(storages, "Login")),
    route(f"{S}/Storage/{{storage}}", "storage", GET=(storage, "Login")),
    route(f"{S}/Storage/{{storage}}/Drives/{{drive}}", "drive", GET=(drive, "Login")),
]
