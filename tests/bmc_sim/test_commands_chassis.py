"""Chassis commands through Bmc.handle: power on/off/cycle/reset/soft with
their SEL entries and clock timing, status bytes, identify, restore policy,
POH, and the boot option lines RackHD and ipmitool send."""

from __future__ import annotations

import struct

import pytest

from bmc_sim.device import Bmc
from tests.bmc_sim.test_device import CHASSIS, call, make_bmc, ok, sel_events


# -- chassis power ----------------------------------------------------------------
def test_power_on_and_off_log_sel_and_notify() -> None:
    """Power up / down flip bit 0 of Get Chassis Status, log Power Unit events and tell listeners."""
    bmc, _ = make_bmc()
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    assert ok(bmc, CHASSIS, 0x01)[0] & 0x01 == 0
    ok(bmc, CHASSIS, 0x02, b"\x01")
    assert ok(bmc, CHASSIS, 0x01)[0] & 0x01 == 1
    assert ok(bmc, CHASSIS, 0x01)[1] & 0x10  # last power event: on via IPMI
    ok(bmc, CHASSIS, 0x02, b"\x00")
    assert ok(bmc, CHASSIS, 0x01)[0] & 0x01 == 0
    assert seen == [(True, "ipmi"), (False, "ipmi")]
    assert sel_events(bmc) == [(0x09, 0xE0, 0, False), (0x09, 0xE0, 0, True)]


def test_power_on_when_on_changes_nothing() -> None:
    """A second power on is accepted and logs nothing."""
    bmc, _ = make_bmc(initial_power_on=True)
    ok(bmc, CHASSIS, 0x02, b"\x01")
    assert len(bmc.sel) == 0


def test_power_cycle_comes_back_after_one_second() -> None:
    """Cycle: off at once, on again 1 s later on the clock."""
    bmc, clock = make_bmc(initial_power_on=True)
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    ok(bmc, CHASSIS, 0x02, b"\x02")
    assert not bmc.chassis.power_on
    clock.advance(0.99)
    assert not bmc.chassis.power_on
    clock.advance(0.01)
    assert bmc.chassis.power_on
    assert seen == [(False, "ipmi"), (True, "ipmi")]
    assert [e[2] for e in sel_events(bmc)] == [1, 0, 0]  # power cycle, off, on
    assert ok(bmc, CHASSIS, 0x07)[0] == 0x01  # restart cause: chassis control


def test_power_cycle_and_reset_while_off_are_refused() -> None:
    """Cycle and hard reset of a powered-off host answer 0xD5."""
    bmc, _ = make_bmc()
    assert call(bmc, CHASSIS, 0x02, b"\x02").completion_code == 0xD5
    assert call(bmc, CHASSIS, 0x02, b"\x03").completion_code == 0xD5
    assert call(bmc, CHASSIS, 0x02, b"\x09").completion_code == 0xCC


def test_power_off_cancels_a_pending_cycle() -> None:
    """An explicit power off during a cycle keeps the host off."""
    bmc, clock = make_bmc(initial_power_on=True)
    ok(bmc, CHASSIS, 0x02, b"\x02")
    ok(bmc, CHASSIS, 0x02, b"\x00")
    clock.advance(5)
    assert not bmc.chassis.power_on


def test_hard_reset_keeps_power_and_reports_a_reset() -> None:
    """Hard reset tells listeners (True, "reset") and logs a System Restart event."""
    bmc, _ = make_bmc(initial_power_on=True)
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    ok(bmc, CHASSIS, 0x02, b"\x03")
    assert bmc.chassis.power_on
    assert seen == [(True, "reset")]
    assert sel_events(bmc) == [(0x1D, 0xE2, 1, True)]


def test_soft_shutdown_powers_off_after_the_os_delay() -> None:
    """ACPI soft off: still on right after the command, off 3 s later."""
    bmc, clock = make_bmc(initial_power_on=True)
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    ok(bmc, CHASSIS, 0x02, b"\x05")
    assert bmc.chassis.power_on
    clock.advance(3)
    assert not bmc.chassis.power_on
    assert seen == [(False, "soft")]


