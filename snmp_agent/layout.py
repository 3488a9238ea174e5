"""A MIB shared by every device of a kind: instance OIDs and functions built once, bound to one device per source.

A :class:`~snmp_agent.source.MibTable` holds an entry, an OID tuple, a closure and often a pysnmp value per
instance, for every device: ~200 KiB for a 24-outlet PDU, 0.5 GB for the 2,500 PDUs of a 100,000-BMC rack.
Most of it is the same for every PDU of a model and outlet count.  A :class:`Layout` holds that part once:
the sorted instance OIDs, static values (pysnmp values are immutable, so one object serves every device) and
functions that take the device (``getter(device)``, ``setter(device, value)``, ``checker(device, value)``).
:meth:`Layout.bind` makes the :class:`~snmp_agent.source.MibSource` of one device: two references.

The semantics are :class:`~snmp_agent.source.MibTable`'s: a static value is not live unless ``live=True``,
an instance with a getter or setter is live unless ``live=False``; a missing instance of a registered object
type is noSuchInstance; a SET on an instance without a setter is notWritable, on a missing instance of a
known object noCreation.  A layout must not capture a device: build it from what every device sharing it has
in common (model, outlet count) and read everything else through the device argument.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .source import NoCreation, NotWritable, Oid, Value, format_oid

D = TypeVar("D")
DeviceGetter = Callable[[Any], Value]
DeviceSetter = Callable[[Any, Value], None]


@dataclass(frozen=True, slots=True)
class _Cell:
    getter: DeviceGetter | None  # None: the static value
    value: Value
    setter: DeviceSetter | None
    checker: DeviceSetter | None
    live: bool
    secret: bool


class Layout(Generic[D]):
    """The instances of one kind of device (see module docstring); build once, then :meth:`bind` per device."""

    def __init__(self) -> None:
        self._oids: list[Oid] = []
        self._cells: dict[Oid, _Cell] = {}
        self._objects: set[Oid] = set()

    def add(
        self,
        oid: Oid,
        value: Value = None,
        *,
        getter: Callable[[D], Value] | None = None,
        setter: Callable[[D, Value], None] | None = None,
        checker: Callable[[D, Value], None] | None = None,
        live: bool | None = None,
        secret: bool = False,
    ) -> None:
        """Bind ``oid`` to a static ``value`` or to ``getter(device)``; a ``setter`` makes it writable."""
        if getter is None and value is None:
            raise ValueError(f"{format_oid(oid)}: give a value or a getter")
        if live is None:
            live = getter is not None or setter is not None
        if oid not in self._cells:
            bisect.insort(self._oids, oid)
        self._cells[oid] = _Cell(getter, value if getter is None else None, setter, checker, live, secret)
        self._objects.add(oid[:-1])

    def __len__(self) -> int:
        return len(self._oids)

    def bind(self, device: D) -> LayoutSource[D]:
        """The MIB of ``device``."""
        return LayoutSource(self, device)


class LayoutSource(Generic[D]):
    """One device's :class:`~snmp_agent.source.MibSource` (and hints) over a shared :class:`Layout`."""

    __slots__ = ("_device", "_layout")

    def __init__(self, layout: Layout[D], device: D) -> None:
        self._layout = layout
        self._device = device

    @property
    def layout(self) -> Layout[D]:
        """The shared layout this source reads."""
        return self._layout

    def _read(self, cell: _Cell) -> Value:
        return cell.value if cell.getter is None else cell.getter(self._device)

    def oids(self) -> list[Oid]:
        """Every instance OID, sorted."""
        return list(self._layout._oids)

    def get(self, oid: Oid) -> Value | None:
        cell = self._layout._cells.get(oid)
        return None if cell is None else self._read(cell)

    def has_object(self, oid: Oid) -> bool:
        objects = self._layout._objects
        return any(oid[:n] in objects for n in range(len(oid), 0, -1))

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
        oids = self._layout._oids
        index = bisect.bisect_right(oids, oid)
        if index >= len(oids):
            return None
        key = oids[index]
        return key, self._read(self._layout._cells[key])

    def is_live(self, oid: Oid) -> bool:
        cell = self._layout._cells.get(oid)
        return cell is not None and cell.live

    def is_secret(self, oid: Oid) -> bool:
        cell = self._layout._cells.get(oid)
        return cell is not None and cell.secret

    def test_set(self, oid: Oid, value: Value) -> None:
        cell = self._layout._cells.get(oid)
        if cell is None:
            if self.has_object(oid):
                raise NoCreation(format_oid(oid))
            raise NotWritable(format_oid(oid))
        if cell.setter is None:
            raise NotWritable(format_oid(oid))
        if cell.checker is not None:
            cell.checker(self._device, value)

    def set(self, oid: Oid, value: Value) -> None:
        self.test_set(oid, value)
        setter = self._layout._cells[oid].setter
        assert setter is not None
        setter(self._device, value)
