"""The System Event Log (IPMI 2.0 section 31-32).

Records are 16 bytes.  Record IDs count up from 1 without gaps (ipmitool's
``sel list last N`` assumes a constant step) and restart at 1 after a clear.
SEL time is ``epoch + (clock.seconds() - start)`` plus whatever offset Set
SEL Time introduced, so it is deterministic under a fake clock.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bmc_sim.errors import NotPresent, OutOfSpace, ReservationCancelled

RECORD_SIZE = 16
SYSTEM_EVENT = 0x02
LAST_ENTRY = 0xFFFF
UNSPECIFIED_TIME = 0xFFFFFFFF
BMC_GENERATOR = 0x0020  # IPMB slave address 0x20, LUN 0, channel 0
EVM_REV = 0x04
DEFAULT_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


class DelayedCall(Protocol):
    """The part of ``IDelayedCall`` the BMC uses."""

    def active(self) -> bool: ...

    def cancel(self) -> None: ...

    def getTime(self) -> float: ...


class Clock(Protocol):
    """The part of ``IReactorTime`` the BMC uses (a reactor, or ``task.Clock`` in tests).

    All BMC time (SEL time stamps, power cycle and soft-off delays, identify,
    watchdog, BMC boot and reset windows) comes from one of these.
    """

    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> DelayedCall: ...


@dataclass(frozen=True, slots=True)
class SelEvent:
    """The event part of a system event record (bytes 7..15)."""

    sensor_type: int
    sensor_number: int
    offset: int
    asserted: bool = True
    event_type: int = 0x6F  # sensor specific
    data2: int = 0xFF
    data3: int = 0xFF
    data_flags: int = 0x00  # event data 1 bits 7:4 (how data 2 and 3 are used)
    generator: int = BMC_GENERATOR

    def encode(self, record_id: int, timestamp: int) -> bytes:
        """The full 16-byte system event record."""
        direction = 0x00 if self.asserted else 0x80
        data1 = (self.data_flags & 0xF0) | (self.offset & 0x0F)
        return struct.pack(
            "<HBIHBBBBBBB",
            record_id,
            SYSTEM_EVENT,
            timestamp,
            self.generator,
            EVM_REV,
            self.sensor_type,
            self.sensor_number,
            direction | (self.event_type & 0x7F),
            data1,
            self.data2,
            self.data3,
        )


class Sel:
    """SEL entries, reservation, timestamps and capacity."""

    def __init__(self, clock: Clock, capacity: int, epoch: float = DEFAULT_EPOCH) -> None:
        self._clock = clock
        self._start = clock.seconds()
        self._epoch = epoch
        self._time_offset = 0.0
        self.capacity = capacity
        self._entries: dict[int, bytes] = {}
        # called with each record the BMC logs itself (``log``), e.g. Platform Event Filtering
        self.listeners: list[Callable[[bytes], None]] = []
        self._next_id = 1
        self._reservation = 0
        self.last_add = UNSPECIFIED_TIME
        self.last_erase = UNSPECIFIED_TIME
        self.overflow = False
        self.logging_enabled = True
        self._listeners: list[Callable[[int], None]] = []

    def add_listener(self, fn: Callable[[int], None]) -> None:
        """``fn(record_id)`` after every record added (by the BMC, Add SEL Entry or a seed)."""
        self._listeners.append(fn)

    # -- time --------------------------------------------------------------
    def now(self) -> int:
        """Current SEL time in seconds since 1970 (32 bits)."""
        elapsed = self._clock.seconds() - self._start
        return int(self._epoch + elapsed + self._time_offset) & 0xFFFFFFFF

    def set_time(self, timestamp: int) -> None:
        """Set SEL time; later readings advance from it with the clock."""
        self._time_offset += timestamp - self.now()

    # -- queries -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    @property
    def free_entries(self) -> int:
        return self.capacity - len(self._entries)

    def ids(self) -> list[int]:
        return list(self._entries)

    def entry(self, record_id: int) -> tuple[int, bytes]:
        """Next record ID and the record (0 = first, 0xFFFF = last)."""
        ids = list(self._entries)
        if not ids:
            raise NotPresent("SEL is empty")
        if record_id == 0:
            index = 0
        elif record_id == LAST_ENTRY:
            index = len(ids) - 1
        elif record_id in self._entries:
            index = ids.index(record_id)
        else:
            raise NotPresent(f"no SEL entry {record_id:#06x}")
        next_id = ids[index + 1] if index + 1 < len(ids) else LAST_ENTRY
        return next_id, self._entries[ids[index]]

    # -- changes -----------------------------------------------------------
    def reserve(self) -> int:
        """New reservation ID; cancels the previous one."""
        self._reservation = self._reservation % 0xFFFF + 1
        return self._reservation

    def check_reservation(self, reservation: int) -> None:
        """Raise 0xC5 unless ``reservation`` is the current one."""
        if reservation == 0 or reservation != self._reservation:
            raise ReservationCancelled("SEL reservation lost")

    def add_raw(self, record: bytes) -> int:
        """Store a 16-byte record as Add SEL Entry does; returns its ID.

        The BMC assigns the record ID and, for system event and OEM
        timestamped records (types 0x02 and 0xC0-0xDF), the timestamp.
        """
        if len(self._entries) >= self.capacity:
            self.overflow = True
            raise OutOfSpace("SEL full")
        record_id = self._next_id
        self._next_id = self._next_id % 0xFFFE + 1
        now = self.now()
        body = bytearray(record)
        body[0:2] = struct.pack("<H", record_id)
        if body[2] == SYSTEM_EVENT or 0xC0 <= body[2] <= 0xDF:
            body[3:7] = struct.pack("<I", now)
        self._entries[record_id] = bytes(body)
        self.last_add = now
        for fn in list(self._listeners):
            fn(record_id)
        return record_id

    def seed(self, event: SelEvent, timestamp: int) -> int | None:
        """Add an event as if logged at ``timestamp`` (the SEL a server ships with); None when full."""
        if len(self._entries) >= self.capacity:
            self.overflow = True
            return None
        record_id = self.add_raw(event.encode(0, 0))
        record = bytearray(self._entries[record_id])
        record[3:7] = struct.pack("<I", timestamp & 0xFFFFFFFF)
        self._entries[record_id] = bytes(record)
        return record_id

    def log(self, event: SelEvent) -> int | None:
        """Log an event the BMC itself detected; None when logging is off or full."""
        if not self.logging_enabled or len(self._entries) >= self.capacity:
            if self.logging_enabled:
                self.overflow = True
            return None
        record_id = self.add_raw(event.encode(0, 0))
        record = self._entries[record_id]
        for listener in list(self.listeners):
            listener(record)
        return record_id

    def delete(self, reservation: int, record_id: int) -> int:
        """Delete one entry (0 = first, 0xFFFF = last); returns the deleted ID."""
        self.check_reservation(reservation)
        _, record = self.entry(record_id)
        deleted = int(struct.unpack_from("<H", record)[0])
        del self._entries[deleted]
        self.last_erase = self.now()
        return deleted

    def clear(self, reservation: int) -> None:
        """Erase every entry; record IDs restart at 1."""
        self.check_reservation(reservation)
        self._entries.clear()
        self._next_id = 1
        self.overflow = False
        self.last_erase = self.now()
