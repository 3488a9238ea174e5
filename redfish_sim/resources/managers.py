"""The BMC as a Manager: network protocol, its Ethernet interface, Manager.Reset, and the SEL as a LogService
(under the Manager and, as many BMCs also link it, under the System)."""

from __future__ import annotations

from redfish_sim.device import MANAGER_RESET_TYPES
from redfish_sim.errors import RedfishError, action_value, not_found
from redfish_sim.resources import V1, check_id, collection, ref, resource, status
from redfish_sim.routing import Call, Reply, Route, route

MANAGERS = f"{V1}/Managers"
RESET = "Manager.Reset"
CLEAR = "LogService.ClearLog"


def _base(call: Call) -> str:
    check_id(call, "manager", call.device.identity.manager_id)
    return f"{MANAGERS}/{call.device.identity.manager_id}"


def managers(call: Call) -> Reply:
    return Reply(
        body=collection(
            MANAGERS,
            "#ManagerCollection.ManagerCollection",
            "Manager Collection",
            [f"{MANAGERS}/{call.device.identity.manager_id}"],
        )
    )


def manager(call: Call) -> Reply:
    base = _base(call)
    ident = call.device.identity
    return Reply(
        body=resource(
            base,
            "#Manager.v1_10_0.Manager",
            "Manager",
            ManagerType="BMC",
            FirmwareVersion=ident.firmware_version,
            UUID=ident.manager_uuid,
            Model=f"{ident.model} BMC".strip(),
            PowerState="On",
            Status=status(),
            NetworkProtocol=ref(f"{base}/NetworkProtocol"),
            EthernetInterfaces=ref(f"{base}/EthernetInterfaces"),
            LogServices=ref(f"{base}/LogServices"),
            VirtualMedia=ref(f"{base}/VirtualMedia"),
            Links={
                "ManagerForServers": [ref(f"{V1}/Systems/{ident.system_id}")],
                "ManagerForChassis": [ref(f"{V1}/Chassis/{ident.chassis_id}")],
            },
            Actions={
                f"#{RESET}": {
                    "target": f"{base}/Actions/{RESET}",
                    "ResetType@Redfish.AllowableValues": list(MANAGER_RESET_TYPES),
                }
            },
        )
    )


def manager_reset(call: Call) -> Reply:
    _base(call)
    reset_type = call.body.get("ResetType", "GracefulRestart")
    if reset_type not in MANAGER_RESET_TYPES:
        raise action_value(reset_type, "ResetType", RESET, MANAGER_RESET_TYPES)
    device, sessions = call.device, call.service.sessions

    def restart() -> None:
        sessions.clear()
        device.manager_reset(reset_type)

    return Reply(204, after=restart)


def network_protocol(call: Call) -> Reply:
    base = _base(call)
    net = call.device.network()
    ports = call.service.ports
    return Reply(
        body=resource(
            f"{base}/NetworkProtocol",
            "#ManagerNetworkProtocol.v1_5_0.ManagerNetworkProtocol",
            "Manager Network Protocol",
            ident="NetworkProtocol",
            HostName=call.device.identity.host_name,
            FQDN=net.address,
            HTTPS={"ProtocolEnabled": ports.get("https") is not None, "Port": ports.get("https")},
            HTTP={"ProtocolEnabled": ports.get("http") is not None, "Port": ports.get("http")},
            IPMI={"ProtocolEnabled": ports.get("ipmi") is not None, "Port": ports.get("ipmi")},
            Status=status(),
        )
    )


def bmc_nics(call: Call) -> Reply:
    base = _base(call)
    return Reply(
        body=collection(
            f"{base}/EthernetInterfaces",
            "#EthernetInterfaceCollection.EthernetInterfaceCollection",
            "Manager Ethernet Interfaces",
            [f"{base}/EthernetInterfaces/1"],
        )
    )


def bmc_nic(call: Call) -> Reply:
    base = _base(call)
    if call.params["nic"] != "1":
        raise not_found(call.path)
    net = call.device.network()
    return Reply(
        body=resource(
            f"{base}/EthernetInterfaces/1",
            "#EthernetInterface.v1_6_0.EthernetInterface",
            "Manager Ethernet Interface",
            MACAddress=net.mac.upper(),
            PermanentMACAddress=net.mac.upper(),
            InterfaceEnabled=True,
            LinkStatus="LinkUp",
            IPv4Addresses=[
                {
                    "Address": net.address,
                    "SubnetMask": net.netmask,
                    "Gateway": net.gateway,
                    "AddressOrigin": "DHCP" if net.dhcp else "Static",
                }
            ],
            VLAN={"VLANEnable": net.vlan_id != 0, "VLANId": net.vlan_id},
            Status=status(),
        )
    )


