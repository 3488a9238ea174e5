"""A columnar MIB view: the :class:`~snmp_agent.source.MibSource` for a device whose
tables are computed from live state.

Instead of one entry per instance (a 48-port switch has thousands), the tree
stores *columns*: a column OID, the table's row indexes (shared by every
column of the table, static or recomputed from device state) and a function
``(device, row) -> value``.  A scalar is a column with the single row ``(0,)``.

A :class:`SharedTree` holds the columns of every device of one shape (a switch
model and port count): its functions take the device as an argument and
capture nothing of one device, so 2,000 switches share one tree and each holds
only a :class:`BoundTree` (the tree and the device: two references).
:class:`MibTree` is the same for a single device whose functions close over it.

``get_next`` bisects the sorted column list, then the column's sorted rows, so
it is O(log columns + log rows) and no walk step recomputes the tree.  Values
are computed on demand; a value function may return ``None`` to leave a
row out of a sparse column.  Columns marked ``live`` (state, counters, load)
are the ones :meth:`BoundTree.is_live` reports to the agent, which records
reads of them; identity columns (names, descriptions) are not live.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from snmp_agent.source import NoCreation, NotWritable, Oid, Value, format_oid, parse_oid

D = TypeVar("D")
Row = tuple[int, ...]
ValueFn = Callable[[Row], Value | None]
SetFn = Callable[[Row, Value], None]
DeviceValueFn = Callable[[Any, Row], Value | None]
DeviceSetFn = Callable[[Any, Row, Value], None]


class Rows(Protocol):
    """The sorted row indexes of a table (of the bound ``device``)."""

    def sorted_rows(self, device: Any) -> Sequence[Row]: ...


class StaticRows:
    """Rows fixed when the tree is built (ifTable of a switch, scalars)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = sorted(rows)
        if len(set(self._rows)) != len(self._rows):
            raise ValueError("duplicate row indexes")

    def sorted_rows(self, device: Any = None) -> Sequence[Row]:
        return self._rows


class DynamicRows:
    """Rows recomputed from the state of a :class:`MibTree`'s device; ``compute`` returns them sorted."""

    def __init__(self, compute: Callable[[], Sequence[Row]]) -> None:
        self._compute = compute

    def sorted_rows(self, device: Any = None) -> Sequence[Row]:
        return self._compute()


class DeviceRows(Generic[D]):
    """Rows recomputed from the bound device's state; ``compute(device)`` returns them sorted."""

    def __init__(self, compute: Callable[[D], Sequence[Row]]) -> None:
        self._compute = compute

    def sorted_rows(self, device: D) -> Sequence[Row]:
        return self._compute(device)


SCALAR = StaticRows([(0,)])


@dataclass(frozen=True, slots=True)
class Column:
    oid: Oid
    rows: Rows
    value: DeviceValueFn
    setter: DeviceSetFn | None = None
    checker: DeviceSetFn | None = None
    live: bool = False


def _find_row(rows: Sequence[Row], row: Row) -> bool:
    i = bisect.bisect_left(rows, row)
    return i < len(rows) and rows[i] == row


class SharedTree(Generic[D]):
    """The columns of every device of one shape (see module docstring); :meth:`bind` gives one device's view.

    Columns are registered with :meth:`column` / :meth:`scalar` / :meth:`table`; no column OID may be a
    prefix of another.  Writable columns take a ``setter`` and an optional ``checker`` that raises
    :class:`~snmp_agent.source.SnmpError`; both get the device first.
    """

    def __init__(self) -> None:
        self._columns: dict[Oid, Column] = {}
        self._sorted: list[Oid] = []

    def column(
        self,
        oid: Oid | str,
        rows: Rows,
        value: Callable[[D, Row], Value | None],
        *,
        setter: Callable[[D, Row, Value], None] | None = None,
        checker: Callable[[D, Row, Value], None] | None = None,
        live: bool | None = None,
    ) -> None:
        """Register a column; writable columns (with a ``setter``) are live unless ``live=False``."""
        key = parse_oid(oid) if isinstance(oid, str) else oid
        if key in self._columns:
            raise ValueError(f"column {format_oid(key)} registered twice")
        i = bisect.bisect_left(self._sorted, key)
        for j in (i - 1, i):
            if 0 <= j < len(self._sorted):
                other = self._sorted[j]
                if key[: len(other)] == other or other[: len(key)] == key:
                    raise ValueError(f"column {format_oid(key)} overlaps column {format_oid(other)}")
        self._sorted.insert(i, key)
        is_live = live if live is not None else setter is not None
        self._columns[key] = Column(key, rows, value, setter, checker, is_live)

    def scalar(
        self,
        oid: Oid | str,
        value: Callable[[D], Value],
        *,
        setter: Callable[[D, Value], None] | None = None,
        checker: Callable[[D, Value], None] | None = None,
        live: bool | None = None,
    ) -> None:
        """Register a scalar object (instance ``oid.0``)."""
        set_fn = None if setter is None else (lambda device, _row, v: setter(device, v))
        check_fn = None if checker is None else (lambda device, _row, v: checker(device, v))
        self.column(oid, SCALAR, lambda device, _row: value(device), setter=set_fn, checker=check_fn, live=live)

    def table(
        self,
        entry: Oid | str,
        rows: Rows,
        columns: dict[int, Callable[[D, Row], Value | None]],
        *,
        live: bool | Collection[int] = False,
    ) -> None:
        """Register read-only ``columns`` (sub-id -> value function) of the table ``entry``.

        ``live`` is True (every column), False, or the sub-ids of the live columns.
        """
        base = parse_oid(entry) if isinstance(entry, str) else entry
        for sub_id, fn in columns.items():
            is_live = live if isinstance(live, bool) else sub_id in live
            self.column((*base, sub_id), rows, fn, live=is_live)

    def bind(self, device: D) -> BoundTree[D]:
        """The MIB view of ``device``."""
        return BoundTree(self, device)


