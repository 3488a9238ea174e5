"""SDR records (IPMI 2.0 section 43) and the SDR repository.

Encoders are pure functions from a :class:`~bmc_sim.sensors.Sensor` (or a
name) to record bytes; :class:`SdrRepository` numbers the records, answers
partial reads and keeps the reservation that partial reads must quote.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bmc_sim.errors import CannotReturnBytes, NotPresent, ReservationCancelled
from bmc_sim.sensors import SDR_THRESHOLD_ORDER, Sensor, SensorSet, clamp_exponent

SDR_VERSION = 0x51
BMC_ADDRESS = 0x20
FULL_SENSOR = 0x01
COMPACT_SENSOR = 0x02
FRU_DEVICE_LOCATOR = 0x11
MC_DEVICE_LOCATOR = 0x12
MAX_ID_LENGTH = 16
MAX_READ = 64  # largest partial read (bytes) before 0xCA
LAST_RECORD = 0xFFFF
HEADER_LENGTH = 5


def id_string(name: str) -> bytes:
    """Type/length byte (8-bit ASCII) followed by at most 16 name bytes."""
    raw = name.encode("latin-1", "replace")[:MAX_ID_LENGTH]
    return bytes([0xC0 | len(raw)]) + raw


def with_header(record_type: int, body: bytes, record_id: int = 0) -> bytes:
    """Prefix ``body`` with the 5-byte SDR header."""
    return struct.pack("<HBBB", record_id, SDR_VERSION, record_type, len(body)) + body


def _event_masks(sensor: Sensor) -> tuple[int, int, int]:
    """Assertion, deassertion and reading masks (bytes 15..20 of the record)."""
    if not sensor.is_threshold:
        mask = sensor.state_mask
        return mask, mask, mask
    readable = sensor.readable_mask()
    # threshold comparison returned bits: lower in assertion word, upper in deassertion word
    lower_cmp = (readable & 0x07) << 12
    upper_cmp = ((readable >> 3) & 0x07) << 12
    events = sensor.event_mask()
    settable = 0  # thresholds are readable, not settable
    return lower_cmp | events, upper_cmp | events, (settable << 8) | readable


def full_sensor_record(sensor: Sensor) -> bytes:
    """Full Sensor Record (type 0x01) body for a threshold sensor."""
    lin = sensor.linear
    if lin is None:
        raise ValueError(f"{sensor.name}: full records are for threshold sensors")
    assertion, deassertion, reading = _event_masks(sensor)
    m = lin.m & 0x3FF
    b = lin.b & 0x3FF
    nominal = sensor.nominal_raw()
    body = bytes(
        [
            BMC_ADDRESS,
            0x00,  # owner LUN
            sensor.number,
            sensor.entity_id,
            sensor.entity_instance & 0x7F,
            0x7F,  # initialisation: scanning, events, thresholds, hysteresis, type
            0x54,  # capabilities: auto re-arm, hysteresis readable, thresholds readable
            sensor.sensor_type,
            sensor.reading_type,
        ]
    )
    body += struct.pack("<HHH", assertion, deassertion, reading)
    body += bytes(
        [
            lin.units1,  # analog data format; no rate, no modifier
            sensor.unit,
            0x00,  # modifier unit
            0x00,  # linear
            m & 0xFF,
            (m >> 8) << 6,  # M MS bits, tolerance 0
            b & 0xFF,
            (b >> 8) << 6,  # B MS bits, accuracy 0
            0x00,  # accuracy MS, accuracy exp, direction unspecified
            (clamp_exponent(lin.r_exp) << 4) | clamp_exponent(lin.b_exp),
            0x01,  # nominal reading specified
            nominal,
            0x00,  # normal maximum (unspecified)
            0x00,  # normal minimum (unspecified)
            0xFF,  # sensor maximum reading
            0x00,  # sensor minimum reading
        ]
    )
    body += bytes(sensor.threshold_raw(name) for name in SDR_THRESHOLD_ORDER)
    body += bytes([0x01, 0x01, 0x00, 0x00, 0x00])  # hysteresis +/-, reserved x2, OEM
    return with_header(FULL_SENSOR, body + id_string(sensor.name))


def compact_sensor_record(sensor: Sensor) -> bytes:
    """Compact Sensor Record (type 0x02) body for a discrete sensor."""
    assertion, deassertion, reading = _event_masks(sensor)
    body = bytes(
        [
            BMC_ADDRESS,
            0x00,
            sensor.number,
            sensor.entity_id,
            sensor.entity_instance & 0x7F,
            0x63,  # initialisation: scanning, events, default event gen + scanning on
            0x40,  # capabilities: auto re-arm, no thresholds, no hysteresis
            sensor.sensor_type,
            sensor.reading_type,
        ]
    )
    body += struct.pack("<HHH", assertion, deassertion, reading)
    body += bytes([0x00, 0x00, 0x00])  # units
    body += bytes([0x00, 0x00])  # record sharing: none
    body += bytes([0x00, 0x00, 0x00, 0x00, 0x00, 0x00])  # hysteresis x2, reserved x3, OEM
    return with_header(COMPACT_SENSOR, body + id_string(sensor.name))


def fru_device_locator(name: str = "Builtin FRU", fru_id: int = 0) -> bytes:
    """FRU Device Locator (type 0x11) for a logical FRU device on the BMC.

    ID strings hold at most 16 bytes, so FRU 0 is "Builtin FRU"; ipmitool prints
    its own "Builtin FRU Device (ID 0)" heading for it and skips this record.
    """
    body = bytes(
        [
            BMC_ADDRESS,
            fru_id,
            0x80,  # logical FRU device, LUN 0, private bus 0
            0x00,  # channel 0
            0x00,  # reserved
            0x10,  # device type: FRU inventory device behind the management controller
            0x00,  # type modifier
            0x07,  # entity: system board
            0x01,
            0x00,  # OEM
        ]
    )
    return with_header(FRU_DEVICE_LOCATOR, body + id_string(name))


def mc_device_locator(name: str = "BMC") -> bytes:
    """Management Controller Device Locator (type 0x12) for the BMC itself."""
    body = bytes(
        [
            BMC_ADDRESS,
            0x00,  # channel 0
            0x01,  # controller presence static; no ACPI notification
            0xBF,  # capabilities: chassis, event gen/recv, FRU, SEL, SDR, sensor
            0x00,
            0x00,
            0x00,  # reserved
            0x2E,  # entity: management controller firmware
            0x01,
            0x00,  # OEM
        ]
    )
    return with_header(MC_DEVICE_LOCATOR, body + id_string(name))


def records_for(sensors: SensorSet, bmc_name: str = "BMC") -> list[bytes]:
    """Every record the BMC's repository holds, in a stable order."""
    records = [full_sensor_record(s) if s.is_threshold else compact_sensor_record(s) for s in sensors]
    records.append(fru_device_locator())
    records.append(mc_device_locator(bmc_name))
    return records


