"""CPU per journalled IPMI request: what the request path pays to record one request.

Builds a one-node rack exactly as ``vrack up`` does (devices, journal with its run file), on a
fake clock and without sockets, then feeds the node's request observer (``ComputeDevice.request_journal.record``,
what the BMC's session layer calls once per handled request) with ``--requests`` records.  The journal
writes its batches to a real file in a temporary directory, so encoding and writing are included,
amortised over the batches.  Prints the best of ``--repeat`` runs as CPU microseconds per request.

    python -m bench.journal_append [--requests 200000] [--repeat 3]

This is the journal's share of a request; ``bench.journal_bench`` measures the whole server CPU per
request over the network with followers attached.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from twisted.internet.testing import MemoryReactorClock

from bmc_sim.message import RequestRecord
from vrack.clock import RackClock
from vrack.devices.compute import ComputeDevice
from vrack.heap import keep_heap_top
from vrack.journal import Journal
from vrack.plan import build_plan
from vrack.rack import Rack
from vrack.spec import parse_spec

ONE_NODE = """\
rack: bench-journal
seed: bench-journal-seed
networks: {management: 127.16.0.0/24}
devices:
  - {name: node01, kind: compute, model: generic, bmc: {boot_time: 0}}
"""


@dataclass(frozen=True)
class OneNode:
    """A one-node rack in this process on a fake reactor, its journal writing ``events.jsonl``."""

    reactor: MemoryReactorClock
    journal: Journal
    node: ComputeDevice


def one_node_rack(spec: str, directory: Path) -> OneNode:
    """The rack of ``spec`` (one compute node, ``node01``) as ``vrack up`` builds it, without sockets."""
    reactor = MemoryReactorClock()
    plan = build_plan(parse_spec(spec))
    clock = RackClock(reactor, plan.spec.epoch)
    journal = Journal(clock, directory / "events.jsonl")
    journal.open()
    node = Rack(plan, reactor, journal, clock).device("node01")
    assert isinstance(node, ComputeDevice)
    return OneNode(reactor, journal, node)


def one_run(requests: int, directory: Path) -> float:
    """CPU seconds spent recording ``requests`` requests of one node (journal file included)."""
    rack = one_node_rack(ONE_NODE, directory)
    reactor, journal, node = rack.reactor, rack.journal, rack.node
    peers = [("127.16.0.200", 40000 + i) for i in range(8)]
    records = [
        RequestRecord(0.0, peer, "admin", 0x00, 0x01, "chassis-status", 0, session_id=0x1000 + i)
        for i, peer in enumerate(peers)
    ]
    observe = node.request_journal.record
    started = time.process_time()
    for i in range(requests):
        if i % 64 == 0:
            reactor.advance(0.0001)  # time moves as it does under load
        observe(records[i % 8])
    journal.close()
    return time.process_time() - started


def measure(requests: int, repeat: int) -> dict[str, float]:
    best = float("inf")
    size = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="vrack-journal-append-") as tmp:
            best = min(best, one_run(requests, Path(tmp)))
            size = (Path(tmp) / "events.jsonl").stat().st_size
    return {
        "requests": requests,
        "cpu_us_per_request": round(best / requests * 1e6, 3),
        "bytes_per_request": round(size / requests, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per journalled IPMI request (in memory, file included)")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    keep_heap_top()  # as the rack process does (vrack.heap)
    print(json.dumps(measure(args.requests, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
