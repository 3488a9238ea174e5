"""LAN configuration parameters: everything `ipmitool lan print 1` asks for,
Set LAN Configuration Parameters, and the refusals of a one-channel BMC."""

from __future__ import annotations

import dataclasses

import pytest

from bmc_sim.commands.transport import LanParameters
from bmc_sim.config import LanConfig
from bmc_sim.device import Bmc
from tests.bmc_sim.test_device import USER, call, make_bmc, ok

TRANSPORT = 0x0C


def lan(bmc: Bmc, param: int, set_selector: int = 0, channel: int = 1) -> bytes:
    data = ok(bmc, TRANSPORT, 0x02, bytes([channel, param, set_selector, 0]))
    assert data[0] == 0x11  # parameter revision
    return data[1:]


def test_lan_print_shows_the_configured_address() -> None:
    """IP address, source, MAC, mask and gateway come from config.lan."""
    bmc, _ = make_bmc()
    assert lan(bmc, 3) == bytes([127, 21, 0, 5])
    assert lan(bmc, 4) == b"\x01"  # static
    assert lan(bmc, 5) == bytes.fromhex("525400123456")
    assert lan(bmc, 6) == bytes([255, 255, 255, 0])
    assert lan(bmc, 12) == bytes(4)
    assert lan(bmc, 0) == b"\x00"


def test_auth_types_and_cipher_suites() -> None:
    """Auth type support/enables follow auth_types_15; param 22-24 list the cipher suites at admin."""
    bmc, _ = make_bmc()
    assert lan(bmc, 1) == bytes([0x14])  # MD5 + straight password
    assert lan(bmc, 2) == bytes([0x14, 0x14, 0x14, 0x14, 0x00])
    assert lan(bmc, 22) == b"\x04"
    assert lan(bmc, 23) == bytes([0, 1, 2, 3, 17])
    privileges = lan(bmc, 24)
    assert len(privileges) == 9
    assert privileges[1:3] == bytes([0x44, 0x44]) and privileges[3:] == bytes(6)


@pytest.mark.parametrize(
    ("param", "length"),
    [(7, 3), (10, 1), (11, 1), (13, 6), (14, 4), (15, 6), (16, 18), (17, 1), (20, 2), (21, 1), (26, 6)],
)
def test_other_lan_print_parameters(param: int, length: int) -> None:
    """Each parameter ipmitool prints is present with its specified length."""
    bmc, _ = make_bmc()
    assert len(lan(bmc, param)) == length


def test_dhcp_and_vlan_from_config() -> None:
    """IP source DHCP and an 802.1q VLAN show up as lan print expects."""
    bmc, _ = make_bmc()
    lan_config = LanConfig("127.21.0.6", "52:54:00:00:00:01", ip_source="dhcp", vlan_id=300)
    params = LanParameters(dataclasses.replace(bmc.config, lan=lan_config))
    assert params.get(4) == b"\x02"
    assert params.get(20) == bytes([300 & 0xFF, 0x80 | (300 >> 8)])


def test_unsupported_parameter_is_80() -> None:
    """A parameter this BMC does not implement answers 0x80 (ipmitool skips the line)."""
    bmc, _ = make_bmc()
    assert call(bmc, TRANSPORT, 0x02, bytes([1, 50, 0, 0])).completion_code == 0x80


def test_other_channels_are_refused() -> None:
    """`lan print 2`: channel 2 is not a LAN channel (0xCC)."""
    bmc, _ = make_bmc()
    assert call(bmc, TRANSPORT, 0x02, bytes([2, 3, 0, 0])).completion_code == 0xCC
    assert call(bmc, TRANSPORT, 0x01, bytes([2, 3, 10, 0, 0, 1])).completion_code == 0xCC


def test_revision_only() -> None:
    """Bit 7 of the channel byte asks for the parameter revision alone."""
    bmc, _ = make_bmc()
    assert ok(bmc, TRANSPORT, 0x02, bytes([0x81, 3, 0, 0])) == b"\x11"


def test_set_parameters() -> None:
    """`lan set 1 ipaddr` style writes change what is reported; read-only ones answer 0x82."""
    bmc, _ = make_bmc()
    ok(bmc, TRANSPORT, 0x01, bytes([1, 3, 10, 1, 2, 3]))
    assert lan(bmc, 3) == bytes([10, 1, 2, 3])
    ok(bmc, TRANSPORT, 0x01, bytes([1, 0, 1]))
    assert lan(bmc, 0) == b"\x01"
    assert call(bmc, TRANSPORT, 0x01, bytes([1, 22, 9])).completion_code == 0x82
    assert call(bmc, TRANSPORT, 0x01, bytes([1, 3, 10, 1])).completion_code == 0xC7
    assert call(bmc, TRANSPORT, 0x01, bytes([1, 50, 1])).completion_code == 0x80


def test_alert_destinations() -> None:
    """Destination type and address exist for set selectors 0 (volatile) to 4; parameter 17 says 4."""
    bmc, _ = make_bmc()
    assert len(lan(bmc, 18, 0)) == 4
    assert len(lan(bmc, 19, 0)) == 13
    assert lan(bmc, 17, 0)[0] == 4 and lan(bmc, 19, 4)[0] == 4
    assert call(bmc, TRANSPORT, 0x02, bytes([1, 19, 5, 0])).completion_code == 0xCC
    ok(bmc, TRANSPORT, 0x01, bytes([1, 19, 0, 0, 0, 10, 0, 0, 9, 1, 2, 3, 4, 5, 6]))
    assert lan(bmc, 19, 0)[3:7] == bytes([10, 0, 0, 9])


def test_lan_parameters_need_privilege() -> None:
    """Reading LAN parameters needs OPERATOR, writing needs ADMINISTRATOR."""
    bmc, _ = make_bmc()
    assert call(bmc, TRANSPORT, 0x02, bytes([1, 3, 0, 0]), ctx=USER).completion_code == 0xD4
