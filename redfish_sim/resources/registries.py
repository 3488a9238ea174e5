"""``/Registries``: the BIOS attribute registry the ``/Bios`` resources name (``AttributeRegistry``), as a
MessageRegistryFile whose ``Location`` is served here too (the AttributeRegistry: each attribute's type,
default, allowed values or bounds, and whether it is read-only), built from the device's
:class:`~redfish_sim.bios.BiosSettings` registry.  Base message registries are not served: clients ship them.
"""

from __future__ import annotations

from typing import Any

from redfish_sim.errors import not_found
from redfish_sim.resources import V1, collection, resource
from redfish_sim.resources.bios import REGISTRY
from redfish_sim.routing import Call, Reply, route

REGISTRIES = f"{V1}/Registries"
FILE = f"{REGISTRIES}/{REGISTRY}"
LOCATION = f"{FILE}/{REGISTRY}"


def registries(call: Call) -> Reply:
    return Reply(
        body=collection(
            REGISTRIES, "#MessageRegistryFileCollection.MessageRegistryFileCollection", "Registries", [FILE]
        )
    )


def registry_file(call: Call) -> Reply:
    if call.params["registry"] != REGISTRY:
        raise not_found(call.path)
    return Reply(
        body=resource(
            FILE,
            "#MessageRegistryFile.v1_1_0.MessageRegistryFile",
            "BIOS Attribute Registry File",
            Languages=["en"],
            Registry="BiosAttributeRegistry.1.0",
            Location=[{"Language": "en", "Uri": LOCATION}],
        )
    )


def attribute_registry(call: Call) -> Reply:
    if call.params["registry"] != REGISTRY or call.params["file"] != REGISTRY:
        raise not_found(call.path)
    attributes = []
    for attribute in call.device.bios.registry.values():
        entry: dict[str, Any] = {
            "AttributeName": attribute.name,
            "Type": attribute.kind,
            "DisplayName": attribute.display_name or attribute.name,
            "DefaultValue": attribute.default,
            "ReadOnly": attribute.read_only,
            "ResetRequired": True,
        }
        if attribute.values:
            entry["Value"] = [{"ValueName": v, "ValueDisplayName": v} for v in attribute.values]
        for key, value in (
            ("LowerBound", attribute.lower),
            ("UpperBound", attribute.upper),
            ("MaxLength", attribute.max_length),
        ):
            if value is not None:
                entry[key] = value
        attributes.append(entry)
    body = resource(
        LOCATION,
        "#AttributeRegistry.v1_3_0.AttributeRegistry",
        "BIOS Attribute Registry",
        ident=REGISTRY,
        Language="en",
        OwningEntity=call.device.identity.manufacturer or "vrack",
        RegistryVersion="1.0.0",
        SupportedSystems=[{"ProductName": call.device.identity.model, "SystemId": call.device.identity.system_id}],
        RegistryEntries={"Attributes": attributes},
    )
    return Reply(body=body)


ROUTES = [
    route(REGISTRIES, "registries", GET=(registries, "Login")),
    route(f"{REGISTRIES}/{{registry}}", "registries", GET=(registry_file, "Login")),
    route(f"{REGISTRIES}/{{registry}}/{{file}}", "registries", GET=(attribute_registry, "Login")),
]