def log_routes(owner: str, key: str, ident_of: str) -> list[Route]:
    """The SEL LogService under ``owner`` (``/redfish/v1/Managers/{manager}``), keyed by ``key``."""

    def base(call: Call) -> str:
        expected = getattr(call.device.identity, ident_of)
        check_id(call, key, expected)
        return owner.replace(f"{{{key}}}", expected) + "/LogServices"

    def services(call: Call) -> Reply:
        b = base(call)
        return Reply(body=collection(b, "#LogServiceCollection.LogServiceCollection", "Log Services", [f"{b}/SEL"]))

    def sel(call: Call) -> Reply:
        b = f"{base(call)}/SEL"
        return Reply(
            body=resource(
                b,
                "#LogService.v1_1_3.LogService",
                "System Event Log",
                MaxNumberOfRecords=512,
                OverWritePolicy="NeverOverWrites",
                LogEntryType="SEL",
                ServiceEnabled=True,
                Status=status(),
                Entries=ref(f"{b}/Entries"),
                Actions={f"#{CLEAR}": {"target": f"{b}/Actions/{CLEAR}"}},
            )
        )

    def entries(call: Call) -> Reply:
        b = f"{base(call)}/SEL/Entries"
        body = collection(b, "#LogEntryCollection.LogEntryCollection", "SEL Entries", [])
        body["Members"] = [_entry(b, e) for e in call.device.log_entries()]
        body["Members@odata.count"] = len(body["Members"])
        return Reply(body=body)

    def entry(call: Call) -> Reply:
        b = f"{base(call)}/SEL/Entries"
        found = next((e for e in call.device.log_entries() if str(e.record_id) == call.params["entry"]), None)
        if found is None:
            raise not_found(call.path)
        return Reply(body=_entry(b, found))

    def clear(call: Call) -> Reply:
        base(call)
        if set(call.body) - {"LogEntriesETag"}:
            raise RedfishError(400, "ActionParameterUnknown", CLEAR, sorted(set(call.body) - {"LogEntriesETag"})[0])
        call.device.clear_log()
        return Reply(204)

    root = f"{owner}/LogServices"
    return [
        route(root, "log-services", GET=(services, "Login")),
        route(f"{root}/SEL", "sel", GET=(sel, "Login")),
        route(f"{root}/SEL/Entries", "sel.entries", GET=(entries, "Login")),
        route(f"{root}/SEL/Entries/{{entry}}", "sel.entry", GET=(entry, "Login")),
        route(f"{root}/SEL/Actions/{CLEAR}", "sel.clear", POST=(clear, "ConfigureComponents")),
    ]


def _entry(base: str, e: object) -> dict[str, object]:
    from redfish_sim.device import LogEntry

    assert isinstance(e, LogEntry)
    return {
        "@odata.id": f"{base}/{e.record_id}",
        "@odata.type": "#LogEntry.v1_8_0.LogEntry",
        "Id": str(e.record_id),
        "Name": f"SEL entry {e.record_id}",
        "EntryType": "SEL",
        "Created": e.created,
        "Severity": e.severity,
        "Message": e.message,
        "SensorType": e.sensor_type,
        "SensorNumber": e.sensor_number,
        "EntryCode": e.entry_code,
    }


M = f"{MANAGERS}/{{manager}}"
ROUTES = [
    route(MANAGERS, "managers", GET=(managers, "Login")),
    route(M, "manager", GET=(manager, "Login")),
    route(f"{M}/Actions/{RESET}", "manager.reset", POST=(manager_reset, "ConfigureManager")),
    route(f"{M}/NetworkProtocol", "network-protocol", GET=(network_protocol, "Login")),
    route(f"{M}/EthernetInterfaces", "manager.nics", GET=(bmc_nics, "Login")),
    route(f"{M}/EthernetInterfaces/{{nic}}", "manager.nic", GET=(bmc_nic, "Login")),
    *log_routes(M, "manager", "manager_id"),
    *log_routes(f"{V1}/Systems/{{system}}", "system", "system_id"),
]
