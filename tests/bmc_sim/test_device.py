"""In-memory tests of bmc_sim.device.Bmc: dispatch, privileges, lengths,
Get Device ID and GUIDs, the mc reset and AC power windows.  Every request
goes through Bmc.handle as raw bytes with a fake clock
(twisted.internet.task.Clock); the helpers here are shared by the other
device test modules."""

from __future__ import annotations

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
