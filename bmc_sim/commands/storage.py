"""Storage commands (netfn 0x0a): FRU inventory, SDR repository and SEL."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import InvalidDataField
from bmc_sim.message import RequestContext
from bmc_sim.sel import RECORD_SIZE, UNSPECIFIED_TIME

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

STORAGE = 0x0A
REPOSITORY_VERSION = 0x51
CLEAR_SIGNATURE = b"CLR"
CLEAR_INITIATE = 0xAA
CLEAR_STATUS = 0x00
ERASE_COMPLETED = 0x01
# Get SEL Info operation support: delete, reserve, get allocation info
SEL_SUPPORT = 0x08 | 0x02 | 0x01
# Get SDR Repository Info operation support: non-modal update, reserve, get allocation info
SDR_SUPPORT = 0x20 | 0x02 | 0x01


def _allocation(units: int, free: int) -> bytes:
    return struct.pack("<HHHHB", units, RECORD_SIZE, free, free, 1)


# -- FRU ----------------------------------------------------------------------
@command(netfn=STORAGE, cmd=0x10, name="storage.get_fru_info", privilege=Privilege.USER, min_len=1, max_len=1)
def get_fru_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.fru.check(data[0])
    return struct.pack("<HB", len(bmc.fru.image), 0x00)  # byte access


@command(netfn=STORAGE, cmd=0x11, name="storage.read_fru", privilege=Privilege.USER, min_len=4, max_len=4)
def read_fru(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    offset = struct.unpack_from("<H", data, 1)[0]
    chunk = bmc.fru.read(data[0], offset, data[3])
    return bytes([len(chunk)]) + chunk


# -- SDR repository ---------------------------------------------------------------
@command(netfn=STORAGE, cmd=0x20, name="storage.get_sdr_info", privilege=Privilege.USER, max_len=0)
def get_sdr_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    repo = bmc.sdr
    return struct.pack(
        "<BHHIIB", REPOSITORY_VERSION, len(repo), repo.free_bytes, repo.created, UNSPECIFIED_TIME, SDR_SUPPORT
    )


@command(netfn=STORAGE, cmd=0x21, name="storage.get_sdr_allocation", privilege=Privilege.USER, max_len=0)
def get_sdr_allocation(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<HHHHB", len(bmc.sdr), 64, 0, 0, 1)


@command(netfn=STORAGE, cmd=0x22, name="storage.reserve_sdr", privilege=Privilege.USER, max_len=0)
def reserve_sdr(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<H", bmc.sdr.reserve())


@command(netfn=STORAGE, cmd=0x23, name="storage.get_sdr", privilege=Privilege.USER, min_len=6, max_len=6)
def get_sdr(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    reservation, record_id, offset, count = struct.unpack("<HHBB", data)
    result = bmc.sdr.read(reservation, record_id, offset, count)
    return struct.pack("<H", result.next_id) + result.data


# -- SEL ----------------------------------------------------------------------------
@command(netfn=STORAGE, cmd=0x40, name="storage.get_sel_info", privilege=Privilege.USER, max_len=0)
def get_sel_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    sel = bmc.sel
    support = SEL_SUPPORT | (0x80 if sel.overflow else 0)
    return struct.pack(
        "<BHHIIB",
        REPOSITORY_VERSION,
        len(sel),
        sel.free_entries * RECORD_SIZE,
        sel.last_add,
        sel.last_erase,
        support,
    )


@command(netfn=STORAGE, cmd=0x41, name="storage.get_sel_allocation", privilege=Privilege.USER, max_len=0)
def get_sel_allocation(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return _allocation(bmc.sel.capacity, bmc.sel.free_entries)


@command(netfn=STORAGE, cmd=0x42, name="storage.reserve_sel", privilege=Privilege.USER, max_len=0)
def reserve_sel(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<H", bmc.sel.reserve())


@command(netfn=STORAGE, cmd=0x43, name="storage.get_sel_entry", privilege=Privilege.USER, min_len=6, max_len=6)
def get_sel_entry(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    reservation, record_id, offset, count = struct.unpack("<HHBB", data)
    if offset or reservation:
        bmc.sel.check_reservation(reservation)
    next_id, record = bmc.sel.entry(record_id)
    if offset >= RECORD_SIZE:
        raise InvalidDataField(f"offset {offset}")
    chunk = record[offset:] if count == 0xFF else record[offset : offset + count]
    return struct.pack("<H", next_id) + chunk


@command(
    netfn=STORAGE,
    cmd=0x44,
    name="storage.add_sel_entry",
    privilege=Privilege.OPERATOR,
    min_len=RECORD_SIZE,
    max_len=RECORD_SIZE,
)
def add_sel_entry(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<H", bmc.sel.add_raw(data))


@command(netfn=STORAGE, cmd=0x46, name="storage.delete_sel_entry", privilege=Privilege.OPERATOR, min_len=4, max_len=4)
def delete_sel_entry(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    reservation, record_id = struct.unpack("<HH", data)
    return struct.pack("<H", bmc.sel.delete(reservation, record_id))


@command(netfn=STORAGE, cmd=0x47, name="storage.clear_sel", privilege=Privilege.OPERATOR, min_len=6, max_len=6)
def clear_sel(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    reservation = struct.unpack_from("<H", data)[0]
    if data[2:5] != CLEAR_SIGNATURE or data[5] not in (CLEAR_INITIATE, CLEAR_STATUS):
        raise InvalidDataField("clear SEL needs 'CLR' and 0xAA or 0x00")
    bmc.sel.check_reservation(reservation)
    if data[5] == CLEAR_INITIATE:
        bmc.sel.clear(reservation)
    return bytes([ERASE_COMPLETED])


@command(netfn=STORAGE, cmd=0x48, name="storage.get_sel_time", privilege=Privilege.USER, max_len=0)
def get_sel_time(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<I", bmc.sel.now())


@command(netfn=STORAGE, cmd=0x49, name="storage.set_sel_time", privilege=Privilege.OPERATOR, min_len=4, max_len=4)
def set_sel_time(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.sel.set_time(struct.unpack("<I", data)[0])
    return b""
