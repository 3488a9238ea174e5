"""A forced sensor reading crosses thresholds the way a BMC reports it: readings, status bits, SEL events."""

from __future__ import annotations

import struct

import pytest

from bmc_sim.message import IpmiRequest
from tests.bmc_sim.test_device import IN_BAND, make_bmc


def _sel_events(bmc: object) -> list[tuple[int, int, int, int, int]]:
    """(sensor number, direction|type, data1, data2, data3) of every SEL record."""
    out = []
    sel = bmc.sel  # type: ignore[attr-defined]
    for record_id in sel.ids():
        _, record = sel.entry(record_id)
        sensor, dir_type, d1, d2, d3 = struct.unpack_from("<BBBBB", record, 11)
        out.append((sensor, dir_type, d1, d2, d3))
    return out


def _powered_bmc() -> object:
    bmc, _ = make_bmc()
    assert bmc.handle(IpmiRequest(0x00, 0x02, bytes([1])), IN_BAND).completion_code == 0
    return bmc


def test_crossing_upper_thresholds_logs_going_high_assertions_in_order() -> None:
    bmc = _powered_bmc()
    before = len(_sel_events(bmc))
    records = bmc.set_sensor_reading("Temp_CPU0", 91.0)  # type: ignore[attr-defined]
    events = _sel_events(bmc)[before:]
    assert len(records) == 2
    assert [(e[1], e[2] & 0x0F, e[2] & 0xF0) for e in events] == [(0x01, 0x07, 0x50), (0x01, 0x09, 0x50)]
    reading = bmc.handle(IpmiRequest(0x04, 0x2D, bytes([1])), IN_BAND)  # type: ignore[attr-defined]
    assert reading.data[2] & 0x18 == 0x18  # status: at or above upper non-critical and upper critical


def test_returning_to_normal_deasserts_and_an_unknown_sensor_names_the_valid_ones() -> None:
    bmc = _powered_bmc()
    bmc.set_sensor_reading("Temp_CPU0", 91.0)  # type: ignore[attr-defined]
    mark = len(_sel_events(bmc))
    bmc.set_sensor_reading("Temp_CPU0", None)  # type: ignore[attr-defined]
    assert [e[1] for e in _sel_events(bmc)[mark:]] == [0x81, 0x81]  # deassertions
    with pytest.raises(KeyError, match="Temp_Inlet"):
        bmc.set_sensor_reading("Temp_GPU9", 1.0)  # type: ignore[attr-defined]


def test_a_fan_failing_low_asserts_going_low() -> None:
    bmc = _powered_bmc()
    mark = len(_sel_events(bmc))
    bmc.set_sensor_reading("Fan_SYS0", 0.0)  # type: ignore[attr-defined]
    offsets = [e[2] & 0x0F for e in _sel_events(bmc)[mark:]]
    assert offsets == [0x00, 0x02, 0x04]  # lower non-critical, critical, non-recoverable going low
