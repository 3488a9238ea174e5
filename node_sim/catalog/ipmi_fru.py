"""``ipmitool fru [print [id]]``: read the FRU inventory in band and print it like ipmitool 1.8.19.

``fru`` prints the built-in FRU (ID 0) when Get Device ID announces a FRU
inventory device, then every logical FRU locator in the SDR repository other
than ID 0 on the BMC itself.  Each area (chassis, board, product) is read with
Read FRU Data and decoded field by field; empty fields are not printed.
"""

from __future__ import annotations

import struct
import time

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import APP, STORAGE, InbandIpmi, IpmiCommandError

BMC_ADDRESS = 0x20
FRU_EPOCH = 820454400  # 1996-01-01T00:00:00Z
END_OF_FIELDS = 0xC1
CHUNK = 32
FRU_LOCATOR, MC_LOCATOR = 0x11, 0x12
BCD_PLUS = "0123456789 -.:,_"
CHASSIS_TYPES = (
    "Unspecified",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "LapTop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All in One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "SubChassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system Chassis",
    "Compact PCI",
    "Advanced TCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
)
BOARD_FIELDS = ("Board Mfg", "Board Product", "Board Serial", "Board Part Number", None)
PRODUCT_FIELDS = (
    "Product Manufacturer",
    "Product Name",
    "Product Part Number",
    "Product Version",
    "Product Serial",
    "Product Asset Tag",
    None,
)


class _NotPresent(Exception):
    pass


def _field_line(label: str, value: str) -> str:
    return f" {label:<22}: {value}"


