"""PEF configuration parameters and DCMI power readings in memory (fake clock): the bytes FreeIPMI's
ipmi-pef-config and ipmi-dcmi and ipmitool's dcmi/pef commands send, and the typed errors."""

from __future__ import annotations

import struct

from tests.bmc_sim.test_device import USER, call, make_bmc, ok

SE, GROUP = 0x04, 0x2C


def test_pef_capabilities_and_parameter_counts() -> None:
    bmc, _ = make_bmc()
    assert ok(bmc, SE, 0x10) == bytes([0x51, 0x0F, 16])
    assert ok(bmc, SE, 0x13, bytes([5, 0, 0])) == bytes([0x11, 16])  # event filters
    assert ok(bmc, SE, 0x13, bytes([8, 0, 0])) == bytes([0x11, 8])  # alert policies
    assert ok(bmc, SE, 0x13, bytes([0x80 | 6, 1, 0])) == bytes([0x11])  # revision only
    first = ok(bmc, SE, 0x13, bytes([6, 1, 0]))
    assert first[:2] == bytes([0x11, 1]) and first[2] == 0xC0 and first[8] == 0x01  # pre-configured, temperature


def test_pef_parameters_are_written_and_read_back() -> None:
    bmc, _ = make_bmc()
    entry = bytes([0x80, 0x01, 0x02, 0x10, 0xFF, 0xFF, 0x04, 0xFF, 0xFF, 0xFF, 0xFF] + [0] * 9)
    ok(bmc, SE, 0x12, bytes([6, 9]) + entry)
    assert ok(bmc, SE, 0x13, bytes([6, 9, 0])) == bytes([0x11, 9]) + entry
    ok(bmc, SE, 0x12, bytes([7, 9, 0x00]))  # filter 9 disabled through its data 1 parameter
    assert ok(bmc, SE, 0x13, bytes([6, 9, 0]))[2] == 0x00
    ok(bmc, SE, 0x12, bytes([9, 2, 0x28, 0x10, 0x01]))
    assert ok(bmc, SE, 0x13, bytes([9, 2, 0])) == bytes([0x11, 2, 0x28, 0x10, 0x01])
    ok(bmc, SE, 0x12, bytes([13, 1, 2]) + b"second block")
    assert ok(bmc, SE, 0x13, bytes([13, 1, 2])) == bytes([0x11, 1, 2]) + b"second block".ljust(16, b"\0")
    ok(bmc, SE, 0x12, bytes([1, 0x00]))
    assert ok(bmc, SE, 0x13, bytes([1, 0, 0])) == bytes([0x11, 0x00])


def test_pef_errors_are_typed() -> None:
    bmc, _ = make_bmc()
    assert call(bmc, SE, 0x12, bytes([5, 4])).completion_code == 0x82  # read-only
    assert call(bmc, SE, 0x13, bytes([42, 0, 0])).completion_code == 0x80  # not supported
    assert call(bmc, SE, 0x13, bytes([6, 17, 0])).completion_code == 0xC9  # filter out of range
    assert call(bmc, SE, 0x12, bytes([6, 1, 0x80])).completion_code == 0xC7  # short filter entry
    assert call(bmc, SE, 0x12, bytes([1, 0]), ctx=USER).completion_code == 0xD4  # needs administrator
    ok(bmc, SE, 0x12, bytes([0, 0x01]))
    assert call(bmc, SE, 0x12, bytes([0, 0x01])).completion_code == 0x81  # set already in progress


def test_last_processed_event_ids_and_postpone_timer() -> None:
    bmc, _ = make_bmc()
    ok(bmc, SE, 0x14, bytes([0x00, 0x05, 0x00]))
    ok(bmc, SE, 0x14, bytes([0x01, 0x07, 0x00]))
    _, last, software, by_bmc = struct.unpack("<IHHH", ok(bmc, SE, 0x15))
    assert (software, by_bmc) == (5, 7) and last == 0xFFFF  # an empty SEL
    assert ok(bmc, SE, 0x11, bytes([30])) == bytes([30])
    assert ok(bmc, SE, 0x11, bytes([0xFF])) == bytes([30])


def test_dcmi_power_reading_follows_the_meter_over_time() -> None:
    """Mode 1: current, min, max, time-weighted average since the BMC booted; the meter is swappable."""
    bmc, clock = make_bmc()
    watts = [100.0]
    bmc.power_meter = lambda: watts[0]
    bmc.power_statistics.restart()
    clock.advance(10)
    watts[0] = 300.0
    bmc.power_statistics.sample()
    clock.advance(10)
    reply = ok(bmc, GROUP, 0x02, bytes([0xDC, 0x01, 0x00, 0x00]))
    group, current, low, high, average, stamp, period, state = struct.unpack("<BHHHHIIB", reply)
    assert (group, current, low, high, average, period, state) == (0xDC, 300, 100, 300, 200, 20_000, 0x40)
    assert stamp == bmc.sel.now()
    assert call(bmc, GROUP, 0x02, bytes([0xDC, 0x02, 0x05, 0x00])).completion_code == 0xCC  # no rolling periods
    assert call(bmc, GROUP, 0x02, bytes([0xDD, 0x01, 0x00, 0x00])).completion_code == 0xCC  # not DCMI's group


def test_dcmi_capabilities() -> None:
    bmc, _ = make_bmc()
    assert ok(bmc, GROUP, 0x01, bytes([0xDC, 1])) == bytes([0xDC, 1, 5, 2, 0x0F, 0x01, 0x19])
    assert ok(bmc, GROUP, 0x01, bytes([0xDC, 4])) == bytes([0xDC, 1, 5, 2, 1, 0xFF, 0xFF])
    assert call(bmc, GROUP, 0x01, bytes([0xDC, 9])).completion_code == 0xC9
