"""Hardware models as data: every shipped model loads and builds a working
BMC, the RackHD SKU fields are there, and build_config takes per-node values."""

from __future__ import annotations

import uuid

import pytest

from bmc_sim.config import AuthType15, LanConfig, SensorKind, UserConfig
from bmc_sim.fru import fru_image
from bmc_sim.models import build_config, load_model, model_names
from tests.bmc_sim.test_device import GUID, call, make_bmc, ok

LAN = LanConfig("127.21.0.7", "52:54:00:00:00:07")
USERS = (UserConfig(2, "admin", "admin"),)


def test_shipped_models() -> None:
    """quanta-d51, dell-r630 and generic are shipped."""
    assert {"quanta-d51", "dell-r630", "generic"} <= set(model_names())


def test_unknown_model_lists_the_valid_ones() -> None:
    """An unknown name raises ValueError naming every valid model."""
    with pytest.raises(ValueError, match="quanta-d51") as excinfo:
        load_model("hp-dl360")
    assert "dell-r630" in str(excinfo.value) and "generic" in str(excinfo.value)


@pytest.mark.parametrize("model", ["quanta-d51", "dell-r630", "generic"])
def test_every_model_builds_a_bmc(model: str) -> None:
    """Each model answers Get Device ID, has drives and threshold sensors, and a valid FRU image."""
    bmc, _ = make_bmc(model)
    data = load_model(model)
    assert int.from_bytes(ok(bmc, 0x06, 0x01)[6:9], "little") == data.identity.manufacturer_id
    kinds = {s.kind for s in data.sensors}
    assert SensorKind.DRIVE in kinds and SensorKind.TEMPERATURE in kinds and SensorKind.FAN in kinds
    image = fru_image(bmc.config.fru)
    assert sum(image[:8]) % 256 == 0
    for sensor in data.sensors:
        assert call(bmc, 0x04, 0x2D, bytes([sensor.number])).completion_code == 0


def test_rackhd_sku_fields() -> None:
    """Dell R630: Board Mfg DELL, Board Part Number with 0CNCJW, IANA 674; Quanta D51: D51B-1U."""
    dell = load_model("dell-r630")
    assert dell.fru.board_manufacturer == "DELL" and "0CNCJW" in dell.fru.board_part_number
    assert dell.identity.manufacturer_id == 674
    quanta = load_model("quanta-d51")
    assert quanta.fru.board_manufacturer == "Quanta" and "D51B-1U" in quanta.fru.product_name


def test_build_config_per_node_values() -> None:
    """Serials, GUIDs, auth type names and config options land in the BmcConfig."""
    config = build_config(
        "dell-r630",
        name="node07",
        lan=LAN,
        users=USERS,
        system_serial="SYS7",
        board_serial="BRD7",
        chassis_serial="CH7",
        system_guid=str(GUID),
        auth_types_15=("md5", "password"),
        cipher_suites=[3, 17],
        boot_time=1.5,
        power_restore_policy="always-on",
    )
    fru = config.fru
    assert (fru.product_serial, fru.board_serial, fru.chassis_serial) == ("SYS7", "BRD7", "CH7")
    assert config.identity.system_guid == GUID
    assert config.identity.device_guid == uuid.uuid5(GUID, "bmc-device-guid")
    assert config.auth_types_15 == (AuthType15.MD5, AuthType15.STRAIGHT_PASSWORD)
    assert config.cipher_suites == (3, 17)
    assert (config.boot_time, config.power_restore_policy) == (1.5, "always-on")
    assert config.lan == LAN and config.users == USERS


def test_build_config_single_serial_and_defaults() -> None:
    """`serial` fills all three serials; the same inputs give the same config."""
    first = build_config("generic", name="n", lan=LAN, users=USERS, serial="S1")
    assert (first.fru.product_serial, first.fru.board_serial, first.fru.chassis_serial) == ("S1", "S1", "S1")
    assert first == build_config("generic", name="n", lan=LAN, users=USERS, serial="S1")


def test_build_config_rejects_unknown_options() -> None:
    """A misspelt option or auth type is a ValueError, not a silent default."""
    with pytest.raises(ValueError, match="boot_tme"):
        build_config("generic", name="n", lan=LAN, users=USERS, boot_tme=3)
    with pytest.raises(ValueError, match="md4"):
        build_config("generic", name="n", lan=LAN, users=USERS, auth_types_15=("md4",))
