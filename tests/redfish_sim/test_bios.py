"""BIOS settings in memory: the registry decides what a PATCH of /Bios/Settings may stage, staged values wait
for the host's next power on or reset, ``Bios.ResetBios`` stages the defaults (a real ``bmc_sim`` BMC, fake
clock)."""

from __future__ import annotations

import pytest
from twisted.internet import task

from bmc_sim.config import LanConfig
from bmc_sim.device import Bmc
from bmc_sim.models import build_config
from redfish_sim import RedfishService, all_routes
from redfish_sim.bios import BiosSettings, registry_from
from redfish_sim.bmc_device import BmcBackedDevice, identity_from_config
from redfish_sim.device import Inventory
from tests.redfish_sim.conftest import USERS, Harness, basic

REGISTRY = {
    "BootMode": {"values": ["Uefi", "Bios"], "default": "Uefi"},
    "ProcHyperthreading": {"values": ["Enabled", "Disabled"], "default": "Enabled"},
    "QuietBoot": {"type": "Boolean", "default": True},
    "SetupPromptTimeout": {"type": "Integer", "default": 1, "lower": 0, "upper": 65535},
    "AssetTag": {"type": "String", "default": "", "max_length": 8},
    "BiosRevision": {"type": "String", "default": "5.11", "read_only": True},
}
BIOS = "/redfish/v1/Systems/1/Bios"
SETTINGS = f"{BIOS}/Settings"


@pytest.fixture
def rf() -> Harness:
    clock = task.Clock()
    clock.advance(1000)
    config = build_config("quanta-d51", name="n1", lan=LanConfig("127.66.0.9", "2c:60:0c:00:00:01"), users=USERS)
    bmc = Bmc(config, clock)
    inventory = Inventory(bios_registry=registry_from(REGISTRY, "test"))
    device = BmcBackedDevice(bmc, identity_from_config(config), inventory)
    return Harness(clock, bmc, RedfishService(device, clock, all_routes()))


def test_patched_settings_stay_pending_until_the_host_boots(rf: Harness) -> None:
    status, bios = rf.json("GET", BIOS)
    assert status == 200 and bios["Attributes"]["BootMode"] == "Uefi"
    assert bios["@Redfish.Settings"]["SettingsObject"] == {"@odata.id": SETTINGS}
    assert bios["Actions"]["#Bios.ResetBios"]["target"] == f"{BIOS}/Actions/Bios.ResetBios"
    assert rf.json("GET", SETTINGS)[1]["Attributes"] == {}

    status, pending = rf.json("PATCH", SETTINGS, {"Attributes": {"BootMode": "Bios", "SetupPromptTimeout": 5}})
    assert status == 200 and pending["Attributes"] == {"BootMode": "Bios", "SetupPromptTimeout": 5}
    assert rf.json("GET", BIOS)[1]["Attributes"]["BootMode"] == "Uefi"  # not before the next boot

    rf.bmc.chassis.control(1)  # ipmitool chassis power on: the firmware applies what is pending
    attributes = rf.json("GET", BIOS)[1]["Attributes"]
    assert (attributes["BootMode"], attributes["SetupPromptTimeout"]) == ("Bios", 5)
    assert rf.json("GET", SETTINGS)[1]["Attributes"] == {}

    rf.json("PATCH", SETTINGS, {"Attributes": {"QuietBoot": False}})
    rf.bmc.chassis.control(3)  # a hard reset of a running host applies them too
    assert rf.json("GET", BIOS)[1]["Attributes"]["QuietBoot"] is False


@pytest.mark.parametrize(
    ("attributes", "message_id", "named"),
    [
        ({"BootMode": "Legacy"}, "PropertyValueNotInList", "Uefi, Bios"),
        ({"NoSuch": "x"}, "PropertyUnknown", "BootMode"),
        ({"BiosRevision": "6"}, "PropertyNotWritable", "Attributes/BiosRevision"),
        ({"QuietBoot": "yes"}, "PropertyValueTypeError", "true or false"),
        ({"SetupPromptTimeout": 70000}, "PropertyValueNotInList", "0..65535"),
        ({"AssetTag": "far too long"}, "PropertyValueNotInList", "at most 8"),
    ],
)
def test_a_refused_value_names_the_attribute_and_stages_nothing(
    rf: Harness, attributes: dict[str, object], message_id: str, named: str
) -> None:
    status, body = rf.json("PATCH", SETTINGS, {"Attributes": {"ProcHyperthreading": "Disabled", **attributes}})
    info = body["error"]["@Message.ExtendedInfo"][0]
    assert status == 400 and info["MessageId"] == f"Base.1.8.1.{message_id}"
    name = next(iter(attributes))
    assert f"Attributes/{name}" in info["Message"] and named in info["Message"]
    assert rf.json("GET", SETTINGS)[1]["Attributes"] == {}


