"""SDR repository: Get SDR Repository Info, Reserve, Get SDR with partial
reads and reservations, and the records decoded back the way ipmitool does
(M, B, exponents, thresholds, masks, ID strings)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from bmc_sim.config import SensorConfig, SensorKind, Thresholds
from bmc_sim.device import Bmc
from bmc_sim.sensors import Linear, Sensor, linearisation_for
from tests.bmc_sim.test_device import call, make_bmc, ok

STORAGE, SENSOR = 0x0A, 0x04


def signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


@dataclass
class FullRecord:
    number: int
    entity: tuple[int, int]
    sensor_type: int
    reading_type: int
    unit: int
    readable: int
    nominal: float
    thresholds: dict[str, float]
    name: str

    @classmethod
    def parse(cls, record: bytes) -> FullRecord:
        """Decode a type 0x01 record with the formula ipmitool uses."""
        m = record[24] | ((record[25] & 0xC0) << 2)
        b = record[26] | ((record[27] & 0xC0) << 2)
        r_exp, b_exp = signed(record[29] >> 4, 4), signed(record[29] & 0x0F, 4)
        fmt = record[20] >> 6

        def value(raw: int) -> float:
            x = signed(raw, 8) if fmt == 2 else raw
            return round((signed(m, 10) * x + signed(b, 10) * 10.0**b_exp) * 10.0**r_exp, 6)

        readable = record[18] & 0x3F
        names = ("unr", "uc", "unc", "lnr", "lc", "lnc")
        bits = (0x20, 0x10, 0x08, 0x04, 0x02, 0x01)
        pairs = enumerate(zip(names, bits, strict=True))
        thresholds = {n: value(record[36 + i]) for i, (n, bit) in pairs if readable & bit}
        length = record[47] & 0x1F
        return cls(
            number=record[7],
            entity=(record[8], record[9]),
            sensor_type=record[12],
            reading_type=record[13],
            unit=record[21],
            readable=readable,
            nominal=value(record[31]),
            thresholds=thresholds,
            name=record[48 : 48 + length].decode(),
        )


def read_record(bmc: Bmc, record_id: int, chunk: int = 0xFF) -> tuple[int, bytes]:
    """Read one record the way ipmitool does: reserve, header, then chunks."""
    reservation = struct.unpack("<H", ok(bmc, STORAGE, 0x22))[0]
    header = ok(bmc, STORAGE, 0x23, struct.pack("<HHBB", reservation, record_id, 0, 5))
    next_id, head = struct.unpack("<H", header[:2])[0], header[2:]
    body = b""
    while len(body) < head[4]:
        count = min(chunk, head[4] - len(body))
        data = ok(bmc, STORAGE, 0x23, struct.pack("<HHBB", reservation, record_id, 5 + len(body), count))
        body += data[2:]
    return next_id, head + body


def all_records(bmc: Bmc, chunk: int = 0xFF) -> list[bytes]:
    records = []
    record_id = 0
    while record_id != 0xFFFF:
        record_id, record = read_record(bmc, record_id, chunk)
        records.append(record)
    return records


def test_repository_info_counts_every_record() -> None:
    """Version 0x51, record count = sensors + FRU locator + MC locator, reserve supported."""
    bmc, _ = make_bmc()
    info = ok(bmc, STORAGE, 0x20)
    assert len(info) == 14 and info[0] == 0x51
    count = struct.unpack_from("<H", info, 1)[0]
    assert count == len(bmc.sensors) + 2 == len(all_records(bmc))
    assert info[13] & 0x02


def test_walk_in_chunks_equals_whole_reads() -> None:
    """Reading in 16-byte chunks (as freeipmi does) gives the same bytes as whole reads."""
    bmc, _ = make_bmc()
    assert all_records(bmc, chunk=16) == all_records(bmc)


def test_records_are_numbered_and_typed() -> None:
    """IDs 1..n, SDR version 0x51, full records for thresholds, compact for discrete, then locators."""
    bmc, _ = make_bmc()
    records = all_records(bmc)
    assert [struct.unpack_from("<H", r)[0] for r in records] == list(range(1, len(records) + 1))
    assert all(r[2] == 0x51 and r[4] == len(r) - 5 for r in records)
    types = [r[3] for r in records]
    assert types[-2:] == [0x11, 0x12]
    drives = [r for r in records if r[3] == 0x02 and r[12] == 0x0D]
    assert [r[32 : 32 + (r[31] & 0x1F)] for r in drives] == [b"HDD0", b"HDD1", b"HDD2", b"HDD3"]
    fru_locator = records[-2]
    assert fru_locator[5:9] == bytes([0x20, 0x00, 0x80, 0x00]) and fru_locator[10] == 0x10


def test_full_records_decode_to_the_configured_values() -> None:
    """Every threshold sensor decodes back to its nominal value and thresholds."""
    bmc, _ = make_bmc()
    full = [FullRecord.parse(r) for r in all_records(bmc) if r[3] == 0x01]
    assert len(full) == sum(1 for s in bmc.config.sensors if s.kind is not SensorKind.DRIVE)
    by_name = {f.name: f for f in full}
    p12 = by_name["P12V"]
    assert (p12.sensor_type, p12.reading_type, p12.unit) == (0x02, 0x01, 4)
    assert p12.nominal == 12.0
    assert p12.thresholds == {"unr": 13.8, "uc": 13.2, "lnr": 10.2, "lc": 10.8}
    assert by_name["Fan_SYS0"].thresholds == {"lnr": 300.0, "lc": 500.0, "lnc": 800.0}
    assert by_name["Temp_CPU0"].entity == (3, 1)
    for cfg in bmc.config.sensors:
        if cfg.kind is not SensorKind.DRIVE:
            assert by_name[cfg.name].nominal == pytest.approx(cfg.nominal, rel=0.02)


def test_negative_thresholds_use_twos_complement() -> None:
    """Dell's inlet sensor (lower critical -7 C) decodes with the signed analog format."""
    bmc, _ = make_bmc("dell-r630")
    inlet = next(FullRecord.parse(r) for r in all_records(bmc) if r[3] == 0x01 and b"Inlet" in r)
    assert inlet.thresholds["lc"] == -7.0 and inlet.nominal == 23.0


