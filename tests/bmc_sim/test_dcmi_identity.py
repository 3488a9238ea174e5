"""DCMI asset tag, identifier string, sensor info and temperature readings in memory: the chunked reads and
writes ipmitool and ipmi-dcmi send, and the typed errors."""

from __future__ import annotations

from bmc_sim.device import Bmc
from tests.bmc_sim.test_device import USER, call, make_bmc, ok

GROUP = 0x2C
GET_TAG, GET_INFO, SET_TAG, GET_ID, SET_ID, GET_TEMPS = 0x06, 0x07, 0x08, 0x09, 0x0A, 0x10


def read_string(bmc: Bmc, cmd: int) -> bytes:
    """The whole string, read 16 bytes at a time as ipmitool does."""
    first = ok(bmc, GROUP, cmd, bytes([0xDC, 0, 16]))
    total, text = first[1], first[2:]
    while len(text) < total:
        text += ok(bmc, GROUP, cmd, bytes([0xDC, len(text), 16]))[2:]
    return text


def write_string(bmc: Bmc, cmd: int, text: bytes) -> None:
    for offset in range(0, len(text), 16):
        chunk = text[offset : offset + 16]
        ok(bmc, GROUP, cmd, bytes([0xDC, offset, len(chunk)]) + chunk)


def test_the_identifier_string_starts_as_the_bmc_name_and_is_written_in_chunks() -> None:
    bmc, _ = make_bmc()
    assert read_string(bmc, GET_ID) == b"node01"
    write_string(bmc, SET_ID, b"bmc-node01.rack7.example.net\x00")
    assert read_string(bmc, GET_ID) == b"bmc-node01.rack7.example.net"
    write_string(bmc, SET_ID, b"short\x00")  # a shorter string ends at its NUL
    assert read_string(bmc, GET_ID) == b"short"
    assert call(bmc, GROUP, SET_ID, bytes([0xDC, 0, 1]) + b"x", USER).completion_code == 0xD4  # admin only


def test_the_asset_tag_comes_from_the_fru_and_bad_chunks_are_refused() -> None:
    bmc, _ = make_bmc()
    assert read_string(bmc, GET_TAG) == b""
    write_string(bmc, SET_TAG, b"RACK7-SLOT12-ASSET-0001")
    assert read_string(bmc, GET_TAG) == b"RACK7-SLOT12-ASSET-0001"
    assert call(bmc, GROUP, GET_TAG, bytes([0xDC, 0, 17])).completion_code == 0xC9  # 16 bytes per read
    assert call(bmc, GROUP, SET_TAG, bytes([0xDC, 0, 3]) + b"ab").completion_code == 0xCC  # count != bytes
    assert call(bmc, GROUP, SET_TAG, bytes([0xDC, 60, 4]) + b"abcd").completion_code == 0xC9  # past 63 bytes
    assert call(bmc, GROUP, GET_TAG, bytes([0xDD, 0, 16])).completion_code == 0xCC  # not DCMI's group


def test_sensor_info_and_readings_by_dcmi_or_ipmi_entity_ids() -> None:
    bmc, _ = make_bmc()  # quanta-d51: Temp_CPU0/1 (entity 3), Temp_Inlet (0x37), Temp_Outlet (7)
    bmc.chassis.power_up()
    cpu = ok(bmc, GROUP, GET_INFO, bytes([0xDC, 0x01, 0x41, 0, 0]))
    assert cpu == bytes([0xDC, 2, 2, 1, 0, 2, 0])  # two instances, SDR record IDs 1 and 2
    assert ok(bmc, GROUP, GET_INFO, bytes([0xDC, 0x01, 0x03, 0, 0])) == cpu  # the IPMI entity ID too
    assert ok(bmc, GROUP, GET_INFO, bytes([0xDC, 0x01, 0x40, 0, 0])) == bytes([0xDC, 1, 1, 3, 0])
    assert ok(bmc, GROUP, GET_INFO, bytes([0xDC, 0x01, 0x41, 2, 0])) == bytes([0xDC, 1, 1, 2, 0])  # instance 2
    assert ok(bmc, GROUP, GET_TEMPS, bytes([0xDC, 0x01, 0x41, 0, 0])) == bytes([0xDC, 2, 2, 45, 1, 43, 2])
    assert ok(bmc, GROUP, GET_TEMPS, bytes([0xDC, 0x01, 0x40, 0, 0])) == bytes([0xDC, 1, 1, 24, 1])
    assert call(bmc, GROUP, GET_INFO, bytes([0xDC, 0x02, 0x41, 0, 0])).completion_code == 0xCC  # not temperature
    assert call(bmc, GROUP, GET_TEMPS, bytes([0xDC, 0x01, 0x99, 0, 0])).completion_code == 0xCC  # unknown entity


def test_below_zero_readings_carry_the_sign_bit() -> None:
    bmc, _ = make_bmc("dell-r630")  # Inlet Temp reads signed (its lower thresholds are below zero)
    bmc.chassis.power_up()
    bmc.set_sensor_reading("Inlet Temp", -5)
    # the baseboard (0x42): Exhaust Temp and Inlet Temp, both entity 7 instance 1 as on an iDRAC8
    assert ok(bmc, GROUP, GET_TEMPS, bytes([0xDC, 0x01, 0x42, 0, 0])) == bytes([0xDC, 2, 2, 38, 1, 0x85, 1])
