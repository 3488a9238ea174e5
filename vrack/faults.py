"""Faults: hardware misbehaving on purpose, as data, applied through device roles.

A fault is data: a ``kind`` (see :mod:`vrack.fault_kinds`), a ``target``
(a device name or a shell-style pattern such as ``node0*`` over the devices
that play the kind's role), validated ``params`` and a ``seed`` for any
randomness (default: derived from the rack seed and the fault's id, so the
same spec and the same sequence of injections give the same behaviour).

:class:`FaultBoard` is the one place faults are injected and cleared: the
control API, the CLI (through the API), the test kit and scenarios all call
it.  Every injection and clearance is journalled on each target device with
its cause (protocol ``fault``, operations ``injected`` / ``cleared``).
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from vrack import identity
from vrack.errors import InvalidArgument, NotFound, UnknownDevice
from vrack.fault_kinds import FAULT_KINDS, FaultContext, FaultKind
from vrack.journal import Journal

if TYPE_CHECKING:
    from vrack.rack import Rack


@dataclass(frozen=True)
class Fault:
    """What to inject: kind, target, parameters, and optionally the seed of its randomness."""

    kind: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: str | None = None


@dataclass
class ActiveFault:
    """A fault in force on one or more devices."""

    id: int
    fault: Fault
    devices: tuple[str, ...]
    params: dict[str, Any]
    seed: str
    since: str
    cause: str
    undo: list[Callable[[], None]]

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.fault.kind,
            "target": self.fault.target,
            "devices": list(self.devices),
            "params": self.params,
            "seed": self.seed,
            "since": self.since,
            "cause": self.cause,
        }


class FaultBoard:
    """The rack's faults in force, in injection order."""

    def __init__(self, rack: Rack, journal: Journal, reactor: Any, rack_seed: str) -> None:
        self._rack = rack
        self._journal = journal
        self._reactor = reactor
        self._rack_seed = rack_seed
        self._next_id = 1
        self._active: dict[int, ActiveFault] = {}

    @staticmethod
    def kinds() -> list[dict[str, Any]]:
        """Every fault kind: name, role, what it does, and the JSON Schema of its parameters."""
        return [kind.describe() for kind in FAULT_KINDS.values()]

    def active(self) -> list[dict[str, Any]]:
        return [fault.describe() for fault in self._active.values()]

    def inject(self, fault: Fault, cause: str) -> ActiveFault:
        """Apply ``fault`` to every device its target names; all or nothing."""
        kind = FAULT_KINDS.get(fault.kind)
        if kind is None:
            raise InvalidArgument(f"unknown fault kind {fault.kind!r}", "kind", sorted(FAULT_KINDS))
        params = _validated(kind, fault.params)
        devices = self._targets(kind, fault.target)
        fault_id = self._next_id
        seed = fault.seed if fault.seed is not None else f"{self._rack_seed}/fault{fault_id}"
        undo: list[Callable[[], None]] = []
        try:
            for name in devices:
                rng = random.Random(identity.digest(seed, name))
                context = FaultContext(self._rack, self._reactor, self._journal, rng, fault_id)
                undo.append(kind.apply(context, name, params))
        except Exception:
            for step in reversed(undo):
                step()
            raise
        self._next_id += 1
        record = ActiveFault(fault_id, fault, devices, params, seed, self._rack.clock.isoformat(), cause, undo)
        self._active[fault_id] = record
        for name in devices:
            self._journal.append(name, "fault", "injected", fault=fault_id, kind=kind.name, params=params, cause=cause)
        if kind.one_shot:
            self._active.pop(fault_id)
        return record

    def clear(self, fault_id: int, cause: str) -> ActiveFault:
        """Undo fault ``fault_id`` on every device it touched."""
        record = self._active.pop(fault_id, None)
        if record is None:
            raise NotFound(f"no active fault with id {fault_id}", "id", sorted(self._active))
        for step in reversed(record.undo):
            step()
        for name in record.devices:
            self._journal.append(name, "fault", "cleared", fault=fault_id, kind=record.fault.kind, cause=cause)
        return record

    def clear_all(self, cause: str) -> list[ActiveFault]:
        """Undo every fault, newest first."""
        return [self.clear(fault_id, cause) for fault_id in sorted(self._active, reverse=True)]

    def _targets(self, kind: FaultKind, target: str) -> tuple[str, ...]:
        candidates = kind.candidates(self._rack)
        if target in candidates:
            return (target,)
        if any(ch in target for ch in "*?["):
            matched = tuple(name for name in candidates if fnmatch.fnmatchcase(name, target))
            if matched:
                return matched
        if target in self._rack.devices:
            device = self._rack.devices[target]
            raise InvalidArgument(
                f"fault {kind.name!r} applies to {kind.role} devices; {target!r} is a {device.kind}",
                "target",
                sorted(candidates),
            )
        what = "" if kind.role == "any" else f"{kind.role} "
        raise UnknownDevice(f"no {what}device matches {target!r}", "target", sorted(candidates))


def _validated(kind: FaultKind, params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        model = kind.params.model_validate(dict(params))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        fields = sorted(kind.params.model_fields)
        raise InvalidArgument(
            f"fault {kind.name!r}: params.{where}: {first['msg']}", f"params.{where}", fields
        ) from None
    return model.model_dump()
