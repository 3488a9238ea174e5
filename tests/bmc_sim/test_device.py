"""In-memory tests of bmc_sim.device.Bmc: dispatch, privileges, lengths, the
mc reset and AC power windows, chassis power and boot options, identify and
the watchdog.  Every request goes through Bmc.handle as raw bytes with a fake
clock (twisted.internet.task.Clock)."""

from __future__ import annotations

import struct
import uuid
from typing import Any

import pytest
from twisted.internet.task import Clock

from bmc_sim.config import LanConfig, Privilege, UserConfig
from bmc_sim.device import Bmc
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext
from bmc_sim.models import build_config

GUID = uuid.UUID("4c4c4544-0031-3510-8051-b4c04f333732")
ADMIN = RequestContext(peer=("127.21.0.9", 40000), privilege=Privilege.ADMINISTRATOR, user_name="admin", user_id=2)
USER = RequestContext(peer=("127.21.0.9", 40000), privilege=Privilege.USER, user_name="viewer", user_id=3)
IN_BAND = RequestContext(peer=("kcs", 0), channel=0x0F, in_band=True)
CHASSIS, APP, STORAGE = 0x00, 0x06, 0x0A


def make_bmc(model: str = "quanta-d51", **overrides: Any) -> tuple[Bmc, Clock]:
    clock = Clock()
    config = build_config(
        model,
        name="node01",
        lan=LanConfig("127.21.0.5", "52:54:00:12:34:56"),
        users=(UserConfig(2, "admin", "admin"),),
        serial="QTF0001",
        system_guid=GUID,
        **overrides,
    )
    return Bmc(config, clock), clock


def call(bmc: Bmc, netfn: int, cmd: int, data: bytes = b"", ctx: RequestContext = ADMIN) -> IpmiResponse:
    return bmc.handle(IpmiRequest(netfn, cmd, data), ctx)


def ok(bmc: Bmc, netfn: int, cmd: int, data: bytes = b"", ctx: RequestContext = ADMIN) -> bytes:
    response = call(bmc, netfn, cmd, data, ctx)
    assert response.completion_code == 0, f"{netfn:#x}/{cmd:#x} -> {response.completion_code:#x}"
    return response.data


def sel_events(bmc: Bmc) -> list[tuple[int, int, int, bool]]:
    """(sensor type, sensor number, offset, asserted) of every SEL entry, oldest first."""
    events = []
    for record_id in bmc.sel.ids():
        record = bmc.sel.entry(record_id)[1]
        events.append((record[10], record[11], record[13] & 0x0F, not record[12] & 0x80))
    return events


# -- dispatch -------------------------------------------------------------------
def test_unknown_command_is_invalid_command() -> None:
    """A command nobody registered answers 0xC1."""
    bmc, _ = make_bmc()
    assert call(bmc, 0x2E, 0x01).completion_code == 0xC1


def test_session_commands_belong_to_the_session_layer() -> None:
    """Get Channel Auth Capabilities is not the device's, but it still has a name."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x38, b"\x0e\x04").completion_code == 0xC1
    assert bmc.command_name(APP, 0x38) == "app.get_channel_auth_capabilities"


def test_command_names() -> None:
    """Registered commands have area.verb names; unknown ones a netfn/cmd name."""
    bmc, _ = make_bmc()
    assert bmc.command_name(CHASSIS, 0x01) == "chassis.get_status"
    assert bmc.command_name(STORAGE, 0x44) == "storage.add_sel_entry"
    assert bmc.command_name(0x2E, 0x01) == "netfn0x2e.cmd0x01"


def test_privilege_below_the_commands_is_refused() -> None:
    """A USER session may read status but not control power (0xD4); in-band may."""
    bmc, _ = make_bmc()
    assert call(bmc, CHASSIS, 0x01, ctx=USER).completion_code == 0
    assert call(bmc, CHASSIS, 0x02, b"\x01", ctx=USER).completion_code == 0xD4
    assert not bmc.chassis.power_on
    assert call(bmc, CHASSIS, 0x02, b"\x01", ctx=IN_BAND).completion_code == 0
    assert bmc.chassis.power_on


def test_wrong_request_length_is_c7() -> None:
    """Too short or too long request data answers 0xC7 and changes nothing."""
    bmc, _ = make_bmc()
    assert call(bmc, CHASSIS, 0x02, b"").completion_code == 0xC7
    assert call(bmc, CHASSIS, 0x02, b"\x01\x00").completion_code == 0xC7
    assert call(bmc, STORAGE, 0x23, b"\x00" * 5).completion_code == 0xC7
    assert call(bmc, STORAGE, 0x44, b"\x00" * 15).completion_code == 0xC7
    assert not bmc.chassis.power_on


def test_failing_listener_does_not_break_the_command() -> None:
    """A power listener that raises is logged; the command still succeeds."""
    bmc, _ = make_bmc()
    seen: list[tuple[bool, str]] = []

    def broken(on: bool, cause: str) -> None:
        raise RuntimeError("listener bug")

    bmc.add_power_listener(broken)
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    assert ok(bmc, CHASSIS, 0x02, b"\x01") == b""
    assert seen == [(True, "ipmi")]


def test_get_device_id_is_fifteen_bytes() -> None:
    """Get Device ID carries aux firmware (freeipmi needs 11 or 15 bytes) and the model's IDs."""
    bmc, _ = make_bmc()
    data = ok(bmc, APP, 0x01)
    assert len(data) == 15
    assert data[0] == 0x20 and data[1] & 0x80 == 0  # no device SDRs: ipmitool reads the repository
    assert (data[2], data[3], data[4]) == (3, 0x20, 0x02)  # firmware 3.20, IPMI 2.0
    assert data[5] & 0x02  # SDR repository device
    assert int.from_bytes(data[6:9], "little") == 7244