@dataclass(frozen=True, slots=True)
class SdrRead:
    """A Get SDR answer: the next record ID and the bytes read."""

    next_id: int
    data: bytes


class SdrRepository:
    """A read-only SDR repository with reservations (IPMI 2.0 section 33)."""

    def __init__(self, records: list[bytes], created: int) -> None:
        self._records: list[bytes] = []
        for index, record in enumerate(records, start=1):
            self._records.append(struct.pack("<H", index) + record[2:])
        self.created = created
        self._reservation = 0

    def __len__(self) -> int:
        return len(self._records)

    @property
    def free_bytes(self) -> int:
        return 0

    def reserve(self) -> int:
        """New reservation ID (1..0xFFFF); cancels the previous one."""
        self._reservation = self._reservation % 0xFFFF + 1
        return self._reservation

    def record(self, record_id: int) -> tuple[int, bytes]:
        """Index and bytes of ``record_id`` (0 = first, 0xFFFF = last)."""
        if not self._records:
            raise NotPresent("SDR repository is empty")
        if record_id == 0:
            index = 0
        elif record_id == LAST_RECORD:
            index = len(self._records) - 1
        else:
            index = record_id - 1
            if not 0 <= index < len(self._records):
                raise NotPresent(f"no SDR {record_id:#06x}")
        return index, self._records[index]

    def read(self, reservation: int, record_id: int, offset: int, count: int) -> SdrRead:
        """Partial or whole read of one record (0xFF = to the end).

        A non-zero ``offset`` needs the current reservation (0xC5 otherwise);
        asking for more than :data:`MAX_READ` bytes is refused with 0xCA.
        """
        if (offset or reservation) and reservation != self._reservation:
            raise ReservationCancelled("SDR reservation lost")
        index, record = self.record(record_id)
        if count == 0xFF:
            data = record[offset:]
        elif count > MAX_READ:
            raise CannotReturnBytes(f"cannot return {count} bytes")
        else:
            data = record[offset : offset + count]
        next_id = index + 2 if index + 1 < len(self._records) else LAST_RECORD
        return SdrRead(next_id, data)
