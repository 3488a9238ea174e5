"""A tiny bootable CD image, made here byte by byte: ISO 9660 with an El Torito no-emulation boot image whose
code writes a message to the first serial port (COM1, I/O 0x3F8) and halts.

A VM booting it from its CD-ROM drive therefore prints the message on its serial console: proof that the
firmware read this very image, not merely that a drive was chosen.  Layout (2048-byte sectors): 16 primary
volume descriptor ("CD001", what a BMC checks), 17 El Torito boot record, 18 terminator, 19 boot catalog,
20 boot image (4 virtual 512-byte sectors, loaded at 0000:7C00), 21 root directory.
"""

from __future__ import annotations

import struct

SECTOR = 2048
CATALOG, IMAGE, ROOT, SECTORS = 19, 20, 21, 22

# 16-bit real mode, position independent (CS:IP may be 07C0:0000 or 0000:7C00):
#   call $+3; pop si; add si, msg-3; push cs; pop ds; cld; mov dx, 0x3f8
#   next: lodsb; test al, al; jz halt; out dx, al; jmp next
#   halt: hlt; jmp halt
#   msg: ...
_CODE = bytes.fromhex("e800005e83c6150e1ffcbaf803ac84c07403eeebf8f4ebfd")


def _both16(value: int) -> bytes:
    return struct.pack("<H", value) + struct.pack(">H", value)


def _both32(value: int) -> bytes:
    return struct.pack("<I", value) + struct.pack(">I", value)


def _directory_record(extent: int, name: bytes) -> bytes:
    record = struct.pack("<BB", 34, 0) + _both32(extent) + _both32(SECTOR) + bytes(7) + bytes([0x02, 0, 0])
    return record + _both16(1) + bytes([len(name)]) + name


def bootable_iso(message: str, volume: str = "VRACK_LIVE") -> bytes:
    """The image; ``message`` (ASCII) is what its boot code prints, followed by CR LF."""
    text = message.encode("ascii") + b"\r\n\x00"
    assert len(_CODE) == 24 and len(text) < 4 * 512 - len(_CODE), "the boot image is four 512-byte sectors"
    sectors = [bytearray(SECTOR) for _ in range(SECTORS)]
    pvd = sectors[16]
    pvd[0:8] = b"\x01CD001\x01\x00"
    pvd[8:40] = b"VRACK".ljust(32)
    pvd[40:72] = volume.encode("ascii").ljust(32)
    pvd[80:88] = _both32(SECTORS)
    pvd[120:124] = _both16(1)
    pvd[124:128] = _both16(1)
    pvd[128:132] = _both16(SECTOR)
    pvd[156:190] = _directory_record(ROOT, b"\x00")
    pvd[881] = 1
    boot_record = sectors[17]
    boot_record[0:7] = b"\x00CD001\x01"
    boot_record[7:39] = b"EL TORITO SPECIFICATION".ljust(32, b"\x00")
    boot_record[71:75] = struct.pack("<I", CATALOG)
    sectors[18][0:7] = b"\xffCD001\x01"
    validation = bytearray(32)
    validation[0], validation[1] = 1, 0  # header, platform x86
    validation[4:28] = b"VRACK".ljust(24, b"\x00")
    validation[30:32] = b"\x55\xaa"
    checksum = (-sum(struct.unpack("<16H", bytes(validation)))) & 0xFFFF  # all 16 words sum to 0
    validation[28:30] = struct.pack("<H", checksum)
    default = struct.pack("<BBHBBHI", 0x88, 0, 0, 0, 0, 4, IMAGE) + bytes(20)  # bootable, no emulation, 4 sectors
    sectors[CATALOG][0:64] = bytes(validation) + default
    sectors[IMAGE][0 : len(_CODE) + len(text)] = _CODE + text
    root = _directory_record(ROOT, b"\x00") + _directory_record(ROOT, b"\x01")
    sectors[ROOT][0 : len(root)] = root
    return b"".join(bytes(s) for s in sectors)
