"""Hardware personalities as data: loading, validation, per-node identity, the matching BMC config."""

from __future__ import annotations

import uuid

import pytest

from bmc_sim.config import UserConfig
from bmc_sim.models import load_model, model_names
from node_sim.hardware import HardwareError, hardware_names, load_hardware, parse_hardware
from node_sim.hardware_bmc import bmc_config
from node_sim.hardware_identity import NodeIdentity, check_identity, derive_identity, disk_serial, expand

MINIMAL = {
    "name": "tiny",
    "vendor": "acme",
    "description": "minimal",
    "bmc_model": "generic",
    "bmc_oui": "02:00:00",
    "system": {
        "manufacturer": "Acme",
        "product_name": "Box",
        "version": "1",
        "sku": "S",
        "family": "F",
        "serial": "A{dig4}",
        "board_manufacturer": "Acme",
        "board_product": "B",
        "board_version": "1",
        "chassis_manufacturer": "Acme",
        "chassis_version": "1",
    },
    "bios": {"vendor": "V", "version": "1.0", "release_date": "01/01/2020", "revision": "1.0"},
    "cpu": {
        "count": 1,
        "manufacturer": "Intel",
        "model": "CPU",
        "family": "Xeon",
        "cores": 2,
        "threads": 4,
        "speed_mhz": 2000,
        "max_speed_mhz": 3000,
        "family_number": 6,
        "model_number": 85,
        "stepping": 4,
        "cache_kb": 1024,
        "flags": ["fpu"],
    },
    "dimms": [],
    "disks": [],
    "nics": [
        {
            "vendor": "Intel Corporation",
            "product": "I350",
            "vendor_id": 0x8086,
            "device_id": 0x1521,
            "subsystem_vendor_id": 0x8086,
            "subsystem_device_id": 1,
            "driver": "igb",
            "driver_version": "1",
            "firmware": "1",
            "pci_address": "0000:01:00.0",
            "speed_mbps": 1000,
            "oui": "02:00:01",
        }
    ],
}


def test_shipped_personalities_load_and_name_existing_bmc_models() -> None:
    assert {"quanta-d51", "dell-r630", "generic"} <= set(hardware_names())
    for name in hardware_names():
        hw = load_hardware(name)
        assert hw.name == name
        assert hw.bmc_model in model_names(), f"{name}: unknown BMC model {hw.bmc_model}"
        assert hw.nics and hw.dimms and hw.disks and hw.cpu.count >= 1


def test_quanta_d51_matches_rackhds_sku_rule() -> None:
    system = load_hardware("quanta-d51").system
    assert "Quanta" in system.manufacturer and "D51B-1U" in system.product_name


def test_dell_r630_has_a_perc_behind_which_the_drives_sit() -> None:
    hw = load_hardware("dell-r630")
    assert hw.raid is not None and "PERC" in hw.raid.model and hw.raid.tool == "perccli"
    assert hw.raid_disks() and not hw.os_disks()
    assert (hw.system.manufacturer, hw.system.product_name) == ("Dell Inc.", "PowerEdge R630")


def test_generic_has_no_raid_controller() -> None:
    hw = load_hardware("generic")
    assert hw.raid is None and len(hw.os_disks()) == len(hw.disks)


def test_smbios_strings_the_file_omits_are_the_bmc_models_fru() -> None:
    """One place for the model's identity strings: what the personality does not say, its BMC's FRU says."""
    written = {"sku": "S", "family": "F", "serial": "A{dig4}", "board_version": "1", "chassis_version": "1"}
    hw = parse_hardware({**MINIMAL, "system": written})
    fru = load_model("generic").fru
    assert hw.system.manufacturer == hw.system.chassis_manufacturer == fru.product_manufacturer
    assert (hw.system.product_name, hw.system.version) == (fru.product_name, fru.product_version)
    assert (hw.system.board_manufacturer, hw.system.board_product) == (fru.board_manufacturer, fru.board_product)
    assert parse_hardware(MINIMAL).system.manufacturer == "Acme"  # a string the file gives wins


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(HardwareError, match="dell-r630"):
        load_hardware("no-such-box")


def test_parse_reports_file_and_missing_key() -> None:
    broken = {k: v for k, v in MINIMAL.items() if k != "bios"}
    with pytest.raises(HardwareError, match=r"tiny\.yaml.*bios"):
        parse_hardware(broken, source="tiny.yaml")


def test_parse_rejects_text_where_a_number_belongs() -> None:
    bad_cpu = {**MINIMAL["cpu"], "cores": "many"}  # type: ignore[dict-item]
    with pytest.raises(HardwareError, match="cores"):
        parse_hardware({**MINIMAL, "cpu": bad_cpu})


def test_parse_turns_yaml_numbers_into_text_fields() -> None:
    hw = parse_hardware({**MINIMAL, "bios": {**MINIMAL["bios"], "version": 2.1}})  # type: ignore[dict-item]
    assert hw.bios.version == "2.1"


def test_raid_slots_need_a_controller() -> None:
    disk = {"vendor": "ATA", "model": "X", "serial": "{hex4}", "size_bytes": 1, "rotational": True}
    with pytest.raises(HardwareError, match="raid"):
        parse_hardware({**MINIMAL, "disks": [{**disk, "bus": "sas", "firmware": "1", "raid_slot": 0}]})


def test_expand_is_deterministic_and_follows_the_pattern() -> None:
    first = expand("QTF{dig5}{hex3}-{index:02}", "seed", "role", 7)
    assert first == expand("QTF{dig5}{hex3}-{index:02}", "seed", "role", 7)
    assert first != expand("QTF{dig5}{hex3}-{index:02}", "seed", "role", 8)
    assert first.startswith("QTF") and first.endswith("-07") and first[3:8].isdigit() and len(first) == 14


def test_identity_is_deterministic_per_seed_and_name() -> None:
    hw = load_hardware("quanta-d51")
    a = derive_identity("rack", "node1", hw, "127.24.0.9")
    assert a == derive_identity("rack", "node1", hw, "127.24.0.9")
    b = derive_identity("rack", "node2", hw, "127.24.0.10")
    assert a.system_serial != b.system_serial and a.system_uuid != b.system_uuid and a.nic_macs != b.nic_macs
    assert all(mac.startswith(nic.oui + ":") for mac, nic in zip(a.nic_macs, hw.nics, strict=True))
    assert a.bmc_mac.startswith(hw.bmc_oui + ":")
    assert len(a.nic_macs) == len(hw.nics)
    serials = [disk_serial(d, a, i) for i, d in enumerate(hw.disks)]
    assert len(set(serials)) == len(serials)


def test_check_identity_wants_one_mac_per_nic() -> None:
    hw = load_hardware("dell-r630")
    ident = NodeIdentity("n", "S", uuid.uuid4(), ("02:00:00:00:00:01",), "127.24.0.1", "02:00:00:00:00:02")
    with pytest.raises(ValueError, match="1 MACs for 4 NICs"):
        check_identity(hw, ident)


def test_bmc_config_carries_the_identity() -> None:
    hw = load_hardware("dell-r630")
    ident = derive_identity("rack", "n7", hw, "127.24.0.77")
    config = bmc_config(hw, ident, (UserConfig(2, "admin", "admin"),), boot_time=0.0)
    assert (config.lan.ip_address, config.lan.mac_address) == ("127.24.0.77", ident.bmc_mac)
    assert config.fru.product_serial == ident.system_serial == config.fru.board_serial
    assert config.identity.system_guid == ident.system_uuid and config.boot_time == 0.0
    assert config.fru.board_manufacturer == "DELL" and "0CNCJW" in config.fru.board_part_number