def test_diagnostic_interrupt_needs_power() -> None:
    """Pulse diagnostic interrupt works on a running host and is refused on an off one."""
    bmc, _ = make_bmc()
    assert call(bmc, CHASSIS, 0x02, b"\x04").completion_code == 0xD5
    ok(bmc, CHASSIS, 0x02, b"\x01")
    ok(bmc, CHASSIS, 0x02, b"\x04")


def test_chassis_status_reports_restore_policy() -> None:
    """Byte 1 bits 6:5 carry the restore policy; Set Power Restore Policy changes it."""
    bmc, _ = make_bmc(power_restore_policy="always-off")
    assert (ok(bmc, CHASSIS, 0x01)[0] >> 5) & 0x03 == 0
    assert ok(bmc, CHASSIS, 0x06, b"\x02") == b"\x07"
    assert (ok(bmc, CHASSIS, 0x01)[0] >> 5) & 0x03 == 2
    assert ok(bmc, CHASSIS, 0x06, b"\x03") == b"\x07"  # no change, report support
    assert bmc.chassis.restore_policy == "always-on"
    assert len(ok(bmc, CHASSIS, 0x01)) in (3, 4)


def test_identify_force_temporary_and_off() -> None:
    """Byte 3 bits 5:4 of chassis status: force -> on, interval -> temporary until it ends, 0 -> off."""
    bmc, clock = make_bmc()

    def identify() -> int:
        return (ok(bmc, CHASSIS, 0x01)[2] >> 4) & 0x03

    ok(bmc, CHASSIS, 0x04, b"\x00\x01")  # chassis identify force
    assert identify() == 2
    ok(bmc, CHASSIS, 0x04, b"\x00")  # chassis identify 0
    assert identify() == 0
    ok(bmc, CHASSIS, 0x04, b"\x05")
    assert identify() == 1
    clock.advance(4.9)
    assert identify() == 1
    clock.advance(0.1)
    assert identify() == 0
    ok(bmc, CHASSIS, 0x04)  # default 15 s
    clock.advance(14)
    assert identify() == 1
    clock.advance(1)
    assert identify() == 0


def test_poh_counter_counts_powered_hours() -> None:
    """Get POH Counter: 60 minutes per count, only while the host is on."""
    bmc, clock = make_bmc()
    ok(bmc, CHASSIS, 0x02, b"\x01")
    clock.advance(3 * 3600 + 10)
    ok(bmc, CHASSIS, 0x02, b"\x00")
    clock.advance(10 * 3600)
    data = ok(bmc, CHASSIS, 0x0F)
    assert data[0] == 60
    assert struct.unpack("<I", data[1:5])[0] == 3


def test_capabilities() -> None:
    """Get Chassis Capabilities names the BMC as FRU, SDR, SEL and SM device."""
    bmc, _ = make_bmc()
    assert ok(bmc, CHASSIS, 0x00) == bytes([0x00, 0x20, 0x20, 0x20, 0x20])


# -- boot options -------------------------------------------------------------------
def ipmitool_bootdev(bmc: Bmc, selector: int, flags0: int = 0x80) -> None:
    """The request sequence of `ipmitool chassis bootdev <dev>`."""
    ok(bmc, CHASSIS, 0x08, b"\x00\x01")  # set in progress
    ok(bmc, CHASSIS, 0x08, b"\x04\x01\x01")  # boot info acknowledge
    ok(bmc, CHASSIS, 0x08, bytes([0x05, flags0, selector, 0, 0, 0]))
    ok(bmc, CHASSIS, 0x08, b"\x00\x02")  # commit write
    ok(bmc, CHASSIS, 0x08, b"\x00\x00")  # set complete


