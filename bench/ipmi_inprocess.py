"""CPU per in-session IPMI request inside the server process: no sockets, no reactor wake-ups.

Builds a one-node rack exactly as ``vrack up`` does (devices, journal writing its run file in a
temporary directory), on a fake clock, logs in ``--sessions`` RMCP+ sessions with cipher suite 3
using the benchmark's own client (:mod:`bench.rmcpplus_client`, which shares no code with
``bmc_sim``), builds ``--requests`` Get Chassis Status datagrams round robin over the sessions, and
feeds them to the node's BMC endpoint (``BmcEndpoint.datagram_received``, what the UDP protocol calls
once per datagram).  Every reply is checked by the client after the timed loop.  Prints the best of
``--repeat`` runs as CPU microseconds per request, with the garbage collector's passes per generation
and their time per request in that run; ``--profile`` prints cProfile's top functions of one more run
instead.  As ``vrack up`` leaves a started rack (:mod:`vrack.startup_gc`), the objects that exist before
the timed loop are frozen out of the collector's passes; ``--no-freeze`` leaves them in.

    python -m bench.ipmi_inprocess [--requests 100000] [--repeat 5] [--profile] [--no-freeze]

This is the session layer, crypto, device and journal share of a request; ``bench.load_bench``
measures the whole server process over the network side by side with ``ipmi_sim``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.journal_append import one_node_rack
from bench.rmcpplus_client import Session
from bmc_sim.session import BmcEndpoint
from vrack.heap import keep_heap_top

ONE_NODE = """\
rack: bench-inprocess
seed: bench-inprocess-seed
networks: {management: 127.16.0.0/24}
devices:
  - name: node01
    kind: compute
    model: generic
    bmc: {boot_time: 0, session_limit: 64, users: [{name: admin, password: admin}]}
"""
PEER_ADDRESS = "127.16.0.200"


class GcPasses:
    """Counts the collector's passes per generation and their time between :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self.passes = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.passes[info["generation"]] += 1
            self.seconds += time.perf_counter() - self._started


def _one(replies: list[bytes]) -> bytes:
    if len(replies) != 1:
        raise RuntimeError(f"expected one reply, got {len(replies)}")
    return replies[0]


def login(endpoint: BmcEndpoint, peer: tuple[str, int]) -> Session:
    """An active RMCP+ session (cipher suite 3, admin/admin) of ``peer`` with ``endpoint``."""
    session = Session("admin", "admin")
    opened = _one(endpoint.datagram_received(session.open_request(), peer))
    rakp2 = _one(endpoint.datagram_received(session.rakp1(opened), peer))
    rakp4 = _one(endpoint.datagram_received(session.rakp3(rakp2), peer))
    session.accept_rakp4(rakp4)
    return session


def one_run(
    requests: int,
    sessions: int,
    directory: Path,
    profile: cProfile.Profile | None = None,
    gc_passes: GcPasses | None = None,
    freeze: bool = True,
) -> float:
    """CPU seconds the endpoint spent answering ``requests`` in-session requests (journal file included); the
    collector's passes in the timed loop go to ``gc_passes``."""
    rack = one_node_rack(ONE_NODE, directory)
    reactor, journal, endpoint = rack.reactor, rack.journal, rack.node.endpoint
    peers = [(PEER_ADDRESS, 40000 + i) for i in range(sessions)]
    clients = [login(endpoint, peer) for peer in peers]
    datagrams = [clients[i % sessions].request(0x00, 0x01)[0] for i in range(requests)]
    receive = endpoint.datagram_received
    replies: list[list[bytes]] = []
    keep = replies.append
    if freeze:
        gc.collect()
        gc.freeze()
    if gc_passes is not None:
        gc_passes.start()
    if profile is not None:
        profile.enable()
    started = time.process_time()
    for i in range(requests):
        if i % 64 == 0:
            reactor.advance(0.0001)  # time moves as it does under load
        keep(receive(datagrams[i], peers[i % sessions]))
    elapsed = time.process_time() - started
    if profile is not None:
        profile.disable()
    if gc_passes is not None:
        gc_passes.stop()
    gc.unfreeze()
    journal.close()
    for i, answer in enumerate(replies):
        response = clients[i % sessions].response(_one(answer))
        if response.completion_code != 0 or (response.netfn, response.cmd) != (0x01, 0x01):
            raise RuntimeError(f"request {i}: unexpected response {response}")
    return elapsed


def measure(requests: int, sessions: int, repeat: int, freeze: bool = True) -> dict[str, Any]:
    """The best of ``repeat`` runs: CPU us per request, and the collector's passes and time in that run."""
    best, best_passes = float("inf"), GcPasses()
    for _ in range(repeat):
        passes = GcPasses()
        with tempfile.TemporaryDirectory(prefix="vrack-ipmi-inprocess-") as tmp:
            elapsed = one_run(requests, sessions, Path(tmp), gc_passes=passes, freeze=freeze)
        if elapsed < best:
            best, best_passes = elapsed, passes
    return {
        "requests": requests,
        "sessions": sessions,
        "frozen": freeze,
        "cpu_us_per_request": round(best / requests * 1e6, 2),
        "gc_passes": best_passes.passes,
        "gc_us_per_request": round(best_passes.seconds / requests * 1e6, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per in-session IPMI request in process (no sockets)")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of one run")
    parser.add_argument("--no-freeze", action="store_true", help="leave the objects made before the loop unfrozen")
    args = parser.parse_args(argv)
    keep_heap_top()  # as the rack process does (vrack.heap)
    if args.profile:
        profile = cProfile.Profile()
        with tempfile.TemporaryDirectory(prefix="vrack-ipmi-inprocess-") as tmp:
            one_run(args.requests, args.sessions, Path(tmp), profile, freeze=not args.no_freeze)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return 0
    print(json.dumps(measure(args.requests, args.sessions, args.repeat, freeze=not args.no_freeze)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