def test_partial_read_needs_the_current_reservation() -> None:
    """A read at offset > 0 with a superseded reservation answers 0xC5."""
    bmc, _ = make_bmc()
    old = struct.unpack("<H", ok(bmc, STORAGE, 0x22))[0]
    new = struct.unpack("<H", ok(bmc, STORAGE, 0x22))[0]
    assert new != old
    assert call(bmc, STORAGE, 0x23, struct.pack("<HHBB", old, 1, 5, 8)).completion_code == 0xC5
    assert call(bmc, STORAGE, 0x23, struct.pack("<HHBB", new, 1, 5, 8)).completion_code == 0
    assert call(bmc, STORAGE, 0x23, struct.pack("<HHBB", 0, 1, 0, 5)).completion_code == 0


def test_too_many_bytes_and_missing_records() -> None:
    """More than 64 bytes in one partial read -> 0xCA; an unknown record -> 0xCB; 0xFFFF is the last."""
    bmc, _ = make_bmc()
    assert call(bmc, STORAGE, 0x23, struct.pack("<HHBB", 0, 1, 0, 0x80)).completion_code == 0xCA
    assert call(bmc, STORAGE, 0x23, struct.pack("<HHBB", 0, 0x200, 0, 0xFF)).completion_code == 0xCB
    last = ok(bmc, STORAGE, 0x23, struct.pack("<HHBB", 0, 0xFFFF, 0, 0xFF))
    assert last[:2] == b"\xff\xff" and last[5] == 0x12


def test_device_sdr_commands_mirror_the_repository() -> None:
    """Get Device SDR Info / Reserve / Get Device SDR (netfn 0x04) read the same records."""
    bmc, _ = make_bmc()
    assert ok(bmc, SENSOR, 0x20, b"\x01")[0] == len(all_records(bmc))
    assert ok(bmc, SENSOR, 0x20)[0] == len(bmc.sensors)
    reservation = ok(bmc, SENSOR, 0x22)
    device = ok(bmc, SENSOR, 0x21, reservation + struct.pack("<HBB", 1, 0, 0xFF))
    assert device == ok(bmc, STORAGE, 0x23, struct.pack("<HHBB", 0, 1, 0, 0xFF))


def test_allocation_info() -> None:
    """Get SDR Repository Allocation Info answers 9 bytes."""
    bmc, _ = make_bmc()
    assert len(ok(bmc, STORAGE, 0x21)) == 9


# -- linearisation and readings --------------------------------------------------------
@pytest.mark.parametrize("value", [12.0, 3.3, 5.0, 8000.0, 45.0, 280.0, 1.2])
def test_common_readings_are_exact(value: float) -> None:
    """The 1/2/5 x 10^n resolution represents usual nominal values exactly."""
    lin = linearisation_for([value, value * 1.15])
    assert lin.to_value(lin.to_raw(value)) == pytest.approx(value)


def test_linear_clamps_to_the_raw_range() -> None:
    """Values beyond the scale clamp to 0..255 (unsigned) or -128..127 (signed)."""
    assert Linear(1, 0, 0).to_raw(300) == 255
    assert Linear(1, 0, 0).to_raw(-3) == 0
    assert Linear(1, 0, 0, signed=True).to_raw(-3) == 0xFD


