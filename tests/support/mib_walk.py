"""Walking a MIB source in process, as GETNEXT from the start would (the shared-layout and lazy-source tests)."""

from __future__ import annotations

from snmp_agent.source import MibSource, Oid, Value


def walk(source: MibSource) -> list[tuple[Oid, Value]]:
    """Every object of ``source`` in OID order, by GETNEXT from ``0``."""
    found: list[tuple[Oid, Value]] = []
    oid: Oid = (0,)
    while (step := source.get_next(oid)) is not None:
        oid = step[0]
        found.append(step)
    return found
