"""SEL: info, allocation, reserve, get, add (RackHD's FIT raw line), delete,
clear with its 'CLR' signature, SEL time, capacity and platform events."""

from __future__ import annotations

import struct

from bmc_sim.device import Bmc
from bmc_sim.sel import DEFAULT_EPOCH
from tests.bmc_sim.test_device import call, make_bmc, ok

STORAGE, SENSOR = 0x0A, 0x04
# raw 0x0a 0x44 0x01 0x00 0x02 0xab 0xcd 0xef 0x00 0x01 0x00 0x04 0x07 0x02 0xef 0x00 0x00 0x00
FIT_RECORD = bytes([0x01, 0x00, 0x02, 0xAB, 0xCD, 0xEF, 0x00, 0x01, 0x00, 0x04, 0x07, 0x02, 0xEF, 0x00, 0x00, 0x00])


def reserve(bmc: Bmc) -> bytes:
    return ok(bmc, STORAGE, 0x42)


def info(bmc: Bmc) -> tuple[int, int, int, int, int, int]:
    data = ok(bmc, STORAGE, 0x40)
    assert len(data) == 14
    version, entries, free, last_add, last_erase, support = struct.unpack("<BHHIIB", data)
    return version, entries, free, last_add, last_erase, support


def test_empty_sel_info() -> None:
    """Version 0x51, no entries, capacity*16 free bytes, never added or erased."""
    bmc, _ = make_bmc()
    assert info(bmc) == (0x51, 0, 512 * 16, 0xFFFFFFFF, 0xFFFFFFFF, 0x0B)
    assert call(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, 0, 0, 0xFF)).completion_code == 0xCB


def test_rackhd_fit_add_then_get() -> None:
    """The FIT raw Add SEL Entry gets record ID 1, a BMC timestamp, and reads back intact."""
    bmc, clock = make_bmc()
    clock.advance(42)
    assert ok(bmc, STORAGE, 0x44, FIT_RECORD) == b"\x01\x00"
    data = ok(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, 0, 0, 0xFF))
    assert data[:2] == b"\xff\xff"  # next: none
    record = data[2:]
    assert len(record) == 16
    assert record[:3] == b"\x01\x00\x02"
    assert struct.unpack_from("<I", record, 3)[0] == DEFAULT_EPOCH + 42
    assert record[7:] == FIT_RECORD[7:]
    assert record[10] == 0x07 and record[12] & 0x7F == 0x6F  # what the selEntries poller reads
    _, entries, _, last_add, _, _ = info(bmc)
    assert (entries, last_add) == (1, DEFAULT_EPOCH + 42)


def test_entries_chain_with_contiguous_ids() -> None:
    """IDs count 1, 2, 3 (ipmitool's `sel list last N` assumes a constant step); 0xFFFF is the last."""
    bmc, _ = make_bmc()
    for _ in range(3):
        ok(bmc, STORAGE, 0x44, FIT_RECORD)
    ids = []
    record_id = 0
    while record_id != 0xFFFF:
        data = ok(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, record_id, 0, 0xFF))
        ids.append(struct.unpack_from("<H", data, 2)[0])
        record_id = struct.unpack_from("<H", data)[0]
    assert ids == [1, 2, 3]
    last = ok(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, 0xFFFF, 0, 0xFF))
    assert struct.unpack_from("<H", last, 2)[0] == 3


def test_partial_get_needs_a_reservation() -> None:
    """Reading from an offset needs the current reservation (0xC5 otherwise)."""
    bmc, _ = make_bmc()
    ok(bmc, STORAGE, 0x44, FIT_RECORD)
    assert call(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, 1, 4, 4)).completion_code == 0xC5
    reservation = reserve(bmc)
    data = ok(bmc, STORAGE, 0x43, reservation + struct.pack("<HBB", 1, 10, 3))
    assert data[2:] == bytes([0x07, 0x02, 0xEF])


def test_clear_needs_signature_and_reservation() -> None:
    """`sel clear`: wrong signature 0xCC, stale reservation 0xC5, then erased and IDs restart."""
    bmc, clock = make_bmc()
    ok(bmc, STORAGE, 0x44, FIT_RECORD)
    ok(bmc, STORAGE, 0x44, FIT_RECORD)
    old = reserve(bmc)
    new = reserve(bmc)
    assert call(bmc, STORAGE, 0x47, new + b"CLX\xaa").completion_code == 0xCC
    assert call(bmc, STORAGE, 0x47, old + b"CLR\xaa").completion_code == 0xC5
    clock.advance(7)
    assert ok(bmc, STORAGE, 0x47, new + b"CLR\xaa") == b"\x01"
    assert ok(bmc, STORAGE, 0x47, new + b"CLR\x00") == b"\x01"  # get erase status: completed
    _, entries, _, _, last_erase, _ = info(bmc)
    assert (entries, last_erase) == (0, DEFAULT_EPOCH + 7)
    assert ok(bmc, STORAGE, 0x44, FIT_RECORD) == b"\x01\x00"


