"""SNMP operation semantics on top of a :class:`MibSource` (no sockets, no engine).

:class:`DeviceController` answers GET, GETNEXT, GETBULK and SET for one device
the way RFC 3416 describes, given a :class:`Principal` that the agent already
authenticated:

* GET: a missing instance is ``noSuchInstance`` when its object type exists
  (``has_object``), else ``noSuchObject``.
* GETNEXT / GETBULK: lexicographic successor, ``endOfMibView`` at the end.
  SNMPv1 cannot carry Counter64, so v1 GETNEXT skips such objects (RFC 2576
  section 4.1.2.1).  GETBULK honours non-repeaters / max-repetitions, stops
  once every repeater is at endOfMibView, and caps the response size.
* SET: read-only principals get ``noAccess``; otherwise every varbind is
  tested first and only then are all applied, so a refused varbind leaves
  the device untouched.

Every SET, and every read that touches a live object, is reported to the
observer as a :class:`SnmpRecord` stamped with the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pysnmp.proto import rfc1902, rfc1905
from twisted.logger import Logger

from .config import Access, Clock, Operation, SnmpRecord, Version
from .errors import AuthorizationError, NoAccess, error_status_for
from .source import LazySource, MibSource, Oid, Value, format_oid

VarBind = tuple[Oid, Value]
Observer = Callable[[SnmpRecord], None]

REDACTED = "<redacted>"
#: Upper bound on varbinds in one GETBULK response.  Real agents fill a response up to the message
#: size; RackHD's pollers rely on it (22 IF-MIB columns x -Cr<interfaces> in one snmpbulkget), so the
#: byte budget below is the real bound and this only stops pathological max-repetitions.
MAX_BULK_VARBINDS = 2048
#: Rough byte budget for a GETBULK response, well below the 65507-byte UDP limit.
MAX_BULK_BYTES = 48_000

_log = Logger()


@dataclass(frozen=True)
class Principal:
    """Who sent a request: community name or v3 user, its access and SNMP version."""

    name: str
    access: Access
    version: Version
    authorized: bool = True


@dataclass
class Outcome:
    """The response to one request: error status name, 1-based error index, varbinds."""

    varbinds: list[VarBind]
    error_status: str = "noError"
    error_index: int = 0
    live_oids: list[Oid] = field(default_factory=list)


class DeviceController:
    """Serves one device's :class:`MibSource` and reports to an observer."""

    def __init__(
        self,
        source: MibSource,
        *,
        name: str,
        clock: Clock,
        observer: Observer | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self.observer = observer
        # A LazySource is served through until a request comes; then the controller reads the built source
        # directly (a walk step through the proxy costs two more calls per object).
        self._lazy = source if isinstance(source, LazySource) else None
        self._use(source)

    def _use(self, source: MibSource) -> None:
        self.source = source
        is_live = getattr(source, "is_live", None)
        is_secret = getattr(source, "is_secret", None)
        self._is_live: Callable[[Oid], bool] = is_live if callable(is_live) else (lambda oid: True)
        self._is_secret: Callable[[Oid], bool] = is_secret if callable(is_secret) else (lambda oid: False)

    def _resolve(self) -> None:
        """Swap a :class:`LazySource` for the source it builds (at the first request)."""
        if self._lazy is not None:
            built, self._lazy = self._lazy.source, None
            self._use(built)

    # -- reads ---------------------------------------------------------------
    def get(self, varbinds: Sequence[VarBind], principal: Principal, peer: str = "") -> Outcome:
        self._resolve()
        if not principal.authorized:
            return self._unauthorized("get", varbinds, principal, peer)
        outcome = Outcome([])
        for index, (oid, _) in enumerate(varbinds):
            try:
                value = self.source.get(oid)
            except Exception as exc:
                return self._failed("get", varbinds, index, exc, principal, peer)
            if value is None:
                value = rfc1905.noSuchInstance if self.source.has_object(oid) else rfc1905.noSuchObject
            elif self._is_live(oid):
                outcome.live_oids.append(oid)
            outcome.varbinds.append((oid, value))
        if outcome.live_oids:
            self._report("get", [oid for oid, _ in varbinds], (), outcome, principal, peer)
        return outcome

    def get_next(self, varbinds: Sequence[VarBind], principal: Principal, peer: str = "") -> Outcome:
        self._resolve()
        if not principal.authorized:
            return self._unauthorized("getnext", varbinds, principal, peer)
        outcome = Outcome([])
        for index, (oid, _) in enumerate(varbinds):
            try:
                outcome.varbinds.append(self._next(oid, principal, outcome))
            except Exception as exc:
                return self._failed("getnext", varbinds, index, exc, principal, peer)
        if outcome.live_oids:
            self._report("getnext", outcome.live_oids, (), outcome, principal, peer)
        return outcome

    def get_bulk(
        self,
        varbinds: Sequence[VarBind],
        non_repeaters: int,
        max_repetitions: int,
        principal: Principal,
        peer: str = "",
    ) -> Outcome:
        self._resolve()
        if not principal.authorized:
            return self._unauthorized("getbulk", varbinds, principal, peer)
        n = min(max(non_repeaters, 0), len(varbinds))
        m = max(max_repetitions, 0)
        repeaters = [oid for oid, _ in varbinds[n:]]
        outcome = Outcome([])
        result = outcome.varbinds
        budget = MAX_BULK_BYTES
        step = self._next
        end_of_view = rfc1905.endOfMibView
        try:
            for oid, _ in varbinds[:n]:
                result.append(step(oid, principal, outcome))
            for _ in range(m if repeaters else 0):
                row: list[VarBind] = []
                cost = 0
                at_end = True
                for oid in repeaters:
                    found = step(oid, principal, outcome)
                    row.append(found)
                    cost += _estimated_size(found)
                    if found[1] is not end_of_view:
                        at_end = False
                if result and (len(result) + len(row) > MAX_BULK_VARBINDS or cost > budget):
                    break
                result.extend(row)
                budget -= cost
                if at_end:
                    break
                repeaters = [oid for oid, _ in row]
        except Exception as exc:
            return self._failed("getbulk", varbinds, 0, exc, principal, peer)
        if outcome.live_oids:
            self._report("getbulk", outcome.live_oids, (), outcome, principal, peer)
        return outcome

    def _next(self, oid: Oid, principal: Principal, outcome: Outcome) -> VarBind:
        cursor = oid
        get_next = self.source.get_next
        while True:
            found = get_next(cursor)
            if found is None:
                return oid, rfc1905.endOfMibView
            cursor, value = found
            if principal.version == "v1" and isinstance(value, rfc1902.Counter64):
                continue
            if self._is_live(cursor):
                outcome.live_oids.append(cursor)
            return found

    # -- writes --------------------------------------------------------------
    def set(self, varbinds: Sequence[VarBind], principal: Principal, peer: str = "") -> Outcome:
        self._resolve()
        values = tuple(REDACTED if self._is_secret(oid) else _pretty(value) for oid, value in varbinds)
        oids = [oid for oid, _ in varbinds]
        index = 0
        try:
            if not principal.authorized:
                raise AuthorizationError(f"{principal.name} is not a user of {self.name}")
            if principal.access != "rw":
                raise NoAccess(f"{principal.version} principal is read-only")
            for oid, value in varbinds:
                self.source.test_set(oid, value)
                index += 1
            index = 0
            for oid, value in varbinds:
                self.source.set(oid, value)
                index += 1
        except Exception as exc:
            outcome = self._error_outcome(varbinds, index, exc)
            self._report("set", oids, values, outcome, principal, peer)
            return outcome
        outcome = Outcome(list(varbinds))
        self._report("set", oids, values, outcome, principal, peer)
        return outcome

    # -- helpers -------------------------------------------------------------
    def _unauthorized(
        self, operation: Operation, varbinds: Sequence[VarBind], principal: Principal, peer: str
    ) -> Outcome:
        exc = AuthorizationError(f"{principal.name} is not a user of {self.name}")
        return self._failed(operation, varbinds, 0, exc, principal, peer)

    def _failed(
        self,
        operation: Operation,
        varbinds: Sequence[VarBind],
        index: int,
        exc: Exception,
        principal: Principal,
        peer: str,
    ) -> Outcome:
        outcome = self._error_outcome(varbinds, index, exc)
        self._report(operation, [oid for oid, _ in varbinds], (), outcome, principal, peer)
        return outcome

    def _error_outcome(self, varbinds: Sequence[VarBind], index: int, exc: Exception) -> Outcome:
        status = error_status_for(exc)
        if status == "genErr":
            _log.failure(
                "{device}: request failed on {oid}",
                device=self.name,
                oid=format_oid(varbinds[index][0]) if varbinds else "-",
            )
        return Outcome(list(varbinds), status, index + 1)

    def _report(
        self,
        operation: Operation,
        oids: Sequence[Oid],
        values: tuple[str, ...],
        outcome: Outcome,
        principal: Principal,
        peer: str,
    ) -> None:
        if self.observer is None:
            return
        record = SnmpRecord(
            time=self.clock.seconds(),
            device=self.name,
            peer=peer,
            operation=operation,
            oids=tuple(format_oid(oid) for oid in oids),
            values=values,
            error_status=outcome.error_status,
            principal=principal.name,
            version=principal.version,
            error_index=outcome.error_index,
        )
        try:
            self.observer(record)
        except Exception:
            _log.failure("{device}: SNMP observer failed", device=self.name)


def _pretty(value: Any) -> str:
    pretty = getattr(value, "prettyPrint", None)
    return str(pretty()) if callable(pretty) else str(value)


def _estimated_size(varbind: VarBind) -> int:
    oid, value = varbind
    size = 2 * len(oid) + 8
    try:
        size += len(value.asOctets()) if isinstance(value, rfc1902.OctetString) else 10
    except Exception:
        size += 64
    return size
