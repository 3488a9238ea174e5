"""Fuzzing the node's DHCP and TFTP decoders (issue 14): any bytes decode or raise the codec's own error,
naming the field; never another exception.  Bounded by hypothesis's example counts."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node_sim import dhcp, tftp

FUZZ = settings(max_examples=500, deadline=None)
OFFER = dhcp.encode(
    dhcp.DhcpPacket(
        op=2, xid=0x1234, chaddr=bytes.fromhex("52540012abcd"), options={53: b"\x02", 54: b"\x0a\x00\x00\x01"}
    )
)


@FUZZ
@given(st.binary(max_size=600))
def test_dhcp_decode_takes_any_bytes(data: bytes) -> None:
    try:
        dhcp.decode(data)
    except dhcp.DhcpDecodeError as exc:
        assert str(exc)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 599), st.integers(0, 255)), min_size=1, max_size=8))
def test_dhcp_decode_takes_a_real_offer_with_bytes_changed(changes: list[tuple[int, int]]) -> None:
    mutated = bytearray(OFFER)
    for position, value in changes:
        mutated[position % len(mutated)] = value
    with contextlib.suppress(dhcp.DhcpDecodeError):
        dhcp.decode(bytes(mutated))


@FUZZ
@given(st.binary(max_size=600))
def test_tftp_decode_takes_any_bytes(data: bytes) -> None:
    try:
        tftp.decode(data)
    except tftp.TftpDecodeError as exc:
        assert str(exc)


@pytest.mark.parametrize("packet", [tftp.encode_oack({"blksize": "1432"}), tftp.encode_data(1, b"x" * 512)])
def test_tftp_decode_reads_its_own_packets(packet: bytes) -> None:
    assert tftp.decode(packet)[0] in (3, 6)
