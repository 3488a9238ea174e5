"""Which worker serves which nodes (``vrack up --workers``): contiguous near-equal slices, and the worker's plan."""

from __future__ import annotations

import pytest

from vrack.plan import build_plan
from vrack.spec import parse_spec
from vrack.split.partition import partition, worker_plan

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
