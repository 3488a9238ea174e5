"""MibTree: the columnar MibSource (ordering, lookups, SET semantics, cost per step)."""

from __future__ import annotations

import pytest
from pysnmp.proto.rfc1902 import Integer32, OctetString

from snmp_agent.source import NoCreation, NotWritable, WrongValue
from switch_sim.mibtree import DynamicRows, MibTree, Row, StaticRows


def _tree() -> tuple[MibTree, list[Row]]:
    tree = MibTree()
    dynamic: list[Row] = [(2,), (9,)]
    tree.scalar("1.3.6.1.2.1.1.5", lambda: OctetString("sw"))
    tree.table("1.3.6.1.2.1.2.2.1", StaticRows([(3,), (1,), (2,)]), {2: lambda r: Integer32(r[0] * 10)})
    tree.column("1.3.6.1.2.1.17.4.3.1.2", DynamicRows(lambda: dynamic), lambda r: Integer32(r[0]))
    return tree, dynamic


def _walk(tree: MibTree) -> list[tuple[int, ...]]:
    out = []
    oid: tuple[int, ...] = (1,)
    while (found := tree.get_next(oid)) is not None:
        out.append(found[0])
        oid = found[0]
    return out


def test_walk_visits_every_instance_in_order() -> None:
    """get_next from (1,) returns every instance once, in lexicographic order, then None."""
    tree, _ = _tree()
    walk = _walk(tree)
    assert walk == [
        (1, 3, 6, 1, 2, 1, 1, 5, 0),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 2),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3),
        (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2, 2),
        (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2, 9),
    ]


def test_get_next_from_inside_and_between_rows() -> None:
    """An OID between rows, deeper than a row, or past a column continues at the right place."""
    tree, _ = _tree()
    col = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
    assert tree.get_next((*col, 1, 5)) == ((*col, 2), Integer32(20))
    assert tree.get_next((*col, 3))[0] == (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2, 2)  # type: ignore[index]
    assert tree.get_next((1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2, 9)) is None
    assert tree.get_next((2,)) is None


def test_dynamic_rows_follow_state() -> None:
    """Rows of a dynamic table appear and disappear with the state behind them."""
    tree, dynamic = _tree()
    fdb = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
    dynamic.clear()
    assert tree.get((*fdb, 2)) is None
    assert tree.has_object((*fdb, 2))
    assert tree.get_next((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3)) is None
    dynamic.append((4,))
    assert tree.get((*fdb, 4)) == Integer32(4)


def test_get_and_has_object() -> None:
    """GET answers instances only; has_object is true inside a known column, false elsewhere."""
    tree, _ = _tree()
    assert tree.get((1, 3, 6, 1, 2, 1, 1, 5, 0)) == OctetString("sw")
    assert tree.get((1, 3, 6, 1, 2, 1, 1, 5)) is None
    assert tree.get((1, 3, 6, 1, 2, 1, 1, 5, 1)) is None
    assert tree.has_object((1, 3, 6, 1, 2, 1, 1, 5, 1))
    assert not tree.has_object((1, 3, 6, 1, 2, 1, 1, 6, 0))


def test_overlapping_columns_are_refused() -> None:
    """A column that is a prefix of another (or inside one) cannot be registered."""
    tree, _ = _tree()
    with pytest.raises(ValueError, match="overlaps"):
        tree.scalar("1.3.6.1.2.1.2.2.1.2.1", lambda: Integer32(1))
    with pytest.raises(ValueError, match="overlaps"):
        tree.scalar("1.3.6.1.2.1.2.2.1", lambda: Integer32(1))
    with pytest.raises(ValueError, match="twice"):
        tree.scalar("1.3.6.1.2.1.1.5", lambda: Integer32(1))


def test_set_semantics() -> None:
    """Read-only objects are notWritable, missing rows noCreation, the checker can refuse, setters apply."""
    tree = MibTree()
    state = {"v": 1}

    def check(_row: Row, value: object) -> None:
        if int(value) not in (1, 2):  # type: ignore[call-overload]
            raise WrongValue("1 or 2")

    def apply(_row: Row, value: object) -> None:
        state["v"] = int(value)  # type: ignore[call-overload]

    tree.column("1.3.6.1.2.1.2.2.1.7", StaticRows([(1,)]), lambda r: Integer32(state["v"]), setter=apply, checker=check)
    tree.scalar("1.3.6.1.2.1.1.1", lambda: OctetString("x"))
    with pytest.raises(NotWritable):
        tree.test_set((1, 3, 6, 1, 2, 1, 1, 1, 0), OctetString("y"))
    with pytest.raises(NotWritable):
        tree.test_set((1, 3, 6, 1, 9), Integer32(1))
    with pytest.raises(NoCreation):
        tree.test_set((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 2), Integer32(1))
    with pytest.raises(WrongValue):
        tree.set((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 1), Integer32(3))
    assert state["v"] == 1
    tree.set((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 1), Integer32(2))
    assert state["v"] == 2
    assert tree.is_live((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 1))
    assert not tree.is_live((1, 3, 6, 1, 2, 1, 1, 1, 0))


def test_walk_computes_each_value_once() -> None:
    """A full walk calls each value function once per instance: nothing is recomputed per step."""
    calls = 0
    row_calls = 0

    def value(row: Row) -> Integer32:
        nonlocal calls
        calls += 1
        return Integer32(row[0])

    rows: list[Row] = [(i,) for i in range(1, 501)]

    def compute() -> list[Row]:
        nonlocal row_calls
        row_calls += 1
        return rows

    tree = MibTree()
    for col in range(1, 11):
        tree.column((1, 3, 6, 1, 2, 1, 2, 2, 1, col), DynamicRows(compute), value)
    walk = _walk(tree)
    assert len(walk) == 5000
    assert calls == 5000
    assert row_calls <= 5000 + 10  # one (cached) row lookup per step, not a rebuild of the tree