class BoundTree(Generic[D]):
    """A :class:`SharedTree` bound to one device: the device's :class:`~snmp_agent.source.MibSource`."""

    __slots__ = ("_device", "_tree")

    def __init__(self, tree: SharedTree[D], device: D) -> None:
        self._tree = tree
        self._device = device

    @property
    def tree(self) -> SharedTree[D]:
        """The shared tree this view reads."""
        return self._tree

    # introspection
    def column_oids(self) -> list[Oid]:
        return list(self._tree._sorted)

    def instance_count(self) -> int:
        """Number of instances right now (walks the tree; for tests and reports)."""
        count = 0
        oid: Oid = (0,)
        while (found := self.get_next(oid)) is not None:
            oid = found[0]
            count += 1
        return count

    # lookup
    def _column_of(self, oid: Oid) -> tuple[int, Column | None]:
        """Index of the last column <= oid, and that column if oid lies inside it."""
        ordered = self._tree._sorted
        i = bisect.bisect_right(ordered, oid) - 1
        if i >= 0:
            key = ordered[i]
            if oid[: len(key)] == key:
                return i, self._tree._columns[key]
        return i, None

    # MibSource
    def get(self, oid: Oid) -> Value | None:
        _, col = self._column_of(oid)
        if col is None:
            return None
        row = oid[len(col.oid) :]
        if not row or not _find_row(col.rows.sorted_rows(self._device), row):
            return None
        return col.value(self._device, row)

    def has_object(self, oid: Oid) -> bool:
        return self._column_of(oid)[1] is not None

    def is_live(self, oid: Oid) -> bool:
        """True for objects computed from device state (the agent reports reads of those)."""
        col = self._column_of(oid)[1]
        return col is not None and col.live

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
        i, col = self._column_of(oid)
        if col is not None:
            found = self._next_in_column(col, oid[len(col.oid) :])
            if found is not None:
                return found
        ordered, columns = self._tree._sorted, self._tree._columns
        for j in range(i + 1, len(ordered)):
            found = self._next_in_column(columns[ordered[j]], None)
            if found is not None:
                return found
        return None

    def _next_in_column(self, col: Column, after: Row | None) -> tuple[Oid, Value] | None:
        device = self._device
        rows = col.rows.sorted_rows(device)
        start = 0 if after is None else bisect.bisect_right(rows, after)
        for row in rows[start:]:
            value = col.value(device, row)
            if value is not None:
                return col.oid + row, value
        return None

    def test_set(self, oid: Oid, value: Value) -> None:
        _, col = self._column_of(oid)
        if col is None or col.setter is None:
            raise NotWritable(format_oid(oid))
        row = oid[len(col.oid) :]
        if not row or not _find_row(col.rows.sorted_rows(self._device), row):
            raise NoCreation(format_oid(oid))
        if col.checker is not None:
            col.checker(self._device, row, value)

    def set(self, oid: Oid, value: Value) -> None:
        self.test_set(oid, value)
        _, col = self._column_of(oid)
        assert col is not None and col.setter is not None
        col.setter(self._device, oid[len(col.oid) :], value)


class MibTree(BoundTree[None]):
    """The tree of a single device whose functions close over it: value functions take the row only."""

    def __init__(self) -> None:
        super().__init__(SharedTree(), None)

    def column(
        self,
        oid: Oid | str,
        rows: Rows,
        value: ValueFn,
        *,
        setter: SetFn | None = None,
        checker: SetFn | None = None,
        live: bool | None = None,
    ) -> None:
        """Register a column; writable columns (with a ``setter``) are live unless ``live=False``."""
        self._tree.column(
            oid,
            rows,
            lambda _device, row: value(row),
            setter=None if setter is None else (lambda _device, row, v: setter(row, v)),
            checker=None if checker is None else (lambda _device, row, v: checker(row, v)),
            live=live,
        )

    def scalar(
        self,
        oid: Oid | str,
        value: Callable[[], Value],
        *,
        setter: Callable[[Value], None] | None = None,
        checker: Callable[[Value], None] | None = None,
        live: bool | None = None,
    ) -> None:
        """Register a scalar object (instance ``oid.0``)."""
        self._tree.scalar(
            oid,
            lambda _device: value(),
            setter=None if setter is None else (lambda _device, v: setter(v)),
            checker=None if checker is None else (lambda _device, v: checker(v)),
            live=live,
        )

    def table(
        self, entry: Oid | str, rows: Rows, columns: dict[int, ValueFn], *, live: bool | Collection[int] = False
    ) -> None:
        """Register read-only ``columns`` (sub-id -> value function) of the table ``entry``."""
        self._tree.table(entry, rows, {sub_id: _rowwise(fn) for sub_id, fn in columns.items()}, live=live)


def _rowwise(fn: ValueFn) -> DeviceValueFn:
    return lambda _device, row: fn(row)
