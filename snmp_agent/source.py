"""The contract between the SNMP agent and a simulated device's MIB content.

A device exposes its objects as a :class:`MibSource`: an ordered view of
instance OIDs with values computed on demand.  The agent layer turns protocol
operations into calls on it and maps :class:`SnmpError` subclasses to SNMP
error statuses in one place.  Values are pysnmp ``rfc1902`` objects
(``Integer32``, ``OctetString``, ``ObjectIdentifier``, ``Counter32``,
``Counter64``, ``Gauge32``, ``TimeTicks``, ``IpAddress``, ``Unsigned32``).

:class:`MibTable` is the standard implementation: a sorted table of instance
OIDs, each bound to a static value or a getter (and optionally a setter).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

Oid = tuple[int, ...]
Value = Any  # a pysnmp rfc1902 value object


def parse_oid(text: str) -> Oid:
    """Parse ``"1.3.6.1.2.1.1.1.0"`` (a leading dot is allowed) into a tuple."""
    parts = text.strip().lstrip(".").split(".")
    try:
        return tuple(map(int, parts))
    except ValueError:
        raise ValueError(f"not a numeric OID: {text!r} (expected digits separated by dots)") from None


_formatted: dict[Oid, str] = {}
_FORMATTED_LIMIT = 65536


def format_oid(oid: Oid) -> str:
    """``"1.3.6.1.2.1.1.1.0"`` for ``(1, 3, 6, 1, 2, 1, 1, 1, 0)`` (memoised: records name OIDs per request)."""
    try:
        text = _formatted.get(oid)
    except TypeError:  # an unhashable sequence of arcs
        return ".".join(map(str, oid))
    if text is None:
        text = ".".join(map(str, oid))
        if len(_formatted) >= _FORMATTED_LIMIT:
            _formatted.clear()
        _formatted[oid] = text
    return text


class SnmpError(Exception):
    """A SET (or GET) refused with a specific SNMP error status."""

    status = "genErr"


class NotWritable(SnmpError):
    status = "notWritable"


class WrongType(SnmpError):
    status = "wrongType"


class WrongValue(SnmpError):
    status = "wrongValue"


class WrongLength(SnmpError):
    status = "wrongLength"


class NoCreation(SnmpError):
    status = "noCreation"


class InconsistentValue(SnmpError):
    status = "inconsistentValue"


class ResourceUnavailable(SnmpError):
    status = "resourceUnavailable"


class MibSource(Protocol):
    """What the agent asks of a device.

    * ``get(oid)`` returns the value of an instance, or ``None`` when there is
      no such instance.  ``has_object(oid)`` tells the agent whether to answer
      noSuchInstance (the object type exists) rather than noSuchObject.
    * ``get_next(oid)`` returns the first instance strictly after ``oid`` in
      lexicographic order, or ``None`` at the end of the MIB view.
    * ``set(oid, value)`` validates and applies a SET, or raises
      :class:`SnmpError`.  A multi-varbind SET is checked with ``test_set`` for
      every varbind first, then applied with ``set``.
    """

    def get(self, oid: Oid) -> Value | None: ...

    def has_object(self, oid: Oid) -> bool: ...

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None: ...

    def test_set(self, oid: Oid, value: Value) -> None: ...

    def set(self, oid: Oid, value: Value) -> None: ...


class MibSourceHints(Protocol):
    """Optional extras a :class:`MibSource` may offer (the agent probes with ``getattr``).

    * ``is_live(oid)``: the value is computed from device state (outlet state,
      load, counters).  The agent reports reads of live objects to its observer;
      reads of static objects (sysDescr, names) are not reported.  Without this
      method every object counts as live.
    * ``is_secret(oid)``: values written to this object are credentials (a PDU
      outlet password); the agent never puts them into records.
    """

    def is_live(self, oid: Oid) -> bool: ...

    def is_secret(self, oid: Oid) -> bool: ...


Getter = Callable[[], Value]
Setter = Callable[[Value], None]
Checker = Callable[[Value], None]


@dataclass(slots=True)
class _Entry:
    getter: Getter | None  # None: a static value
    value: Value = None
    setter: Setter | None = None
    checker: Checker | None = None
    live: bool = True
    secret: bool = False

    def read(self) -> Value:
        return self.value if self.getter is None else self.getter()


class MibTable:
    """A sorted table of instance OIDs implementing :class:`MibSource`.

    ``add(oid, value)`` binds a static value; ``add(oid, getter=f)`` a live one
    computed on each read; ``setter``/``checker`` make the instance writable
    (``checker`` raises :class:`SnmpError` for a value it refuses, ``setter``
    applies it).  Object-type prefixes (the OID without its instance suffix)
    are registered with ``add_object`` so that GET on a missing instance of a
    known column returns noSuchInstance.

    An instance bound to a getter or a setter counts as *live* (see
    :class:`MibSourceHints`) unless ``live=False`` is given; a static value is
    not live unless ``live=True``.  ``secret=True`` marks a writable instance
    whose written values must never be recorded (passwords).
    """

    def __init__(self) -> None:
        self._oids: list[Oid] = []
        self._entries: dict[Oid, _Entry] = {}
        self._objects: set[Oid] = set()

    def add(
        self,
        oid: Oid | str,
        value: Value = None,
        *,
        getter: Getter | None = None,
        setter: Setter | None = None,
        checker: Checker | None = None,
        object_oid: Oid | str | None = None,
        live: bool | None = None,
        secret: bool = False,
    ) -> None:
        key = parse_oid(oid) if isinstance(oid, str) else oid
        if live is None:
            live = getter is not None or setter is not None
        if getter is None and value is None:
            raise ValueError(f"{format_oid(key)}: give a value or a getter")
        if key not in self._entries:
            bisect.insort(self._oids, key)
        self._entries[key] = _Entry(getter, value if getter is None else None, setter, checker, live, secret)
        if object_oid is not None:
            self.add_object(object_oid)
        else:
            self._objects.add(key[:-1])

    def add_object(self, oid: Oid | str) -> None:
        self._objects.add(parse_oid(oid) if isinstance(oid, str) else oid)

    def remove(self, oid: Oid) -> None:
        if oid in self._entries:
            del self._entries[oid]
            self._oids.remove(oid)

    def extend(self, rows: Iterable[tuple[Oid, Value]]) -> None:
        for oid, value in rows:
            self.add(oid, value)

    def __len__(self) -> int:
        return len(self._oids)

    def oids(self) -> list[Oid]:
        return list(self._oids)

    # MibSource
    def get(self, oid: Oid) -> Value | None:
        entry = self._entries.get(oid)
        return None if entry is None else entry.read()

    def has_object(self, oid: Oid) -> bool:
        return any(oid[:n] in self._objects for n in range(len(oid), 0, -1))

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
        index = bisect.bisect_right(self._oids, oid)
        if index >= len(self._oids):
            return None
        key = self._oids[index]
        return key, self._entries[key].read()

    # MibSourceHints
    def is_live(self, oid: Oid) -> bool:
        entry = self._entries.get(oid)
        return entry is not None and entry.live

    def is_secret(self, oid: Oid) -> bool:
        entry = self._entries.get(oid)
        return entry is not None and entry.secret

    def test_set(self, oid: Oid, value: Value) -> None:
        entry = self._entries.get(oid)
        if entry is None:
            if self.has_object(oid):
                raise NoCreation(format_oid(oid))
            raise NotWritable(format_oid(oid))
        if entry.setter is None:
            raise NotWritable(format_oid(oid))
        if entry.checker is not None:
            entry.checker(value)

    def set(self, oid: Oid, value: Value) -> None:
        self.test_set(oid, value)
        entry = self._entries[oid]
        assert entry.setter is not None
        entry.setter(value)


class LazySource:
    """A :class:`MibSource` (with :class:`MibSourceHints`) made by ``factory`` at its first use.

    A rack of 100,000 BMCs has 4,500 PDUs and switches whose MIBs nobody may ever read; their agents serve
    a ``LazySource`` so that a device builds its MIB at the first request that reaches it, not at start.
    Answers are those of the built source: the factory must build the same MIB whenever it is called (its
    values computed from device state at read time, not captured when it is built).  Without an
    ``is_live``/``is_secret`` on the built source, every object counts as live and none as secret, as the
    agent assumes for any source.
    """

    __slots__ = ("_factory", "_source")

    def __init__(self, factory: Callable[[], MibSource]) -> None:
        self._factory: Callable[[], MibSource] | None = factory
        self._source: MibSource | None = None

    @property
    def built(self) -> bool:
        """True once the source was made (the first request or :attr:`source` made it)."""
        return self._source is not None

    @property
    def source(self) -> MibSource:
        """The built source (made now if nothing asked for it yet)."""
        source = self._source
        if source is None:
            assert self._factory is not None
            source = self._source = self._factory()
            self._factory = None
        return source

    def get(self, oid: Oid) -> Value | None:
        return self.source.get(oid)

    def has_object(self, oid: Oid) -> bool:
        return self.source.has_object(oid)

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
        return self.source.get_next(oid)

    def test_set(self, oid: Oid, value: Value) -> None:
        self.source.test_set(oid, value)

    def set(self, oid: Oid, value: Value) -> None:
        self.source.set(oid, value)

    def is_live(self, oid: Oid) -> bool:
        hint = getattr(self.source, "is_live", None)
        return bool(hint(oid)) if callable(hint) else True

    def is_secret(self, oid: Oid) -> bool:
        hint = getattr(self.source, "is_secret", None)
        return bool(hint(oid)) if callable(hint) else False
