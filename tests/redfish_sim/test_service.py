"""The Redfish service against a real bmc_sim BMC: one state with IPMI, auth, privileges, ETags, errors."""

from __future__ import annotations

import json

import pytest

from bmc_sim.config import Privilege
from bmc_sim.message import IpmiRequest, RequestContext
from tests.redfish_sim.conftest import Harness, basic

SYSTEM = "/redfish/v1/Systems/1"
RESET = f"{SYSTEM}/Actions/ComputerSystem.Reset"
IPMI = RequestContext(peer=("test", 1), privilege=Privilege.ADMINISTRATOR)


def ipmi(rf: Harness, netfn: int, cmd: int, data: bytes = b"") -> bytes:
    answer = rf.bmc.handle(IpmiRequest(netfn, cmd, data), IPMI)
    assert answer.completion_code == 0
    return answer.data


def message_id(body: dict) -> str:  # type: ignore[type-arg]
    return str(body["error"]["@Message.ExtendedInfo"][0]["MessageId"])


def test_service_root_is_open_and_everything_else_needs_credentials(rf: Harness) -> None:
    status, root = rf.json("GET", "/redfish/v1/", headers={})
    assert status == 200 and root["Systems"] == {"@odata.id": "/redfish/v1/Systems"}
    answer = rf.call("GET", SYSTEM, headers={})
    assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert rf.call("GET", SYSTEM, headers=basic("admin", "wrong")).status == 401
    assert rf.call("GET", SYSTEM, headers={"x-auth-token": "nope"}).status == 401
    assert [r.outcome for r in rf.records[-3:]] == ["no-credentials", "bad-credentials", "bad-credentials"]
    assert all("wrong" not in repr(r) for r in rf.records)


def test_redfish_power_is_ipmi_power_both_ways(rf: Harness) -> None:
    causes: list[tuple[bool, str]] = []
    rf.bmc.add_power_listener(lambda on, cause: causes.append((on, cause)))
    assert rf.json("GET", SYSTEM)[1]["PowerState"] == "Off"
    assert rf.call("POST", RESET, {"ResetType": "On"}).status == 204
    assert ipmi(rf, 0x00, 0x01)[0] & 0x01 == 1  # Get Chassis Status: power on
    ipmi(rf, 0x00, 0x02, b"\x00")  # chassis power off over IPMI
    assert causes == [(True, "redfish"), (False, "ipmi")]
    assert rf.json("GET", SYSTEM)[1]["PowerState"] == "Off"
    status, body = rf.json("POST", RESET, {"ResetType": "ForceRestart"})
    assert status == 409 and "needs the host powered on" in body["error"]["message"]
    rf.call("POST", RESET, {"ResetType": "On"})
    rf.call("POST", RESET, {"ResetType": "PowerCycle"})
    assert not rf.bmc.chassis.power_on
    rf.clock.advance(2)
    assert rf.bmc.chassis.power_on
    rf.call("POST", RESET, {"ResetType": "GracefulShutdown"})
    rf.clock.advance(5)
    assert rf.json("GET", SYSTEM)[1]["PowerState"] == "Off"


def test_graceful_restart_reboots_an_os_that_takes_acpi_and_is_ignored_without_one(rf: Harness) -> None:
    """GracefulRestart: the OS reboots SOFT_OFF_DELAY later, power kept on, restart cause soft reset (0x0A).  With
    no OS to take ACPI requests (firmware, boot loader) GracefulRestart and GracefulShutdown change nothing."""
    causes: list[tuple[bool, str]] = []
    asked: list[str] = []
    os_up = True

    def acpi(request: str) -> bool:
        asked.append(request)
        return os_up

    rf.bmc.chassis.acpi_request = acpi
    rf.bmc.add_power_listener(lambda on, cause: causes.append((on, cause)))
    assert rf.json("POST", RESET, {"ResetType": "GracefulRestart"})[0] == 409  # off: nothing to restart
    rf.call("POST", RESET, {"ResetType": "On"})
    assert rf.call("POST", RESET, {"ResetType": "GracefulRestart"}).status == 204
    rf.clock.advance(2.9)
    assert causes == [(True, "redfish")]
    rf.clock.advance(0.1)
    assert causes == [(True, "redfish"), (True, "reset")] and rf.bmc.chassis.power_on
    assert ipmi(rf, 0x00, 0x07)[0] == 0x0A  # Get System Restart Cause: soft reset
    os_up = False
    assert rf.call("POST", RESET, {"ResetType": "GracefulRestart"}).status == 204
    assert rf.call("POST", RESET, {"ResetType": "GracefulShutdown"}).status == 204
    rf.clock.advance(10)
    assert len(causes) == 2 and rf.json("GET", SYSTEM)[1]["PowerState"] == "On"
    assert asked == ["restart", "restart", "shutdown"]


