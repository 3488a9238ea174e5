"""ServiceRoot, the OData service document and ``$metadata`` (no authentication, DSP0266 section 13.3.1)."""

from __future__ import annotations

from redfish_sim.resources import V1, ref, resource
from redfish_sim.routing import Call, Reply, route

REDFISH_VERSION = "1.15.0"
# Every schema (namespace, file) whose types the service returns; $metadata references them all.
SCHEMAS = (
    "ServiceRoot",
    "ComputerSystemCollection",
    "ComputerSystem",
    "ProcessorCollection",
    "Processor",
    "MemoryCollection",
    "Memory",
    "EthernetInterfaceCollection",
    "EthernetInterface",
    "StorageCollection",
    "Storage",
    "Drive",
    "Bios",
    "ChassisCollection",
    "Chassis",
    "Thermal",
    "Power",
    "ManagerCollection",
    "Manager",
    "ManagerNetworkProtocol",
    "LogServiceCollection",
    "LogService",
    "LogEntryCollection",
    "LogEntry",
    "AccountService",
    "ManagerAccountCollection",
    "ManagerAccount",
    "RoleCollection",
    "Role",
    "SessionService",
    "SessionCollection",
    "Session",
    "EventService",
    "EventDestinationCollection",
    "EventDestination",
    "Event",
    "VirtualMediaCollection",
    "VirtualMedia",
    "MessageRegistryFileCollection",
    "MessageRegistryFile",
    "AttributeRegistry",
    "Settings",
    "Message",
    "Resource",
    "Privileges",
    "PhysicalContext",
)


def redfish(call: Call) -> Reply:
    return Reply(body={"v1": f"{V1}/"})


def service_root(call: Call) -> Reply:
    ident = call.device.identity
    body = resource(
        V1,
        "#ServiceRoot.v1_11_0.ServiceRoot",
        "Root Service",
        ident="RootService",
        RedfishVersion=REDFISH_VERSION,
        UUID=ident.manager_uuid,
        Vendor=ident.manufacturer or "vrack",
        Product=f"{ident.model} BMC".strip(),
        Systems=ref(f"{V1}/Systems"),
        Chassis=ref(f"{V1}/Chassis"),
        Managers=ref(f"{V1}/Managers"),
        AccountService=ref(f"{V1}/AccountService"),
        SessionService=ref(f"{V1}/SessionService"),
        EventService=ref(f"{V1}/EventService"),
        Registries=ref(f"{V1}/Registries"),
        Links={"Sessions": ref(f"{V1}/SessionService/Sessions")},
        ProtocolFeaturesSupported={
            "ExpandQuery": {"ExpandAll": False, "Levels": True, "MaxLevels": 1, "Links": False, "NoLinks": True},
            "SelectQuery": True,
            "FilterQuery": False,
            "OnlyMemberQuery": False,
            "ExcerptQuery": False,
        },
    )
    body["@odata.id"] = f"{V1}/"
    return Reply(body=body)


def odata(call: Call) -> Reply:
    names = ("Systems", "Chassis", "Managers", "AccountService", "SessionService", "EventService")
    return Reply(
        body={
            "@odata.context": f"{V1}/$metadata",
            "value": [{"name": n, "kind": "Singleton", "url": f"{V1}/{n}"} for n in names],
        }
    )


def metadata(call: Call) -> Reply:
    refs = "".join(
        f'<edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/{name}_v1.xml">'
        f'<edmx:Include Namespace="{name}"/></edmx:Reference>'
        for name in SCHEMAS
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">'
        f'{refs}<edmx:DataServices><Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">'
        '<EntityContainer Name="Service" Extends="ServiceRoot.v1_11_0.ServiceContainer"/>'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )
    return Reply(raw=xml.encode(), content_type="application/xml")


ROUTES = [
    route("/redfish", "root", GET=(redfish, "Login")),
    route(V1, "root", GET=(service_root, "Login")),
    route(f"{V1}/odata", "root", GET=(odata, "Login")),
    route(f"{V1}/$metadata", "root", GET=(metadata, "Login")),
]
