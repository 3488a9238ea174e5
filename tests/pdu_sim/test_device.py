"""In-memory tests of the Pdu device: outlet state machine, reboot timing, listeners, load and energy."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from pdu_sim import Pdu, PduError


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.advance(5000.0)
    return c


@pytest.fixture
def pdu(clock: Clock) -> Pdu:
    return Pdu("servertech-sentry3", name="pdu-a", outlets=8, clock=clock, reboot_delay=5.0)


def test_initial_state_names_and_off_option(clock: Clock) -> None:
    """Outlets start on by default, or off; names default to Outlet_<n> and can be given."""
    on = Pdu("apc", name="p", outlets=3, clock=clock, outlet_names=["web1", "web2"])
    off = Pdu("apc", name="q", outlets=3, clock=clock, initial_on=False)
    also_off = Pdu("apc", name="r", outlets=2, clock=clock, initial_state="off")
    assert not also_off.outlet_state(1) and not also_off.outlet_state(2)
    assert [on.outlet_state(n) for n in (1, 2, 3)] == [True, True, True]
    assert [off.outlet_state(n) for n in (1, 2, 3)] == [False, False, False]
    assert [on.outlet(n).name for n in (1, 2, 3)] == ["web1", "web2", "Outlet_3"]
    assert on.model == "apc-powernet"


def test_set_outlet_notifies_listeners_only_on_change(pdu: Pdu) -> None:
    """Listeners hear (outlet, on, cause) once per real change."""
    heard: list[tuple[int, bool, str]] = []
    pdu.add_outlet_listener(lambda n, on, cause: heard.append((n, on, cause)))
    pdu.set_outlet(3, False, "test")
    pdu.set_outlet(3, False, "test")
    pdu.set_outlet(3, True, "api")
    assert heard == [(3, False, "test"), (3, True, "api")]


def test_reboot_is_off_then_on_after_delay(pdu: Pdu, clock: Clock) -> None:
    """Reboot switches off at once and on again exactly reboot_delay seconds later."""
    heard: list[tuple[int, bool]] = []
    pdu.add_outlet_listener(lambda n, on, cause: heard.append((n, on)))
    pdu.reboot_outlet(2, "snmp")
    assert (pdu.outlet_state(2), pdu.is_rebooting(2), heard) == (False, True, [(2, False)])
    clock.advance(4.99)
    assert not pdu.outlet_state(2)
    clock.advance(0.01)
    assert (pdu.outlet_state(2), pdu.is_rebooting(2), heard) == (True, False, [(2, False), (2, True)])


def test_reboot_of_an_off_outlet_turns_it_on_later(pdu: Pdu, clock: Clock) -> None:
    """An outlet that is already off stays off for the delay, then comes on."""
    pdu.set_outlet(1, False, "t")
    pdu.reboot_outlet(1, "t")
    clock.advance(5.0)
    assert pdu.outlet_state(1)


def test_explicit_switch_cancels_a_pending_reboot(pdu: Pdu, clock: Clock) -> None:
    """An 'off' during a reboot wins: the outlet does not come back on."""
    pdu.reboot_outlet(4, "t")
    pdu.set_outlet(4, False, "t")
    clock.advance(60)
    assert not pdu.outlet_state(4) and not pdu.is_rebooting(4)


def test_delayed_switch_reports_pending_target(pdu: Pdu, clock: Clock) -> None:
    """switch_outlet_later keeps the state until the delay ends and exposes the pending target."""
    pdu.switch_outlet_later(5, False, 2.0, "t")
    assert pdu.outlet_state(5) and pdu.pending_switch(5) is False
    clock.advance(2.0)
    assert not pdu.outlet_state(5) and pdu.pending_switch(5) is None


def test_load_current_and_energy_follow_power_state(pdu: Pdu, clock: Clock) -> None:
    """Current is load/(V*PF) while on, zero while off; energy integrates watts over clock time."""
    pdu.set_outlet_load(1, 437.0)
    assert pdu.outlet_power(1) == 437.0
    assert pdu.outlet_current(1) == pytest.approx(437.0 / (230.0 * 0.95))
    clock.advance(3600)
    assert pdu.outlet_energy(1) == pytest.approx(437.0)
    pdu.set_outlet(1, False, "t")
    clock.advance(3600)
    assert (pdu.outlet_power(1), pdu.outlet_current(1)) == (0.0, 0.0)
    assert pdu.outlet_energy(1) == pytest.approx(437.0)
    assert pdu.total_power() == 0.0


def test_bad_outlet_and_config_errors(clock: Clock, pdu: Pdu) -> None:
    """Unknown outlets, unknown models and out-of-range sizes raise clear errors."""
    with pytest.raises(PduError, match="no outlet 9"):
        pdu.set_outlet(9, True, "t")
    with pytest.raises(ValueError, match="unknown PDU model 'raritan'"):
        Pdu("raritan", name="x", outlets=8, clock=clock)
    with pytest.raises(PduError, match=r"1\.\.48"):
        Pdu("apc", name="x", outlets=49, clock=clock)
    with pytest.raises(PduError, match="negative"):
        pdu.set_outlet_load(1, -5)


def test_uptime_comes_from_the_clock(pdu: Pdu, clock: Clock) -> None:
    """uptime() counts clock seconds since creation, never wall time."""
    assert pdu.uptime() == 0.0
    clock.advance(12.5)
    assert pdu.uptime() == 12.5
