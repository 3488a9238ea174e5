"""FRU inventory image encoding (Platform Management FRU Information Storage
Definition v1.0): common header, chassis, board and product info areas.

Every area is padded to a multiple of 8 bytes and ends with a zero checksum,
so ``ipmitool fru`` and ``ipmi-fru`` decode it without complaint.
"""

from __future__ import annotations

from bmc_sim.config import FruConfig
from bmc_sim.errors import CannotReturnBytes, NotPresent, ParameterOutOfRange

FORMAT_VERSION = 0x01
END_OF_FIELDS = 0xC1
LANGUAGE_ENGLISH = 0x00
MAX_FIELD = 63
MAX_READ = 128  # largest Read FRU Data count before 0xCA


def checksum(data: bytes) -> int:
    """The byte that makes ``data`` + checksum sum to zero modulo 256."""
    return (-sum(data)) & 0xFF


def field(text: str) -> bytes:
    """An 8-bit ASCII type/length field.

    A one-character value would encode as 0xC1, the end-of-fields marker, so
    it is padded with a space as the specification asks.
    """
    raw = text.encode("latin-1", "replace")[:MAX_FIELD]
    if len(raw) == 1:
        raw += b" "
    return bytes([0xC0 | len(raw)]) + raw


def area(header: bytes, fields: list[str]) -> bytes:
    """One info area: header bytes, fields, end marker, padding, checksum.

    ``header`` starts with the format version; its second byte (the length
    in 8-byte units) is filled in here.
    """
    body = bytearray(header) + b"".join(field(f) for f in fields) + bytes([END_OF_FIELDS])
    total = len(body) + 1
    total += -total % 8
    body += bytes(total - 1 - len(body))
    body[1] = total // 8
    return bytes(body) + bytes([checksum(bytes(body))])


def chassis_area(cfg: FruConfig) -> bytes:
    return area(bytes([FORMAT_VERSION, 0, cfg.chassis_type]), [cfg.chassis_part_number, cfg.chassis_serial])


def board_area(cfg: FruConfig) -> bytes:
    minutes = cfg.board_mfg_minutes & 0xFFFFFF
    header = bytes([FORMAT_VERSION, 0, LANGUAGE_ENGLISH]) + minutes.to_bytes(3, "little")
    fields = [cfg.board_manufacturer, cfg.board_product, cfg.board_serial, cfg.board_part_number, ""]
    return area(header, fields)


def product_area(cfg: FruConfig) -> bytes:
    fields = [
        cfg.product_manufacturer,
        cfg.product_name,
        cfg.product_part_number,
        cfg.product_version,
        cfg.product_serial,
        cfg.product_asset_tag,
        "",  # FRU file ID
    ]
    return area(bytes([FORMAT_VERSION, 0, LANGUAGE_ENGLISH]), fields)


def fru_image(cfg: FruConfig) -> bytes:
    """The whole FRU 0 image: common header followed by the three areas."""
    chassis = chassis_area(cfg)
    board = board_area(cfg)
    product = product_area(cfg)
    offset = 1  # in 8-byte units, after the common header
    offsets = []
    for part in (chassis, board, product):
        offsets.append(offset)
        offset += len(part) // 8
    header = bytes([FORMAT_VERSION, 0, offsets[0], offsets[1], offsets[2], 0, 0])
    return header + bytes([checksum(header)]) + chassis + board + product


class FruDevice:
    """FRU device 0 as Get FRU Inventory Area Info / Read FRU Data see it."""

    def __init__(self, image: bytes, device_id: int = 0) -> None:
        self.image = image
        self.device_id = device_id

    def check(self, device_id: int) -> None:
        if device_id != self.device_id:
            raise NotPresent(f"no FRU device {device_id}")

    def read(self, device_id: int, offset: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``offset`` (shorter at the end of the area)."""
        self.check(device_id)
        if count > MAX_READ:
            raise CannotReturnBytes(f"cannot return {count} bytes")
        if offset >= len(self.image):
            raise ParameterOutOfRange(f"offset {offset} beyond FRU size {len(self.image)}")
        return self.image[offset : offset + count]