def fru_string(data: bytes, offset: int) -> tuple[str, int]:
    """Decode one type/length field at ``offset``; returns the text and the next offset."""
    if offset >= len(data):
        return "", offset
    kind, length = data[offset] >> 6, data[offset] & 0x3F
    raw = data[offset + 1 : offset + 1 + length]
    offset += 1 + length
    if kind == 3:
        return raw.decode("latin-1"), offset
    if kind == 1:
        return "".join(BCD_PLUS[b >> 4] + BCD_PLUS[b & 0x0F] for b in raw), offset
    if kind == 2:
        bits = int.from_bytes(raw, "little")
        chars = [chr(((bits >> (6 * i)) & 0x3F) + 0x20) for i in range(len(raw) * 8 // 6)]
        return "".join(chars), offset
    return raw.hex(), offset


def mfg_date(minutes: int) -> str:
    """Board manufacturing date as ipmitool prints it (``%c %Z`` in UTC)."""
    if minutes == 0:
        return "Unspecified"
    t = time.gmtime(FRU_EPOCH + minutes * 60)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t) + " UTC"


class FruReader:
    """Reads one FRU device (``fru_id``) through Get FRU Inventory Area Info + Read FRU Data."""

    def __init__(self, ipmi: InbandIpmi, fru_id: int) -> None:
        self.ipmi = ipmi
        self.fru_id = fru_id
        self.size = 0

    def open(self) -> None:
        info = self.ipmi.request(STORAGE, 0x10, bytes([self.fru_id]))
        self.size = info[0] | (info[1] << 8)

    def read(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self.size)
        out = bytearray()
        while offset < end:
            count = min(CHUNK, end - offset)
            data = self.ipmi.request(STORAGE, 0x11, struct.pack("<BHB", self.fru_id, offset, count))
            got = data[1 : 1 + data[0]]
            if not got:
                break
            out += got
            offset += len(got)
        return bytes(out)

    def area(self, offset: int) -> bytes:
        head = self.read(offset, 2)
        if len(head) < 2 or head[1] == 0:
            return b""
        return self.read(offset, head[1] * 8)


def print_fru(ipmi: InbandIpmi, c: Console, fru_id: int) -> int:
    """One FRU's areas (``__ipmi_fru_print``); problems print `` Device not present (...)``."""
    reader = FruReader(ipmi, fru_id)
    try:
        reader.open()
        header = reader.read(0, 8)
    except IpmiCommandError as exc:
        c.print(f" Device not present ({exc.text})")
        return 1
    if len(header) < 8 or header[0] != 1:
        c.error(f" Unknown FRU header version 0x{header[0] if header else 0:02x}")
        return 1
    try:
        if header[2]:
            _chassis(c, reader.area(header[2] * 8))
        if header[3]:
            _board(c, reader.area(header[3] * 8))
        if header[4]:
            _product(c, reader.area(header[4] * 8))
    except IpmiCommandError:
        return 0  # ipmitool prints what it could read and carries on
    return 0


def _extras(c: Console, data: bytes, offset: int, label: str) -> None:
    while offset < len(data) and data[offset] != END_OF_FIELDS:
        start = offset
        text, offset = fru_string(data, offset)
        if text:
            c.print(_field_line(label, text))
        if offset == start:
            break


def _chassis(c: Console, data: bytes) -> None:
    if len(data) < 3:
        return
    kind = data[2] if data[2] < len(CHASSIS_TYPES) else 2
    c.print(_field_line("Chassis Type", CHASSIS_TYPES[kind]))
    offset = 3
    for label in ("Chassis Part Number", "Chassis Serial"):
        text, offset = fru_string(data, offset)
        if text:
            c.print(_field_line(label, text))
    _extras(c, data, offset, "Chassis Extra")


def _board(c: Console, data: bytes) -> None:
    if len(data) < 6:
        return
    c.print(_field_line("Board Mfg Date", mfg_date(int.from_bytes(data[3:6], "little"))))
    offset = 6
    for label in BOARD_FIELDS:
        text, offset = fru_string(data, offset)
        if text and label:
            c.print(_field_line(label, text))
    _extras(c, data, offset, "Board Extra")


def _product(c: Console, data: bytes) -> None:
    offset = 3
    for label in PRODUCT_FIELDS:
        text, offset = fru_string(data, offset)
        if text and label:
            c.print(_field_line(label, text))
    _extras(c, data, offset, "Product Extra")


def fru_print_all(ipmi: InbandIpmi, c: Console) -> int:
    """``ipmitool fru``: the built-in FRU, then FRU locators from the SDR repository."""
    c.print("FRU Device Description : Builtin FRU Device (ID 0)")
    try:
        devid = ipmi.request(APP, 0x01)
    except IpmiCommandError as exc:
        c.error(f"Get Device ID command failed: {exc.text}")
        return 1
    rc = 0
    if len(devid) > 5 and devid[5] & 0x08:
        rc = print_fru(ipmi, c, 0)
        c.print()
    for record in _sdr_records(ipmi):
        rc = _print_locator(ipmi, c, record, rc)
    return rc


def _print_locator(ipmi: InbandIpmi, c: Console, record: bytes, rc: int) -> int:
    if len(record) < 16 or record[3] != FRU_LOCATOR:
        return rc
    body = record[5:]
    slave, device_id, logical, dev_type, modifier = body[0], body[1], body[2] & 0x80, body[5], body[6]
    if not logical or (dev_type != 0x10 and (modifier != 0x02 or not 0x08 <= dev_type <= 0x0F)):
        return rc
    if slave == BMC_ADDRESS and device_id == 0:
        return rc
    name = body[11 : 11 + (body[10] & 0x1F)].decode("latin-1")
    c.print(f"FRU Device Description : {name} (ID {device_id})")
    if modifier in (0x00, 0x02):
        rc = print_fru(ipmi, c, device_id)
    else:
        c.print(" Unsupported device")
    c.print()
    return rc


def _sdr_records(ipmi: InbandIpmi) -> list[bytes]:
    """Every SDR record, read header first and then in 16-byte pieces (as ipmitool does)."""
    code, reservation = ipmi.raw(STORAGE, 0x22)
    res = reservation[:2] if code == 0 and len(reservation) >= 2 else b"\x00\x00"
    records: list[bytes] = []
    record_id = 0
    while record_id != 0xFFFF and len(records) < 1024:
        code, data = ipmi.raw(STORAGE, 0x23, res + struct.pack("<HBB", record_id, 0, 5))
        if code != 0 or len(data) < 7:
            break
        next_id, header = struct.unpack("<H", data[:2])[0], data[2:7]
        record = bytearray(header)
        while len(record) < 5 + header[4]:
            want = min(16, 5 + header[4] - len(record))
            code, part = ipmi.raw(STORAGE, 0x23, res + struct.pack("<HBB", record_id, len(record), want))
            if code != 0 or len(part) <= 2:
                break
            record += part[2:]
        records.append(bytes(record))
        record_id = next_id
    return records
