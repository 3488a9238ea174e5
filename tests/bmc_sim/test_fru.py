"""FRU 0: the image decoded back field by field (checksums, 8-byte areas) and
the Get FRU Inventory Area Info / Read FRU Data commands `ipmitool fru` uses."""

from __future__ import annotations

import struct

from bmc_sim.config import FruConfig
from bmc_sim.fru import END_OF_FIELDS, field, fru_image
from tests.bmc_sim.test_device import call, make_bmc, ok

STORAGE = 0x0A


def fields(area: bytes, start: int) -> list[str]:
    """Decode 8-bit ASCII type/length fields from ``start`` up to the end marker."""
    out = []
    i = start
    while area[i] != END_OF_FIELDS:
        length = area[i] & 0x3F
        out.append(area[i + 1 : i + 1 + length].decode("latin-1"))
        i += 1 + length
    return out


def areas(image: bytes) -> dict[str, bytes]:
    """Split the image by its common header, checking every checksum and length."""
    header = image[:8]
    assert header[0] == 0x01 and sum(header) % 256 == 0
    result = {}
    for name, slot in (("chassis", 2), ("board", 3), ("product", 4)):
        offset = header[slot] * 8
        length = image[offset + 1] * 8
        area = image[offset : offset + length]
        assert len(area) == length and length % 8 == 0
        assert area[0] == 0x01 and sum(area) % 256 == 0, f"{name} area checksum"
        result[name] = area
    return result


def test_image_decodes_to_the_configured_fields() -> None:
    """Chassis, board and product areas carry the configured strings in spec order."""
    cfg = FruConfig(
        chassis_type=0x17,
        chassis_part_number="CP-1",
        chassis_serial="CS-1",
        board_mfg_minutes=0x123456,
        board_manufacturer="DELL",
        board_product="PowerEdge R630",
        board_serial="BS-1",
        board_part_number="0CNCJWA08",
        product_manufacturer="DELL",
        product_name="PowerEdge R630",
        product_part_number="PP-1",
        product_version="01",
        product_serial="PS-1",
        product_asset_tag="AT-1",
    )
    parts = areas(fru_image(cfg))
    assert parts["chassis"][2] == 0x17
    assert fields(parts["chassis"], 3) == ["CP-1", "CS-1"]
    board = parts["board"]
    assert int.from_bytes(board[3:6], "little") == 0x123456
    assert fields(board, 6) == ["DELL", "PowerEdge R630", "BS-1", "0CNCJWA08", ""]
    product = fields(parts["product"], 3)
    assert product == ["DELL", "PowerEdge R630", "PP-1", "01", "PS-1", "AT-1", ""]


def test_one_character_fields_do_not_look_like_the_end_marker() -> None:
    """A 1-character value is padded so its type/length byte is not 0xC1."""
    assert field("A") == b"\xc2A "
    assert field("") == b"\xc0"


def test_inventory_info_and_reads() -> None:
    """`fru`: area size, then Read FRU Data in chunks reassembles the image."""
    bmc, _ = make_bmc()
    info = ok(bmc, STORAGE, 0x10, b"\x00")
    size = struct.unpack_from("<H", info)[0]
    assert size == len(bmc.fru.image) and info[2] == 0x00
    image = b""
    while len(image) < size:
        data = ok(bmc, STORAGE, 0x11, struct.pack("<BHB", 0, len(image), 24))
        assert data[0] == len(data) - 1
        image += data[1:]
    assert image == bmc.fru.image
    parts = areas(image)
    assert fields(parts["board"], 6)[0] == "Quanta"
    assert fields(parts["chassis"], 3)[1] == "QTF0001"
    assert fields(parts["product"], 3)[4] == "QTF0001"


def test_read_errors() -> None:
    """Unknown FRU device 0xCB, too many bytes 0xCA, offset beyond the end 0xC9, short request 0xC7."""
    bmc, _ = make_bmc()
    assert call(bmc, STORAGE, 0x10, b"\x01").completion_code == 0xCB
    assert call(bmc, STORAGE, 0x11, struct.pack("<BHB", 0, 0, 200)).completion_code == 0xCA
    assert call(bmc, STORAGE, 0x11, struct.pack("<BHB", 0, 4000, 8)).completion_code == 0xC9
    assert call(bmc, STORAGE, 0x11, b"\x00\x00\x00").completion_code == 0xC7


def test_read_past_the_end_is_short() -> None:
    """A read that runs past the end returns only the remaining bytes."""
    bmc, _ = make_bmc()
    size = len(bmc.fru.image)
    data = ok(bmc, STORAGE, 0x11, struct.pack("<BHB", 0, size - 3, 16))
    assert data[0] == 3 and data[1:] == bmc.fru.image[-3:]
