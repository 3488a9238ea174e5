"""DHCP codec: round trips, PXE option values, and malformed packets raise errors naming the field."""

from __future__ import annotations

import pytest

from node_sim import dhcp
from node_sim.dhcp import DhcpDecodeError, DhcpPacket

MAC = "52:54:00:12:34:56"
UUID = "4c4c4544-0042-3510-8052-b4c04f4e3132"


def pxe_discover() -> DhcpPacket:
    return DhcpPacket(
        op=dhcp.BOOTREQUEST,
        xid=0xDEADBEEF,
        chaddr=dhcp.mac_bytes(MAC),
        secs=4,
        flags=dhcp.BROADCAST_FLAG,
        options={
            dhcp.OPT_MESSAGE_TYPE: bytes([dhcp.DISCOVER]),
            dhcp.OPT_PARAMETER_LIST: dhcp.PXE_PARAMETER_LIST,
            dhcp.OPT_VENDOR_CLASS: dhcp.PXE_VENDOR_CLASS.encode(),
            dhcp.OPT_CLIENT_ID: dhcp.client_id_option(MAC),
            dhcp.OPT_CLIENT_ARCH: dhcp.client_arch_option(0),
            dhcp.OPT_CLIENT_NDI: dhcp.client_ndi_option(),
            dhcp.OPT_CLIENT_UUID: dhcp.client_uuid_option(UUID),
            dhcp.OPT_USER_CLASS: b"MonoRail",
            dhcp.OPT_IPXE_ENCAP: dhcp.IPXE_FEATURES,
        },
    )


def test_round_trip_keeps_every_field_and_option() -> None:
    packet = pxe_discover()
    wire = dhcp.encode(packet)
    assert len(wire) >= 300 and wire[236:240] == dhcp.MAGIC_COOKIE
    back = dhcp.decode(wire)
    assert back == packet
    assert back.message_type == dhcp.DISCOVER and back.broadcast and back.mac == MAC
    assert back.vendor_class == "PXEClient:Arch:00000:UNDI:002001"
    assert back.options[dhcp.OPT_CLIENT_ARCH] == b"\x00\x00"
    assert back.options[dhcp.OPT_CLIENT_NDI] == b"\x01\x02\x01"
    assert dhcp.uuid_from_option(back.options[dhcp.OPT_CLIENT_UUID]) == UUID
    assert back.options[dhcp.OPT_CLIENT_ID] == b"\x01" + dhcp.mac_bytes(MAC)
    assert back.user_class == "MonoRail"


def test_reply_fields_bootfile_and_server_helpers() -> None:
    reply = DhcpPacket(
        op=dhcp.BOOTREPLY,
        xid=7,
        chaddr=dhcp.mac_bytes(MAC),
        yiaddr="10.231.0.150",
        siaddr="10.231.0.1",
        sname="rackhd",
        options={
            dhcp.OPT_MESSAGE_TYPE: bytes([dhcp.ACK]),
            dhcp.OPT_SERVER_ID: dhcp.address_option("10.231.0.1"),
            dhcp.OPT_SUBNET_MASK: dhcp.address_option("255.255.255.0"),
            dhcp.OPT_BOOTFILE: b"monorail.ipxe\x00",
            dhcp.OPT_VENDOR_SPECIFIC: bytes([6, 1, 8, 255]),
        },
    )
    back = dhcp.decode(dhcp.encode(reply))
    assert back.file == "" and back.bootfile == "monorail.ipxe"  # option 67 when `file` is empty
    assert back.server_id == "10.231.0.1" and back.tftp_server == "10.231.0.1"
    assert back.sname == "rackhd" and back.yiaddr == "10.231.0.150"
    assert dhcp.decode_tlvs(back.options[dhcp.OPT_VENDOR_SPECIFIC]) == {6: b"\x08"}


def test_long_option_is_split_and_concatenated_again() -> None:
    value = bytes(range(256)) * 2  # 512 bytes: three TLVs on the wire (RFC 3396)
    packet = DhcpPacket(op=dhcp.BOOTREPLY, xid=1, chaddr=b"\x02" * 6, options={dhcp.OPT_VENDOR_SPECIFIC: value})
    wire = dhcp.encode(packet)
    assert wire.count(bytes([dhcp.OPT_VENDOR_SPECIFIC, 255])) >= 2
    assert dhcp.decode(wire).options[dhcp.OPT_VENDOR_SPECIFIC] == value


def test_overloaded_file_field_carries_options() -> None:
    packet = DhcpPacket(op=dhcp.BOOTREPLY, xid=1, chaddr=b"\x02" * 6, options={dhcp.OPT_OVERLOAD: b"\x01"})
    wire = bytearray(dhcp.encode(packet))
    wire[108:108 + 16] = bytes([dhcp.OPT_BOOTFILE, 9]) + b"boot.ipxe" + bytes([255]) + b"\x00" * 4  # fmt: skip
    assert dhcp.decode(bytes(wire)).bootfile == "boot.ipxe"


def test_pxe_boot_menu_item_is_read_from_option_43() -> None:
    menu = bytes([9, 7, 0x80, 0x00, 4]) + b"boot" + bytes([255])
    assert dhcp.first_boot_menu_item(menu) == 0x8000
    assert dhcp.decode_tlvs(dhcp.pxe_boot_item_option(0x8000)) == {71: b"\x80\x00\x00\x00"}
    assert dhcp.first_boot_menu_item(b"\x09") is None


@pytest.mark.parametrize(
    ("mutate", "field_name"),
    [
        (lambda w: w[:200], "length"),
        (lambda w: b"\x07" + w[1:], "op"),
        (lambda w: w[:2] + b"\x20" + w[3:], "hlen"),
        (lambda w: w[:236] + b"\x00\x00\x00\x00" + w[240:], "magic cookie"),
        (lambda w: w[:240] + bytes([dhcp.OPT_MESSAGE_TYPE, 40, 1]), "options[53]"),
        (lambda w: w[:240] + bytes([dhcp.OPT_MESSAGE_TYPE]), "options[53]"),
    ],
)
def test_malformed_packets_raise_an_error_naming_the_field(mutate: object, field_name: str) -> None:
    wire = dhcp.encode(pxe_discover())
    with pytest.raises(DhcpDecodeError) as info:
        dhcp.decode(mutate(wire))  # type: ignore[operator]
    assert info.value.field == field_name


def test_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        dhcp.mac_bytes("52:54:00")
    with pytest.raises(DhcpDecodeError):
        dhcp.encode(DhcpPacket(op=1, xid=1, chaddr=b"\x00" * 6, ciaddr="10.1.2"))
    assert dhcp.uuid_from_option(b"\x01" * 17) is None
