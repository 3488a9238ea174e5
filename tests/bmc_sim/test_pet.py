"""PEF alerts in memory: which events an event filter selects and how a PET is numbered and filled."""

from __future__ import annotations

import struct

from bmc_sim.pef import preconfigured_filter
from bmc_sim.pet import PET_EPOCH, filter_matches, pet_data, specific_trap
from bmc_sim.sel import SelEvent


def _record(sensor_type: int, offset: int, asserted: bool = True, event_type: int = 0x01) -> bytes:
    event = SelEvent(sensor_type, 0x30, offset, asserted=asserted, event_type=event_type, data2=120, data3=95)
    record = bytearray(event.encode(7, 0))
    record[3:7] = struct.pack("<I", PET_EPOCH + 3600)
    return bytes(record)


def test_the_manufacturer_temperature_filter_selects_temperature_events_only() -> None:
    temperature = preconfigured_filter(0x01)
    assert filter_matches(temperature, _record(0x01, 0x09))
    assert not filter_matches(temperature, _record(0x04, 0x09))  # a fan event
    disabled = bytes([0x00]) + temperature[1:]
    assert not filter_matches(disabled, _record(0x01, 0x09))
    offsets_0_to_3 = temperature[:9] + bytes([0x0F, 0x00]) + temperature[11:]
    assert filter_matches(offsets_0_to_3, _record(0x01, 0x02)) and not filter_matches(offsets_0_to_3, _record(0x01, 9))


def test_a_pet_is_numbered_by_sensor_type_event_type_and_offset_with_the_direction() -> None:
    assert specific_trap(_record(0x01, 0x09)) == 0x010109
    assert specific_trap(_record(0x01, 0x09, asserted=False)) == 0x010189
    data = pet_data(bytes(range(16)), 5, _record(0x01, 0x09), 0x10, 7244, 0x0001)
    assert len(data) == 47 and data[:16] == bytes(range(16))
    assert struct.unpack(">HI", data[16:22]) == (5, 3600)  # sequence, seconds since 1998-01-01
    assert data[28] == 0x30 and data[31] == 0x09 and data[32:34] == bytes([120, 95])  # sensor, event data
    assert data[-1] == 0xC1  # no OEM fields