def test_delete_entry() -> None:
    """Delete SEL Entry removes one record and records the erase time; unknown IDs 0xCB."""
    bmc, _ = make_bmc()
    for _ in range(3):
        ok(bmc, STORAGE, 0x44, FIT_RECORD)
    reservation = reserve(bmc)
    assert ok(bmc, STORAGE, 0x46, reservation + b"\x02\x00") == b"\x02\x00"
    assert bmc.sel.ids() == [1, 3]
    assert call(bmc, STORAGE, 0x46, reservation + b"\x02\x00").completion_code == 0xCB
    assert call(bmc, STORAGE, 0x46, b"\x00\x00\x01\x00").completion_code == 0xC5
    assert info(bmc)[4] != 0xFFFFFFFF


def test_full_sel_refuses_adds_and_flags_overflow() -> None:
    """At capacity Add SEL Entry answers 0xC4 and Get SEL Info sets the overflow bit."""
    bmc, _ = make_bmc(sel_capacity=2)
    ok(bmc, STORAGE, 0x44, FIT_RECORD)
    ok(bmc, STORAGE, 0x44, FIT_RECORD)
    assert call(bmc, STORAGE, 0x44, FIT_RECORD).completion_code == 0xC4
    _, entries, free, _, _, support = info(bmc)
    assert (entries, free) == (2, 0) and support & 0x80
    assert struct.unpack("<HHHHB", ok(bmc, STORAGE, 0x41)) == (2, 16, 0, 0, 1)


def test_sel_time_follows_the_clock_and_can_be_set() -> None:
    """SEL time = epoch + clock; Set SEL Time moves it and it keeps advancing."""
    bmc, clock = make_bmc()
    assert struct.unpack("<I", ok(bmc, STORAGE, 0x48))[0] == DEFAULT_EPOCH
    clock.advance(90)
    assert struct.unpack("<I", ok(bmc, STORAGE, 0x48))[0] == DEFAULT_EPOCH + 90
    ok(bmc, STORAGE, 0x49, struct.pack("<I", 1_800_000_000))
    clock.advance(10)
    assert struct.unpack("<I", ok(bmc, STORAGE, 0x48))[0] == 1_800_000_010


def test_epoch_argument() -> None:
    """Bmc(epoch=...) sets SEL time at construction."""
    from twisted.internet.task import Clock

    from bmc_sim.device import Bmc as Device

    bmc, _ = make_bmc()
    other = Device(bmc.config, Clock(), epoch=1_600_000_000)
    assert other.sel.now() == 1_600_000_000


def test_platform_event_message_is_logged() -> None:
    """Platform Event Message (7 bytes over LAN, 8 with generator in band) adds SEL entries."""
    bmc, _ = make_bmc()
    ok(bmc, SENSOR, 0x02, bytes([0x04, 0x07, 0x02, 0x6F, 0x00, 0xFF, 0xFF]))
    ok(bmc, SENSOR, 0x02, bytes([0x33, 0x04, 0x01, 0x05, 0x01, 0x52, 0x00, 0x00]))
    first = bmc.sel.entry(1)[1]
    second = bmc.sel.entry(2)[1]
    assert first[7:9] == b"\x41\x00" and first[10:13] == bytes([0x07, 0x02, 0x6F])
    assert second[7] == 0x33 and second[10] == 0x01


def test_power_events_are_readable_by_get_sel_entry() -> None:
    """A chassis power on shows up as a Power Unit deassertion record."""
    bmc, _ = make_bmc()
    ok(bmc, 0x00, 0x02, b"\x01")
    record = ok(bmc, STORAGE, 0x43, struct.pack("<HHBB", 0, 0, 0, 0xFF))[2:]
    assert record[2] == 0x02 and record[7:10] == bytes([0x20, 0x00, 0x04])
    assert (record[10], record[11], record[12], record[13] & 0x0F) == (0x09, 0xE0, 0xEF, 0x00)