@pytest.mark.parametrize(
    ("body", "status", "mid"),
    [
        ({}, 400, "ActionParameterMissing"),
        ({"ResetType": "Explode"}, 400, "ActionParameterValueNotInList"),
        ({"ResetType": "On", "Delay": 3}, 400, "ActionParameterUnknown"),
    ],
)
def test_reset_refuses_bad_parameters(rf: Harness, body: dict, status: int, mid: str) -> None:  # type: ignore[type-arg]
    got, answer = rf.json("POST", RESET, body)
    assert got == status and message_id(answer) == f"Base.1.8.1.{mid}"
    assert not rf.bmc.chassis.power_on


def test_boot_override_is_the_ipmi_boot_flags(rf: Harness) -> None:
    boot = {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once", "BootSourceOverrideMode": "UEFI"}
    assert rf.call("PATCH", SYSTEM, {"Boot": boot}).status == 200
    flags = ipmi(rf, 0x00, 0x09, b"\x05\x00\x00")  # Get System Boot Options, parameter 5
    assert flags[2] == 0x80 | 0x20 and (flags[3] >> 2) & 0x0F == 0x1  # valid, EFI, PXE
    ipmi(rf, 0x00, 0x08, bytes([0x05, 0xC0, 0x08, 0, 0, 0]))  # IPMI: persistent, disk, legacy
    got = rf.json("GET", SYSTEM)[1]["Boot"]
    assert (got["BootSourceOverrideTarget"], got["BootSourceOverrideEnabled"], got["BootSourceOverrideMode"]) == (
        "Hdd",
        "Continuous",
        "Legacy",
    )
    status, body = rf.json("PATCH", SYSTEM, {"Boot": {"BootSourceOverrideTarget": "Tape"}})
    assert status == 400 and "Valid values" in body["error"]["message"]
    assert rf.json("PATCH", SYSTEM, {"PowerState": "On"})[0] == 400
    assert message_id(rf.json("PATCH", SYSTEM, {"Bogus": 1})[1]).endswith("PropertyUnknown")


def test_etag_and_if_match(rf: Harness) -> None:
    first = rf.call("GET", SYSTEM)
    tag = first.headers["ETag"]
    assert rf.call("GET", SYSTEM, headers={**basic("admin", "adminpw"), "if-none-match": tag}).status == 304
    stale = {**basic("admin", "adminpw"), "if-match": 'W/"0000"'}
    status, body = rf.json("PATCH", SYSTEM, {"IndicatorLED": "Lit"}, headers=stale)
    assert status == 412 and message_id(body).endswith("PreconditionFailed")
    fresh = {**basic("admin", "adminpw"), "if-match": tag}
    assert rf.call("PATCH", SYSTEM, {"IndicatorLED": "Lit"}, headers=fresh).status == 200
    assert rf.bmc.chassis.identify == "on"
    assert rf.call("GET", SYSTEM).headers["ETag"] != tag


def test_sessions_limit_expiry_and_logout(rf: Harness) -> None:
    login = {"UserName": "oper", "Password": "operpw"}
    first = rf.call("POST", "/redfish/v1/SessionService/Sessions", login, headers={})
    assert first.status == 201 and first.headers["Location"] == "/redfish/v1/SessionService/Sessions/1"
    token = first.headers["X-Auth-Token"]
    assert token not in str(rf.records)
    assert rf.call("GET", SYSTEM, headers={"x-auth-token": token}).status == 200
    assert rf.call("POST", "/redfish/v1/SessionService/Sessions", login, headers={}).status == 201
    status, body = rf.json("POST", "/redfish/v1/SessionService/Sessions", login, headers={})
    assert status == 503 and message_id(body).endswith("SessionLimitExceeded")
    bad = rf.call("POST", "/redfish/v1/SessionService/Sessions", {"UserName": "oper", "Password": "x"}, headers={})
    assert bad.status == 401
    rf.clock.advance(61)  # idle longer than SessionTimeout
    assert rf.call("GET", SYSTEM, headers={"x-auth-token": token}).status == 401
    again = rf.call("POST", "/redfish/v1/SessionService/Sessions", login, headers={})
    new = again.headers["X-Auth-Token"]
    location = again.headers["Location"]
    assert rf.call("DELETE", location, headers={"x-auth-token": new}).status == 204
    assert rf.call("GET", SYSTEM, headers={"x-auth-token": new}).status == 401


def test_privileges_follow_the_ipmi_user_privilege(rf: Harness) -> None:
    viewer = basic("viewer", "viewerpw")
    assert rf.call("GET", SYSTEM, headers=viewer).status == 200
    status, body = rf.json("POST", RESET, {"ResetType": "On"}, headers=viewer)
    assert status == 403 and message_id(body).endswith("InsufficientPrivilege")
    assert rf.call("POST", RESET, {"ResetType": "On"}, headers=basic("oper", "operpw")).status == 204
    assert (
        rf.call("POST", "/redfish/v1/Managers/1/Actions/Manager.Reset", {}, headers=basic("oper", "operpw")).status
        == 403
    )
    assert rf.call("GET", "/redfish/v1/AccountService/Accounts/2", headers=viewer).status == 403
    # a ReadOnly user may change its own password, and IPMI then knows only the new one
    assert (
        rf.call("PATCH", "/redfish/v1/AccountService/Accounts/4", {"Password": "newpw"}, headers=viewer).status == 200
    )
    assert rf.bmc.users.get(4).password == b"newpw"
    assert (
        rf.call(
            "PATCH",
            "/redfish/v1/AccountService/Accounts/4",
            {"RoleId": "Administrator"},
            headers=basic("viewer", "newpw"),
        ).status
        == 403
    )


def test_accounts_are_the_ipmi_user_slots(rf: Harness) -> None:
    status, made = rf.json(
        "POST",
        "/redfish/v1/AccountService/Accounts",
        {"UserName": "ironic", "Password": "s3cret", "RoleId": "Operator"},
    )
    assert status == 201 and made["Password"] is None and made["RoleId"] == "Operator"
    user = rf.bmc.users.get(int(made["Id"]))
    assert (user.name, user.password, user.privilege_limit(1)) == (b"ironic", b"s3cret", Privilege.OPERATOR)
    assert rf.call("GET", SYSTEM, headers=basic("ironic", "s3cret")).status == 200
    dup = rf.json("POST", "/redfish/v1/AccountService/Accounts", {"UserName": "ironic", "Password": "x"})
    assert dup[0] == 409
    long = rf.json("POST", "/redfish/v1/AccountService/Accounts", {"UserName": "u2", "Password": "x" * 21})
    assert long[0] == 400 and "x" * 21 not in str(long[1])
    assert rf.call("DELETE", f"/redfish/v1/AccountService/Accounts/{made['Id']}").status == 204
    assert rf.call("GET", SYSTEM, headers=basic("ironic", "s3cret")).status == 401
    assert rf.bmc.users.find_by_name(b"ironic") is None


def test_sel_entries_and_clear(rf: Harness) -> None:
    rf.call("POST", RESET, {"ResetType": "On"})  # logs a power unit event
    rf.bmc.log_event(0x08, 0x50, 0x01)  # power supply failure
    status, entries = rf.json("GET", "/redfish/v1/Managers/1/LogServices/SEL/Entries")
    assert status == 200 and entries["Members@odata.count"] == len(rf.bmc.sel) == 2
    last = entries["Members"][-1]
    assert last["Severity"] == "Critical" and last["SensorType"] == "Power Supply / Converter"
    single = rf.json("GET", f"/redfish/v1/Managers/1/LogServices/SEL/Entries/{last['Id']}")[1]
    assert {k: v for k, v in single.items() if k != "@odata.etag"} == last
    clear = "/redfish/v1/Managers/1/LogServices/SEL/Actions/LogService.ClearLog"
    assert rf.call("POST", clear, {}).status == 204
    assert len(rf.bmc.sel) == 0


def test_thermal_and_power_come_from_the_sdr_sensors(rf: Harness) -> None:
    rf.call("POST", RESET, {"ResetType": "On"})
    temps = rf.json("GET", "/redfish/v1/Chassis/1/Thermal")[1]["Temperatures"]
    cpu = next(t for t in temps if t["Name"] == "Temp_CPU0")
    assert cpu["Status"]["Health"] == "OK" and cpu["ReadingCelsius"] > 0
    rf.bmc.set_sensor_reading("Temp_CPU0", cpu["UpperThresholdCritical"] + 1)
    temps = rf.json("GET", "/redfish/v1/Chassis/1/Thermal")[1]["Temperatures"]
    assert next(t for t in temps if t["Name"] == "Temp_CPU0")["Status"]["Health"] == "Critical"
    power = rf.json("GET", "/redfish/v1/Chassis/1/Power")[1]
    assert power["PowerControl"][0]["PowerConsumedWatts"] >= 0 and power["Voltages"]


def test_errors_name_the_place(rf: Harness) -> None:
    status, body = rf.json("GET", "/redfish/v1/Systems/2")
    assert status == 404 and "/redfish/v1/Systems/2" in body["error"]["message"]
    answer = rf.call("DELETE", SYSTEM)
    assert answer.status == 405 and answer.headers["Allow"] == "GET, HEAD, PATCH"
    status, body = rf.json("PATCH", SYSTEM, raw=b"{nope")
    assert status == 400 and message_id(body).endswith("MalformedJSON")


def test_select_and_expand(rf: Harness) -> None:
    body = rf.json("GET", f"{SYSTEM}?$select=PowerState,UUID")[1]
    assert set(body) == {"@odata.id", "@odata.type", "@odata.context", "@odata.etag", "PowerState", "UUID"}
    expanded = rf.json("GET", "/redfish/v1/Systems?$expand=.")[1]
    assert expanded["Members"][0]["ProcessorSummary"]["Count"] == 1
    assert rf.records[-1].expanded == (SYSTEM,)


def test_expand_dot_inlines_a_resources_own_references_not_its_links(rf: Harness) -> None:
    """What sushy's ``chassis_expanded`` (Ironic's sensor collection) asks: one GET with Thermal and Power."""
    chassis = "/redfish/v1/Chassis/1"
    body = rf.json("GET", f"{chassis}?$expand=.($levels=1)")[1]
    assert body["Thermal"]["@odata.id"] == f"{chassis}/Thermal" and body["Thermal"]["Temperatures"]
    assert body["Power"]["PowerControl"][0]["Name"] == "System Power Control"
    assert body["Links"]["ComputerSystems"] == [{"@odata.id": SYSTEM}]  # Links stay references
    assert rf.records[-1].expanded == (f"{chassis}/Thermal", f"{chassis}/Power")
    plain = rf.json("GET", chassis)[1]
    assert plain["Thermal"] == {"@odata.id": f"{chassis}/Thermal"}
    assert not rf.records[-1].expanded
    links_only = rf.json("GET", f"{chassis}?$expand=~")[1]
    assert links_only["Thermal"] == {"@odata.id": f"{chassis}/Thermal"}


def test_sensors_carry_the_physical_context_of_their_sdr_entity(rf: Harness) -> None:
    temps = rf.json("GET", "/redfish/v1/Chassis/1/Thermal")[1]["Temperatures"]
    entities = {s.name: s.entity_id for s in rf.bmc.sensors}
    contexts = {t["Name"]: t.get("PhysicalContext") for t in temps}
    assert [entities[n] for n in contexts] == [0x03, 0x03, 0x37, 0x07]  # processor x2, air inlet, system board
    assert contexts == {"Temp_CPU0": "CPU", "Temp_CPU1": "CPU", "Temp_Inlet": "Intake", "Temp_Outlet": "SystemBoard"}


def test_dark_bmc_is_silent_busy_bmc_answers_503_and_manager_reset_goes_dark(rf: Harness) -> None:
    rf.bmc.answers_busy = True
    assert rf.call("GET", SYSTEM).status == 503
    rf.bmc.answers_busy = False
    assert rf.call("POST", "/redfish/v1/Managers/1/Actions/Manager.Reset", {"ResetType": "ForceRestart"}).status == 204
    assert rf.service.handle(rf_request()) is None
    rf.clock.advance(5)
    assert rf.call("GET", SYSTEM).status == 200
    rf.bmc.set_ac_power(False)
    assert rf.service.handle(rf_request()) is None


def rf_request():  # type: ignore[no-untyped-def]
    from redfish_sim import HttpRequest

    return HttpRequest("GET", SYSTEM, basic("admin", "adminpw"), b"", "127.0.0.1:1")


def test_journal_records_method_path_user_status_never_secrets(rf: Harness) -> None:
    rf.call("PATCH", "/redfish/v1/AccountService/Accounts/3", {"Password": "topsecret1"})
    record = rf.records[-1]
    assert (record.method, record.path, record.user, record.status, record.operation) == (
        "PATCH",
        "/redfish/v1/AccountService/Accounts/3",
        "admin",
        200,
        "account",
    )
    assert "topsecret1" not in repr(rf.records) and "adminpw" not in repr(rf.records)


def test_protocol_details_validators_check(rf: Harness) -> None:
    answer = rf.call("GET", SYSTEM)
    body = json.loads(answer.body)
    assert body["@odata.etag"] == answer.headers["ETag"]
    assert answer.headers["Link"].endswith("ComputerSystem.v1_13_0.json>; rel=describedby")
    status, error = rf.json("GET", f"{SYSTEM}?$top=1")
    assert status == 501 and "$top" in error["error"]["message"]
    assert rf.call("GET", SYSTEM, headers={**basic("admin", "adminpw"), "odata-version": "4.1"}).status == 412
    login = {"UserName": "admin", "Password": "adminpw"}
    assert rf.call("POST", "/redfish/v1/SessionService/Sessions/Members", login, headers={}).status == 201


def test_virtual_media_insert_eject_and_patch(rf: Harness) -> None:
    cd = "/redfish/v1/Managers/1/VirtualMedia/CD"
    image = "http://127.0.0.1:8080/boot.iso"
    assert rf.call("POST", f"{cd}/Actions/VirtualMedia.InsertMedia", {"Image": image}).status == 204
    body = rf.json("GET", cd)[1]
    assert (body["Image"], body["ImageName"], body["Inserted"], body["ConnectedVia"]) == (
        image,
        "boot.iso",
        True,
        "URI",
    )
    assert rf.call("POST", f"{cd}/Actions/VirtualMedia.InsertMedia", {"Image": image}).status == 409
    assert rf.call("POST", f"{cd}/Actions/VirtualMedia.EjectMedia", {}).status == 204
    assert rf.json("GET", cd)[1]["Inserted"] is False
    assert rf.json("PATCH", cd, {"Image": image, "Inserted": True})[1]["Inserted"] is True
    assert (
        rf.call("POST", f"{cd}/Actions/VirtualMedia.EjectMedia", {}, headers=basic("viewer", "viewerpw")).status == 403
    )
    rf.call("POST", f"{cd}/Actions/VirtualMedia.EjectMedia", {})
    status, error = rf.json("POST", f"{cd}/Actions/VirtualMedia.InsertMedia", {"Image": "floppy:a"})
    assert status == 400 and "floppy:a" in error["error"]["message"]
    assert rf.call("GET", "/redfish/v1/Managers/1/VirtualMedia/USB").status == 404
