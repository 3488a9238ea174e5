"""Which worker serves which nodes (``vrack up --workers``): contiguous near-equal slices, and the worker's plan."""

from __future__ import annotations

import pytest

from vrack.plan import build_plan
from vrack.spec import parse_spec
from vrack.split.partition import node_names, partition, worker_plan

SPEC = """\
rack: split
seed: split-seed
networks: {management: 127.200.60.0/24}
devices:
  - {name: node01, kind: compute, model: generic}
  - {name: node02, kind: compute, model: generic}
  - {name: node03, kind: compute, model: generic}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}
power:
  - {outlet: pdu1/1, to: node01/psu1}
"""


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [10]), (2, [5, 5]), (3, [4, 3, 3]), (4, [3, 3, 2, 2]), (12, [1] * 10 + [0, 0])]
)
def test_slices_are_contiguous_and_differ_by_at_most_one(count: int, sizes: list[int]) -> None:
    names = [f"n{i}" for i in range(10)]
    slices = partition(names, count)
    assert [len(s) for s in slices] == sizes
    assert [name for s in slices for name in s] == names


def test_a_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        partition(["a"], 0)


def test_a_workers_plan_holds_its_nodes_as_the_full_plan_has_them() -> None:
    plan = build_plan(parse_spec(SPEC))
    mine = worker_plan(plan, ("node02", "node03"))
    assert [n.name for n in mine.nodes] == ["node02", "node03"]
    assert mine.nodes[0] is plan.node("node02")  # same addresses, serials and keys
    assert (mine.pdus, mine.switches, mine.feeds, mine.cables) == ((), (), (), ())
    assert build_plan(parse_spec(SPEC)).node("node03") == mine.nodes[1]  # deterministic: a worker rebuilds it


MIXED = """\
rack: mixed
seed: mixed-seed
networks: {management: 127.200.60.0/24}
devices:
  - {name: "node{n:02d}", kind: compute, model: generic, count: 3}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}
  - {name: fixed, kind: compute, model: generic, bmc: {address: 127.200.60.200}}
  - {name: "late{n}", kind: compute, model: generic, count: 4}
"""


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_a_worker_builds_only_its_slice_and_gets_what_the_full_plan_gives_it(count: int) -> None:
    """A worker plans its own nodes only (``build_plan(only=...)``); addresses taken by the nodes, PDUs and
    explicit addresses before them are still skipped, so every node is the full plan's."""
    spec = parse_spec(MIXED)
    full = build_plan(spec)
    assert node_names(spec) == [node.name for node in full.nodes]
    for names in partition(node_names(spec), count):
        mine = worker_plan(build_plan(spec, only=frozenset(names)), names)
        assert mine == worker_plan(full, names)
        assert (mine.pdus, mine.feeds) == ((), ())