def test_rackhd_set_boot_pxe() -> None:
    """`raw 0x00 0x08 0x03 0x08` then `chassis bootdev pxe` -> param 5 reads Force PXE, listener told."""
    bmc, clock = make_bmc()
    seen: list[tuple[str, bool]] = []
    bmc.add_boot_listener(lambda device, persistent: seen.append((device, persistent)))
    ok(bmc, CHASSIS, 0x08, b"\x03\x08")
    ipmitool_bootdev(bmc, 0x04)
    assert ok(bmc, CHASSIS, 0x09, b"\x05\x00\x00") == bytes([0x01, 0x05, 0x80, 0x04, 0, 0, 0])
    assert ok(bmc, CHASSIS, 0x09, b"\x03\x00\x00") == bytes([0x01, 0x03, 0x08])
    assert ok(bmc, CHASSIS, 0x09, b"\x00\x00\x00") == bytes([0x01, 0x00, 0x00])
    assert seen == [("pxe", False)]
    clock.advance(120)  # no-timeout was set: the flag stays valid
    assert bmc.chassis.boot.valid


def test_boot_flags_expire_after_sixty_seconds_without_no_timeout() -> None:
    """Without param 3 bit 3 the valid bit clears 60 s after being set (IPMI 2.0 28.12)."""
    bmc, clock = make_bmc()
    ipmitool_bootdev(bmc, 0x04)
    clock.advance(59)
    assert bmc.chassis.boot.valid
    clock.advance(1)
    assert not bmc.chassis.boot.valid


def test_chassis_control_stops_the_boot_flag_timer() -> None:
    """A power on within 60 s uses the override; a one-shot override is consumed by that boot."""
    bmc, _ = make_bmc()
    ipmitool_bootdev(bmc, 0x04)
    ok(bmc, CHASSIS, 0x02, b"\x01")
    assert bmc.chassis.current_boot is not None
    assert bmc.chassis.current_boot.device == "pxe"
    assert not bmc.chassis.boot.valid
    ok(bmc, CHASSIS, 0x02, b"\x03")
    assert bmc.chassis.current_boot.device == "default"


def test_persistent_efi_boot_disk_survives_boots() -> None:
    """`bootdev disk options=persistent,efiboot` keeps applying across boots."""
    bmc, _ = make_bmc()
    seen: list[tuple[str, bool]] = []
    bmc.add_boot_listener(lambda device, persistent: seen.append((device, persistent)))
    ipmitool_bootdev(bmc, 0x08, flags0=0xE0)
    for _ in range(2):
        ok(bmc, CHASSIS, 0x02, b"\x01")
        assert bmc.chassis.current_boot is not None
        assert (bmc.chassis.current_boot.device, bmc.chassis.current_boot.persistent) == ("disk", True)
        assert bmc.chassis.current_boot.efi
        ok(bmc, CHASSIS, 0x02, b"\x00")
    assert seen == [("disk", True)]


@pytest.mark.parametrize(
    ("selector", "device"),
    [(0x04, "pxe"), (0x08, "disk"), (0x0C, "safe"), (0x10, "diag"), (0x14, "cdrom"), (0x18, "bios")],
)
def test_boot_device_names(selector: int, device: str) -> None:
    """Each boot device selector maps to the name boot listeners receive."""
    bmc, _ = make_bmc()
    seen: list[str] = []
    bmc.add_boot_listener(lambda name, persistent: seen.append(name))
    ipmitool_bootdev(bmc, selector)
    assert seen == [device]


def test_boot_info_acknowledge_applies_the_write_mask() -> None:
    """Param 4 only changes the bits selected by its write mask."""
    bmc, _ = make_bmc()
    ok(bmc, CHASSIS, 0x08, b"\x04\x03\x03")
    ok(bmc, CHASSIS, 0x08, b"\x04\x01\x00")
    assert ok(bmc, CHASSIS, 0x09, b"\x04\x00\x00")[3] == 0x02


def test_unsupported_or_malformed_boot_parameters() -> None:
    """Unknown parameter 0x80 (get and set), wrong parameter length 0xC7."""
    bmc, _ = make_bmc()
    assert call(bmc, CHASSIS, 0x09, b"\x09\x00\x00").completion_code == 0x80
    assert call(bmc, CHASSIS, 0x08, b"\x09\x00").completion_code == 0x80
    assert call(bmc, CHASSIS, 0x08, b"\x05\x80\x04").completion_code == 0xC7
    assert call(bmc, CHASSIS, 0x08, b"\x00\x03").completion_code == 0xCC
