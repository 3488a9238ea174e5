"""Application commands through Bmc.handle: the watchdog timer on a fake
clock, self test, ACPI power state and BMC global enables."""

from __future__ import annotations

import struct

from tests.bmc_sim.test_device import APP, CHASSIS, call, make_bmc, ok, sel_events

# -- watchdog -----------------------------------------------------------------------
IPMITOOL_WATCHDOG_OFF = bytes([0x04, 0x00, 0x00, 0x10, 0xB8, 0x0B])


def test_watchdog_reset_before_set_is_refused() -> None:
    """`mc watchdog reset` on a never-set timer answers 0x80."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x22).completion_code == 0x80


def test_watchdog_off_then_get() -> None:
    """`mc watchdog off` stores SMS/OS use, 300 s, and leaves the timer stopped."""
    bmc, _ = make_bmc()
    ok(bmc, APP, 0x24, IPMITOOL_WATCHDOG_OFF)
    data = ok(bmc, APP, 0x25)
    assert data[0] == 0x04  # SMS/OS, not running
    assert struct.unpack("<HH", data[4:8]) == (3000, 3000)


def test_watchdog_counts_down_and_hard_resets_on_expiry() -> None:
    """A running watchdog with the hard-reset action resets the host and logs Watchdog 2."""
    bmc, clock = make_bmc(initial_power_on=True)
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    ok(bmc, APP, 0x24, bytes([0x04, 0x01, 0x00, 0x00, 100, 0]))  # 10 s, hard reset
    ok(bmc, APP, 0x22)
    clock.advance(4)
    data = ok(bmc, APP, 0x25)
    assert data[0] & 0x40
    assert struct.unpack("<H", data[6:8])[0] == 60
    clock.advance(6)
    assert seen == [(True, "reset")]
    assert (0x23, 0xE1, 0x01, True) in sel_events(bmc)
    data = ok(bmc, APP, 0x25)
    assert data[0] & 0x40 == 0 and data[3] == 0x10  # stopped, SMS/OS expiration flag
    assert ok(bmc, CHASSIS, 0x07)[0] == 0x04  # restart cause: watchdog


def test_watchdog_power_down_action() -> None:
    """The power-down action turns the host off with cause "watchdog"."""
    bmc, clock = make_bmc(initial_power_on=True)
    ok(bmc, APP, 0x24, bytes([0x03, 0x02, 0x00, 0x00, 10, 0]))
    ok(bmc, APP, 0x22)
    clock.advance(1)
    assert not bmc.chassis.power_on


def test_watchdog_set_stops_a_running_timer() -> None:
    """Set Watchdog Timer without "don't stop" stops it; the action never happens."""
    bmc, clock = make_bmc(initial_power_on=True)
    ok(bmc, APP, 0x24, bytes([0x04, 0x02, 0x00, 0x00, 50, 0]))
    ok(bmc, APP, 0x22)
    clock.advance(1)
    ok(bmc, APP, 0x24, IPMITOOL_WATCHDOG_OFF)
    clock.advance(600)
    assert bmc.chassis.power_on
    assert len(bmc.sel) == 0


def test_watchdog_rejects_bad_settings() -> None:
    """Reserved timer use and pre-timeout longer than the countdown answer 0xCC."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x24, bytes([0x00, 0, 0, 0, 10, 0])).completion_code == 0xCC
    assert call(bmc, APP, 0x24, bytes([0x04, 0, 5, 0, 10, 0])).completion_code == 0xCC


# -- misc app -----------------------------------------------------------------------
def test_self_test_acpi_and_global_enables() -> None:
    """Self test passes, ACPI state follows power, global enables round-trip and gate SEL logging."""
    bmc, _ = make_bmc()
    assert ok(bmc, APP, 0x04) == b"\x55\x00"
    assert ok(bmc, APP, 0x07) == b"\x05\x00"
    ok(bmc, CHASSIS, 0x02, b"\x01")
    assert ok(bmc, APP, 0x07) == b"\x00\x00"
    assert ok(bmc, APP, 0x2F) == b"\x0c"
    ok(bmc, APP, 0x2E, b"\x04")
    assert ok(bmc, APP, 0x2F) == b"\x04"
    before = len(bmc.sel)
    ok(bmc, CHASSIS, 0x02, b"\x00")
    assert len(bmc.sel) == before  # SEL logging disabled
