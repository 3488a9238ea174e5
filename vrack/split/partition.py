"""Which worker serves which compute nodes: contiguous, near-equal slices of the plan's node list."""

from __future__ import annotations

import dataclasses

from vrack.plan import RackPlan
from vrack.references import expanded
from vrack.spec_model import ComputeSpec, RackSpec


def partition(names: list[str] | tuple[str, ...], count: int) -> list[tuple[str, ...]]:
    """``names`` cut into ``count`` contiguous slices whose sizes differ by at most one (earlier ones larger).

    Contiguous because the planner gives neighbouring nodes neighbouring addresses: a worker's BMCs are a few
    address ranges.  ``ValueError`` for a count below 1.
    """
    if count < 1:
        raise ValueError(f"the worker count must be at least 1, got {count}")
    size, extra = divmod(len(names), count)
    slices, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        slices.append(tuple(names[start:end]))
        start = end
    return slices


def worker_plan(plan: RackPlan, names: tuple[str, ...]) -> RackPlan:
    """The plan a worker builds devices from: only the nodes it serves (no PDUs, switches, feeds or cables).

    The nodes' plans are the full plan's own objects, so addresses, serials and keys are what a single
    process would give them.
    """
    wanted = set(names)
    nodes = tuple(node for node in plan.nodes if node.name in wanted)
    return dataclasses.replace(plan, nodes=nodes, pdus=(), switches=(), feeds=(), cables=())


def node_names(spec: RackSpec) -> list[str]:
    """The spec's compute node names in plan order (what :func:`partition` cuts), without building the plan."""
    return [name for name, _path, device in expanded(spec) if isinstance(device, ComputeSpec)]