def sensor_of(kind: SensorKind, nominal: float, off: float, **thresholds: float) -> Sensor:
    return Sensor.from_config(
        SensorConfig(number=9, name="s", kind=kind, nominal=nominal, off_value=off, thresholds=Thresholds(**thresholds))
    )


def test_threshold_status_bits() -> None:
    """Readings at or beyond a threshold set its status bit, compared in raw units."""
    fan = sensor_of(SensorKind.FAN, 400, 0, lower_non_recoverable=300, lower_critical=500)
    assert fan.read(True).threshold_bits == 0x02  # <= LC, above LNR
    hot = sensor_of(SensorKind.TEMPERATURE, 91, 20, upper_non_critical=85, upper_critical=90)
    assert hot.read(True).threshold_bits == 0x08 | 0x10


def test_off_value_outside_thresholds_reads_unavailable() -> None:
    """A rail that reads 0 V when the host is off reports 'reading unavailable', not a fault."""
    rail = sensor_of(SensorKind.VOLTAGE, 12, 0, lower_critical=10.8)
    assert not rail.read(False).available
    ambient = sensor_of(SensorKind.TEMPERATURE, 40, 22, upper_critical=90)
    assert ambient.read(False).available and ambient.linear is not None
    assert ambient.linear.to_value(ambient.read(False).raw) == 22


def test_get_sensor_reading_follows_host_power() -> None:
    """Get Sensor Reading: nominal when on, 'unavailable' (bit 5) for unpowered rails when off."""
    bmc, _ = make_bmc()
    off = ok(bmc, SENSOR, 0x2D, bytes([16]))  # P12V
    assert off[1] & 0x20
    ok(bmc, 0x00, 0x02, b"\x01")
    on = ok(bmc, SENSOR, 0x2D, bytes([16]))
    assert on[0] == 120 and on[1] == 0xC0 and on[2] & 0x3F == 0


def test_discrete_drive_states_and_power_unit() -> None:
    """Drive slots assert 'present' (offset 0); the Power Unit asserts 'power off' while off."""
    bmc, _ = make_bmc()
    assert ok(bmc, SENSOR, 0x2D, bytes([0x40]))[2] == 0x01
    assert ok(bmc, SENSOR, 0x2D, bytes([0x43]))[2] == 0x00
    assert ok(bmc, SENSOR, 0x2D, bytes([0xE0]))[2] == 0x01
    ok(bmc, 0x00, 0x02, b"\x01")
    assert ok(bmc, SENSOR, 0x2D, bytes([0xE0]))[2] == 0x00


def test_thresholds_hysteresis_factors_and_event_enables() -> None:
    """The sensor commands agree with the SDR; discrete sensors refuse threshold queries (0xCD)."""
    bmc, _ = make_bmc()
    th = ok(bmc, SENSOR, 0x27, bytes([16]))
    assert th == bytes([0x36, 0, 108, 102, 0, 132, 138])  # LNC, LC, LNR, UNC, UC, UNR
    assert ok(bmc, SENSOR, 0x25, bytes([16, 0xFF])) == b"\x01\x01"
    factors = ok(bmc, SENSOR, 0x23, bytes([16, 0]))
    assert factors[1] == 1 and factors[6] >> 4 == 0x0F  # M = 1, R exponent = -1
    assert ok(bmc, SENSOR, 0x29, bytes([0x40]))[0] == 0xC0
    assert call(bmc, SENSOR, 0x27, bytes([0x40])).completion_code == 0xCD
    assert call(bmc, SENSOR, 0x2D, bytes([0x99])).completion_code == 0xCB


def test_reserved_sensor_numbers_are_refused() -> None:
    """A configured sensor may not take the BMC's own sensor numbers."""
    from bmc_sim.sensors import build_sensors

    bad = SensorConfig(number=0xE0, name="x", kind=SensorKind.FAN, nominal=1)
    with pytest.raises(ValueError, match="reserved"):
        build_sensors((bad,), lambda: True)


def test_records_do_not_depend_on_when_they_are_first_read() -> None:
    """The repository is encoded at its first use: after time passed, the host powered on and a sensor was
    forced, the bytes (nominal readings, repository time) are those of a BMC read at once."""
    early, _ = make_bmc()
    first = all_records(early), ok(early, STORAGE, 0x20)
    late, clock = make_bmc()
    clock.advance(3600)
    ok(late, 0x00, 0x02, bytes([0x01]))  # chassis power on
    threshold = next(s for s in late.sensors if s.is_threshold)
    late.set_sensor_reading(threshold.name, 99.0)
    assert (all_records(late), ok(late, STORAGE, 0x20)) == first
