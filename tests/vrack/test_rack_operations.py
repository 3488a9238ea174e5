"""The rack's public operations raise domain errors that name the input and what would be valid."""

from __future__ import annotations

import pytest

from bmc_sim.config import Privilege
from bmc_sim.message import IpmiRequest, RequestContext
from tests.vrack.inmemory import MemoryRack
from vrack.errors import DeviceStateConflict, InvalidArgument, NotFound, UnknownDevice, WrongKind


def test_unknown_device_lists_the_valid_names() -> None:
    m = MemoryRack()
    with pytest.raises(UnknownDevice) as raised:
        m.rack.power_node("node9", "on", "test")
    assert raised.value.parameter == "name"
    assert raised.value.valid == ["node01", "node02", "node03", "pdu1", "sw1"]


def test_power_on_a_switch_is_the_wrong_kind() -> None:
    m = MemoryRack()
    with pytest.raises(WrongKind) as raised:
        m.rack.power_node("sw1", "on", "test")
    assert "sw1" in str(raised.value) and raised.value.valid == ["node01", "node02", "node03"]


def test_an_unknown_action_says_which_are_valid() -> None:
    m = MemoryRack()
    with pytest.raises(InvalidArgument) as raised:
        m.rack.power_node("node01", "explode", "test")
    assert raised.value.valid == ["on", "off", "cycle", "reset", "soft"]


def test_reset_of_a_powered_off_node_is_refused_in_the_bmcs_words() -> None:
    m = MemoryRack()
    m.advance(3)
    with pytest.raises(DeviceStateConflict) as raised:
        m.rack.power_node("node01", "reset", "test")
    message = str(raised.value)
    assert "0xd5" in message and "host is off" in message and raised.value.valid == ["on"]


def test_power_without_ac_is_refused() -> None:
    m = MemoryRack()
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    with pytest.raises(DeviceStateConflict, match="no AC power"):
        m.rack.power_node("node01", "on", "test")


def test_outlet_number_out_of_range() -> None:
    m = MemoryRack()
    with pytest.raises(InvalidArgument) as raised:
        m.rack.switch_outlet("pdu1", 9, "off", "test")
    assert raised.value.parameter == "outlet" and raised.value.valid == ["1..8"]


def test_no_cable_at_the_port_lists_the_cabled_ports() -> None:
    m = MemoryRack()
    with pytest.raises(NotFound) as raised:
        m.rack.set_cable("sw1", 7, False, "test")
    assert raised.value.valid == [1, 2, 3]


def test_status_reports_the_bmcs_live_users_not_the_specs() -> None:
    """A user renamed through IPMI (as RackHD's credential graph does) shows in describe()."""
    m = MemoryRack()
    m.advance(3)
    device = m.rack.devices["node01"]
    ctx = RequestContext(peer=("test", 0), privilege=Privilege.ADMINISTRATOR, in_band=True)
    name = b"__rackhd__".ljust(16, b"\0")
    bmc = device.bmc  # type: ignore[attr-defined]
    assert bmc.handle(IpmiRequest(0x06, 0x45, bytes([3]) + name), ctx).completion_code == 0  # Set User Name
    assert bmc.handle(IpmiRequest(0x06, 0x47, bytes([3, 0x01])), ctx).completion_code == 0  # enable user 3
    users = device.describe()["bmc"]["users"]
    assert "__rackhd__" in users and "admin" in users
