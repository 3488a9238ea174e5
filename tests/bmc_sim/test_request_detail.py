"""Requests decoded into ipmitool's words for the journal, and nothing decoded that may carry a secret."""

from __future__ import annotations

import pytest

from bmc_sim.request_detail import DECODERS, request_detail


@pytest.mark.parametrize(
    ("netfn", "cmd", "data", "words"),
    [
        (0x00, 0x02, b"\x01", "power on"),
        (0x00, 0x02, b"\x00", "power off"),
        (0x00, 0x02, b"\x05", "power soft"),
        (0x00, 0x02, b"\x0e", ""),
        (0x00, 0x02, b"", ""),
        (0x00, 0x04, b"", "identify 15"),
        (0x00, 0x04, b"\x00", "identify off"),
        (0x00, 0x04, b"\x00\x01", "identify force"),
        (0x00, 0x06, b"\x02", "policy always-on"),
        (0x00, 0x08, b"\x05\x80\x04\x00\x00", "bootdev pxe"),
        (0x00, 0x08, b"\x05\xc0\x08\x00\x00", "bootdev disk options=persistent"),
        (0x00, 0x08, b"\x03\x1f", ""),
        (0x06, 0x47, b"\x02\x02secret", ""),  # set user password: never decoded
    ],
)
def test_requests_in_ipmitool_words(netfn: int, cmd: int, data: bytes, words: str) -> None:
    assert request_detail(netfn, cmd, data) == words


def test_no_user_or_lan_command_is_decoded() -> None:
    assert all(netfn == 0x00 for netfn, _ in DECODERS)  # chassis commands only: no user, LAN or key data