def test_guids_in_ipmi_byte_order() -> None:
    """System GUID is the configured UUID with its bytes reversed (IPMI 2.0 section 20.8)."""
    bmc, _ = make_bmc()
    assert uuid.UUID(bytes=ok(bmc, APP, 0x37)[::-1]) == GUID
    device = uuid.UUID(bytes=ok(bmc, APP, 0x08)[::-1])
    assert device == bmc.config.identity.device_guid != GUID


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


# -- mc reset and AC power ----------------------------------------------------------------
def test_mc_reset_cold_silences_the_bmc_for_the_reset_time() -> None:
    """`mc reset cold` is answered, then the BMC is unresponsive for mc_reset_time and back."""
    bmc, clock = make_bmc(mc_reset_time=5.0, initial_power_on=True)
    kinds: list[str] = []
    bmc.add_reset_listener(kinds.append)
    assert ok(bmc, APP, 0x02) == b""
    assert not bmc.responsive
    assert call(bmc, APP, 0x01).completion_code == 0xC0
    clock.advance(4.9)
    assert not bmc.responsive
    clock.advance(0.1)
    assert bmc.responsive
    assert len(ok(bmc, APP, 0x01)) == 15
    assert kinds == ["cold"]
    assert bmc.chassis.power_on  # the host is not affected


def test_mc_reset_warm_and_privilege() -> None:
    """Warm reset also silences the BMC; an OPERATOR may not reset it."""
    bmc, clock = make_bmc(mc_reset_time=2.0)
    operator = RequestContext(peer=("127.21.0.9", 1), privilege=Privilege.OPERATOR)
    assert call(bmc, APP, 0x03, ctx=operator).completion_code == 0xD4
    ok(bmc, APP, 0x03)
    assert not bmc.responsive
    clock.advance(2)
    assert bmc.responsive


def test_ac_loss_powers_the_host_off_and_silences_the_bmc() -> None:
    """Without AC the host is off at once (listeners told "ac-lost") and the BMC is silent."""
    bmc, _ = make_bmc(initial_power_on=True)
    seen: list[tuple[bool, str]] = []
    bmc.add_power_listener(lambda on, cause: seen.append((on, cause)))
    bmc.set_ac_power(False)
    assert not bmc.responsive and not bmc.ac_powered
    assert not bmc.chassis.power_on
    assert seen == [(False, "ac-lost")]
    assert call(bmc, APP, 0x01).completion_code == 0xC0


@pytest.mark.parametrize(
    ("policy", "was_on", "on_after"),
    [
        ("always-on", False, True),
        ("always-off", True, False),
        ("previous", True, True),
        ("previous", False, False),
    ],
)
def test_ac_restore_applies_the_policy_after_boot_time(policy: str, was_on: bool, on_after: bool) -> None:
    """AC back: silent for boot_time, then "AC lost" is logged and the restore policy applied."""
    bmc, clock = make_bmc(power_restore_policy=policy, initial_power_on=was_on, boot_time=3.0)
    bmc.set_ac_power(False)
    clock.advance(100)
    bmc.set_ac_power(True)
    assert not bmc.responsive
    clock.advance(2.9)
    assert not bmc.responsive and not bmc.chassis.power_on
    clock.advance(0.1)
    assert bmc.responsive
    assert bmc.chassis.power_on is on_after
    events = sel_events(bmc)
    assert (0x09, 0xE0, 0x04, True) in events  # AC lost
    assert ok(bmc, CHASSIS, 0x01)[1] & 0x01  # last power event: AC failed
    if on_after:
        assert ok(bmc, CHASSIS, 0x07)[0] == (0x06 if policy == "always-on" else 0x07)


def test_ac_flicker_during_boot_restarts_the_boot() -> None:
    """AC lost again while the BMC boots: the boot starts over when AC returns."""
    bmc, clock = make_bmc(boot_time=3.0)
    bmc.set_ac_power(False)
    bmc.set_ac_power(True)
    clock.advance(2)
    bmc.set_ac_power(False)
    bmc.set_ac_power(True)
    clock.advance(2)
    assert not bmc.responsive
    clock.advance(1)
    assert bmc.responsive


def test_ac_loss_stops_pending_timers() -> None:
    """A power cycle in progress does not complete after AC is lost."""
    bmc, clock = make_bmc(initial_power_on=True, power_restore_policy="always-off")
    ok(bmc, CHASSIS, 0x02, b"\x02")
    bmc.set_ac_power(False)
    clock.advance(10)
    assert not bmc.chassis.power_on


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