def test_body_and_apply_time_are_checked(rf: Harness) -> None:
    assert rf.json("PATCH", SETTINGS, {})[0] == 400
    assert rf.json("PATCH", SETTINGS, {"Attributes": ["BootMode"]})[0] == 400
    late = {"Attributes": {"BootMode": "Bios"}, "@Redfish.SettingsApplyTime": {"ApplyTime": "Immediate"}}
    status, body = rf.json("PATCH", SETTINGS, late)
    assert status == 400 and "OnReset" in body["error"]["message"]
    on_reset = {**late, "@Redfish.SettingsApplyTime": {"ApplyTime": "OnReset"}}
    assert rf.json("PATCH", SETTINGS, on_reset)[0] == 200


def test_reset_bios_restores_the_defaults_at_the_next_boot(rf: Harness) -> None:
    rf.json("PATCH", SETTINGS, {"Attributes": {"BootMode": "Bios", "AssetTag": "rack7"}})
    rf.bmc.chassis.control(1)
    assert rf.call("POST", f"{BIOS}/Actions/Bios.ResetBios", {}).status == 204
    assert rf.json("GET", SETTINGS)[1]["Attributes"]["BootMode"] == "Uefi"
    assert rf.json("GET", BIOS)[1]["Attributes"]["AssetTag"] == "rack7"
    rf.bmc.chassis.control(3)
    attributes = rf.json("GET", BIOS)[1]["Attributes"]
    assert (attributes["BootMode"], attributes["AssetTag"]) == ("Uefi", "")


def test_only_operators_and_administrators_change_the_bios(rf: Harness) -> None:
    change = {"Attributes": {"BootMode": "Bios"}}
    assert rf.json("PATCH", SETTINGS, change, headers=basic("viewer", "viewerpw"))[0] == 403
    assert rf.call("POST", f"{BIOS}/Actions/Bios.ResetBios", {}, headers=basic("viewer", "viewerpw")).status == 403
    assert rf.json("PATCH", SETTINGS, change, headers=basic("oper", "operpw"))[0] == 200


def test_registry_errors_name_the_place() -> None:
    with pytest.raises(ValueError, match=r"hw.yaml.BootMode: an Enumeration needs 'values'"):
        registry_from({"BootMode": {"default": "Uefi"}}, "hw.yaml")
    with pytest.raises(ValueError, match=r"hw.yaml.X.default: .*takes one of: A, B"):
        registry_from({"X": {"values": ["A", "B"], "default": "C"}}, "hw.yaml")
    with pytest.raises(ValueError, match=r"hw.yaml.X.type: 'Float' is not one of"):
        registry_from({"X": {"type": "Float", "default": 1}}, "hw.yaml")
    settings = BiosSettings(registry_from(REGISTRY, "test"))
    assert settings.apply() == {} and settings.applied_count == 0


def test_the_registry_the_bios_names_is_served(rf: Harness) -> None:
    name = rf.json("GET", BIOS)[1]["AttributeRegistry"]
    assert rf.json("GET", "/redfish/v1")[1]["Registries"] == {"@odata.id": "/redfish/v1/Registries"}
    members = rf.json("GET", "/redfish/v1/Registries")[1]["Members"]
    assert members == [{"@odata.id": f"/redfish/v1/Registries/{name}"}]
    location = rf.json("GET", members[0]["@odata.id"])[1]["Location"][0]["Uri"]
    status, registry = rf.json("GET", location)
    entries = {a["AttributeName"]: a for a in registry["RegistryEntries"]["Attributes"]}
    assert status == 200 and registry["Id"] == name and set(entries) == set(REGISTRY)
    assert [v["ValueName"] for v in entries["BootMode"]["Value"]] == ["Uefi", "Bios"]
    assert (entries["SetupPromptTimeout"]["LowerBound"], entries["SetupPromptTimeout"]["UpperBound"]) == (0, 65535)
    assert entries["BiosRevision"]["ReadOnly"] is True
    assert rf.json("GET", "/redfish/v1/Registries/Base.1.8.1")[0] == 404
