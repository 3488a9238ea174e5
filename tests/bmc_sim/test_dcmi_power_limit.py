"""DCMI power limiting in memory (fake clock): the bytes ipmitool's ``dcmi power`` and FreeIPMI's ipmi-dcmi
send, throttling, and the exception action after the correction time."""

from __future__ import annotations

import struct

from twisted.internet.task import Clock

from bmc_sim.device import Bmc
from tests.bmc_sim.test_device import USER, call, make_bmc, ok, sel_events

GROUP, GET, SET, ACTIVATE = 0x2C, 0x03, 0x04, 0x05
POWER_SENSOR = (0x08, 48)  # quanta-d51's PSU1_PIN: sensor type power supply, number 48
UPPER_CRITICAL_GOING_HIGH = 0x09
POWER_UNIT = 0x09


def set_limit(bmc: Bmc, watts: int, action: int = 0x00, correction_ms: int = 1000, sampling_s: int = 5) -> int:
    data = bytes([0xDC, 0, 0, 0]) + struct.pack("<BHIHH", action, watts, correction_ms, 0, sampling_s)
    return call(bmc, GROUP, SET, data).completion_code


def get_limit(bmc: Bmc) -> tuple[int, tuple[int, ...]]:
    response = call(bmc, GROUP, GET, bytes([0xDC, 0, 0]))
    group, _, action, watts, correction, _, sampling = struct.unpack("<BHBHIHH", response.data)
    assert group == 0xDC
    return response.completion_code, (action, watts, correction, sampling)


def running_at(watts: float) -> tuple[Bmc, Clock]:
    bmc, clock = make_bmc()
    bmc.power_meter = lambda: watts if bmc.chassis.power_on else 10.0
    bmc.chassis.power_up()
    return bmc, clock


def test_a_limit_is_stored_and_read_back_with_no_active_limit_until_activated() -> None:
    bmc, _ = make_bmc()
    assert get_limit(bmc) == (0x80, (0, 0, 1000, 1))  # "no active set power limit", with the stored values
    assert set_limit(bmc, 300, action=0x11, correction_ms=6000, sampling_s=10) == 0
    assert get_limit(bmc) == (0x80, (0x11, 300, 6000, 10))
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 1, 0, 0]))
    assert get_limit(bmc) == (0x00, (0x11, 300, 6000, 10))
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 0, 0, 0]))
    assert get_limit(bmc)[0] == 0x80


def test_out_of_range_settings_get_dcmi_codes_and_change_nothing() -> None:
    bmc, _ = make_bmc()
    assert set_limit(bmc, 300) == 0
    assert set_limit(bmc, 0) == 0x84  # power limit out of range
    assert set_limit(bmc, 200, correction_ms=10) == 0x85  # correction time out of range
    assert set_limit(bmc, 200, sampling_s=0) == 0x89  # statistics reporting period out of range
    assert set_limit(bmc, 200, action=0x05) == 0xCC  # an OEM action this BMC does not offer
    assert get_limit(bmc)[1] == (0, 300, 1000, 5)
    assert call(bmc, GROUP, ACTIVATE, bytes([0xDC, 2, 0, 0])).completion_code == 0xCC
    assert call(bmc, GROUP, SET, bytes([0xDC, 0, 0, 0]) + bytes(11), USER).completion_code == 0xD4  # operator
    assert call(bmc, GROUP, GET, bytes([0xDC, 0, 0]), USER).completion_code == 0x80  # users may read it


def test_a_limit_the_host_can_throttle_to_caps_the_reading_and_takes_no_action() -> None:
    bmc, clock = running_at(280.0)
    set_limit(bmc, 200, action=0x01)  # 200 W >= 60 % of 280 W: throttling holds it
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 1, 0, 0]))
    clock.advance(5)
    assert bmc.power_limit.reading() == 200.0
    assert bmc.chassis.power_on and not [e for e in sel_events(bmc) if e[:2] == POWER_SENSOR]
    current = struct.unpack_from("<H", ok(bmc, GROUP, 0x02, bytes([0xDC, 1, 0, 0])), 1)[0]
    assert current == 200


def test_an_unholdable_limit_powers_the_host_off_after_the_correction_time() -> None:
    bmc, clock = running_at(280.0)
    set_limit(bmc, 100, action=0x01, correction_ms=3000)  # 100 W < 60 % of 280 W
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 1, 0, 0]))
    clock.advance(2.9)
    assert bmc.chassis.power_on
    clock.advance(0.2)
    assert not bmc.chassis.power_on
    events = sel_events(bmc)
    assert (*POWER_SENSOR, UPPER_CRITICAL_GOING_HIGH, True) in events
    assert events[-1][0] == POWER_UNIT and events[-1][3]  # power off/down asserted, after the limit event
    record = bmc.sel.entry(bmc.sel.ids()[-2])[1]
    assert record[13] & 0xF0 == 0x50  # event data 2 = reading, 3 = the limit


def test_log_only_logs_once_per_excursion_and_deactivation_cancels_the_timer() -> None:
    bmc, clock = running_at(280.0)
    set_limit(bmc, 100, action=0x11, correction_ms=1000)
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 1, 0, 0]))
    clock.advance(10)
    assert bmc.chassis.power_on
    assert [e for e in sel_events(bmc) if e[:2] == POWER_SENSOR] == [(*POWER_SENSOR, UPPER_CRITICAL_GOING_HIGH, True)]
    bmc.chassis.power_down()
    bmc.chassis.power_up()  # a new excursion
    clock.advance(0.5)
    ok(bmc, GROUP, ACTIVATE, bytes([0xDC, 0, 0, 0]))
    clock.advance(5)
    assert len([e for e in sel_events(bmc) if e[:2] == POWER_SENSOR]) == 1
