"""The coordinator's pool takes the node states its workers send before ``ready`` (``vrack.split.pool``)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, cast

from twisted.internet.testing import MemoryReactorClock

from vrack.clock import RackClock
from vrack.journal import Journal
from vrack.plan import build_plan
from vrack.spec import parse_spec
from vrack.split.channel import encode
from vrack.split.pool import WorkerPool, _Worker

SPEC = """\
rack: pool
seed: pool-seed
networks: {management: 127.200.62.0/24}
devices:
  - {name: "node{n}", kind: compute, model: generic, count: 3}
"""


def _state(draw: float) -> dict[str, Any]:
    users = [{"id": 2, "name": "admin", "password": "admin", "privilege": "administrator"}]
    return {
        "ac": True,
        "host": False,
        "draw": draw,
        "responsive": True,
        "cause": "",
        "credentials": {"bmc": {"users": users}},
    }


def test_states_sent_in_chunks_before_ready_reach_the_stand_ins_and_are_not_kept() -> None:
    plan = build_plan(parse_spec(SPEC))
    reactor = MemoryReactorClock()
    pool = WorkerPool(plan, Path("unused.yaml"), 1, reactor, Journal(RackClock(reactor, plan.spec.epoch)))
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        worker = _Worker(0, pool.slices[0], cast(Any, None), ours)
        pool.workers.append(worker)
        theirs.sendall(encode({"t": "states", "nodes": {"node1": _state(11.0), "node2": _state(12.0)}}))
        theirs.sendall(encode({"t": "ready", "nodes": {"node3": _state(13.0)}}))
        pool._wait_ready(10.0)
    assert [pool.nodes[name].power_draw() for name in ("node1", "node2", "node3")] == [11.0, 12.0, 13.0]
    assert pool.nodes["node3"].credentials()["bmc"]["users"][0]["name"] == "admin"
    assert worker.ready == {"t": "ready"}  # the states are the stand-ins' now, not also the message's
