"""What building one device costs: CPU and resident memory per BMC, per PDU and per switch (issue 17).

Builds the devices of ``bench.rack_scale``'s spec (N generic nodes with Redfish, a ServerTech PDU per 40, an
Arista switch per 48) in this process, as ``vrack up`` builds them but without binding ports (a fake reactor),
and reports for each kind the process CPU and the growth of this process's RSS per device.  It measures the
start-up work a rack does per device, apart from sockets and the journal; run it in a fresh process.  A PDU's
or switch's MIB is built at the first request its agent gets, so ``pdu_mib`` and ``switch_mib`` report what
building the MIBs of all of them adds (a rack whose every PDU and switch was polled).  ``standin`` is what
``vrack up --workers K`` holds in the coordinator per worker-served node: a
:class:`~vrack.split.remote.RemoteNode` updated with the state its worker sends at ``ready`` (made here from
the BMCs just built and passed through the channel's orjson encoding).

    python -m bench.device_build --bmcs 3000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from twisted.internet.testing import MemoryReactorClock

from bench.args import positive_int
from bench.procinfo import rss_kib
from bench.rack_scale import scale_spec
from snmp_agent.source import LazySource
from vrack.clock import RackClock
from vrack.devices import RackContext
from vrack.devices.compute import build_compute_devices
from vrack.devices.pdu import build_pdu_devices
from vrack.devices.switch import build_switch_devices
from vrack.journal import Journal
from vrack.plan import RackPlan, build_plan
from vrack.spec import parse_spec
from vrack.split.remote import RemoteNode
from vrack.split.worker import node_state

Build = Callable[[RackPlan, RackContext], Iterator[Any]]
KINDS: dict[str, Build] = {"bmc": build_compute_devices, "pdu": build_pdu_devices, "switch": build_switch_devices}


def measure(bmcs: int) -> dict[str, dict[str, float]]:
    """Per kind: how many were built, CPU milliseconds and KiB of RSS per device."""
    plan = build_plan(parse_spec(scale_spec("build", "127.128.0.0/9", bmcs)))
    reactor = MemoryReactorClock()
    clock = RackClock(reactor, plan.spec.epoch)
    context = RackContext(reactor, Journal(clock), clock, None, None)
    kept: list[Any] = []
    mibs: list[Any] = []
    result: dict[str, dict[str, float]] = {}
    for kind, build in KINDS.items():
        gc.collect()
        rss_before, cpu_before = rss_kib(os.getpid()) or 0, time.process_time()
        built = list(build(plan, context))
        cpu = time.process_time() - cpu_before
        gc.collect()
        rss = (rss_kib(os.getpid()) or 0) - rss_before
        kept.extend(built)  # alive while the next kind is measured, as in a rack
        result[kind] = _row(len(built), cpu, rss)
    for kind in ("pdu", "switch"):
        sources = [device.agent.source for device in kept if getattr(device, "kind", "") == kind]
        gc.collect()
        rss_before, cpu_before = rss_kib(os.getpid()) or 0, time.process_time()
        built_mibs = [source.source if isinstance(source, LazySource) else source for source in sources]
        cpu = time.process_time() - cpu_before
        gc.collect()
        rss = (rss_kib(os.getpid()) or 0) - rss_before
        mibs.extend(built_mibs)
        result[f"{kind}_mib"] = _row(len(built_mibs), cpu, rss)
    result["standin"] = _standins(plan, [device for device in kept if getattr(device, "kind", "") == "compute"])
    return result


def _standins(plan: RackPlan, nodes: list[Any]) -> dict[str, float]:
    """The coordinator's stand-ins of ``nodes``, each updated with its worker's ``ready`` state."""
    states = [orjson.dumps({**node_state(node), "credentials": node.credentials()}) for node in nodes]
    gc.collect()
    rss_before, cpu_before = rss_kib(os.getpid()) or 0, time.process_time()
    standins = [RemoteNode(node, 0, _nowhere, None, plan) for node in plan.nodes]
    for standin, state in zip(standins, states, strict=True):
        standin.update(orjson.loads(state))  # as the channel decodes it
    cpu = time.process_time() - cpu_before
    gc.collect()
    return _row(len(standins), cpu, (rss_kib(os.getpid()) or 0) - rss_before)


def _nowhere(message: dict[str, Any]) -> None:
    """A stand-in's channel to its worker (nothing is sent while measuring)."""


def _row(count: int, cpu: float, rss: int) -> dict[str, float]:
    each = max(count, 1)
    return {"count": count, "cpu_ms_each": round(cpu / each * 1000, 3), "rss_kib_each": round(rss / each, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmcs", type=positive_int, default=3000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.bmcs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
