"""What SNMP devices cost a vrack rack: RSS and start-up of 40 switches + 80 PDUs vs the same rack without them.

Two racks are started one after the other with ``python -m vrack up``
(addresses from 127.18.16.0/20, SNMP on UDP 161):

* ``base``: one compute node (its BMC), nothing else;
* ``full``: the same node plus ``switches`` 48-port switches (arista-7050 and
  cisco-nexus-3000, alternating entries) and ``pdus`` 24-outlet PDUs (the
  three PDU models in equal shares).

For each: ``bound`` is when control.json says running, ``all answer`` when
every SNMP agent answered a GET of sysDescr.0 (probes start after ``bound``);
times count from just before the spawn.  RSS and PSS are read right after,
and, with ``walk=True``, again after every device was walked once by GETBULK
(what a manager's first discovery does).  The reported cost of the devices
is ``full`` minus ``base``.

    python -m bench.snmp_memory [--switches 40] [--pdus 80] [--no-walk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.peers import Processes, start_vrack
from bench.procinfo import pss_kib, rss_kib, thread_count
from bench.snmp_client import wait_answering, walk

NETWORK = "127.18.16.0/20"
PDU_MODELS = ("servertech-sentry3", "apc-powernet", "sinetica-hawk-i2")
SWITCH_MODELS = ("arista-7050", "cisco-nexus-3000")


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


def memory_spec(rack: str, switches: int, pdus: int, network: str = NETWORK, ports: int = 48, outlets: int = 24) -> str:
    """One compute node, then ``switches`` switches and ``pdus`` PDUs with models in equal shares."""
    lines = [
        f"rack: {rack}",
        f"seed: {rack}-seed",
        "networks:",
        f"  management: {network}",
        "devices:",
        "  - name: node01",
        "    kind: compute",
        "    model: generic",
        "    bmc:",
        "      boot_time: 0",
        "      users:",
        "        - {name: admin, password: admin}",
    ]
    start = 1
    for model, count in zip(SWITCH_MODELS, _shares(switches, len(SWITCH_MODELS)), strict=True):
        if count:
            lines += [
                '  - name: "sw{n:03d}"',
                "    kind: switch",
                f"    model: {model}",
                f"    count: {count}",
                f"    start: {start}",
                f"    ports: {ports}",
            ]
            start += count
    start = 1
    for model, count in zip(PDU_MODELS, _shares(pdus, len(PDU_MODELS)), strict=True):
        if count:
            lines += [
                '  - name: "pdu{n:03d}"',
                "    kind: pdu",
                f"    model: {model}",
                f"    count: {count}",
                f"    start: {start}",
                f"    outlets: {outlets}",
            ]
            start += count
    return "\n".join(lines) + "\n"


def snmp_hosts(spec_path: Path) -> list[str]:
    """Addresses of the spec's PDUs and switches as vrack assigns them (its own planner; no sockets)."""
    from vrack.plan import build_plan
    from vrack.spec import load_spec

    plan = build_plan(load_spec(spec_path))
    return [str(device.address) for device in (*plan.switches, *plan.pdus)]


def _memory(pid: int) -> dict[str, int]:
    return {"rss_kib": rss_kib(pid) or 0, "pss_kib": pss_kib(pid) or 0, "threads": thread_count(pid) or 0}


async def _walk_all(hosts: list[str], concurrency: int = 4) -> int:
    """GETBULK-walk every host (``concurrency`` at a time); the number of objects seen."""
    gate = asyncio.Semaphore(concurrency)

    async def one(host: str) -> int:
        async with gate:
            return len(await walk(host, max_repetitions=25, timeout=5.0))

    return sum(await asyncio.gather(*(one(host) for host in hosts)))


def measure_rack(
    label: str, switches: int, pdus: int, workdir: Path, walk_devices: bool = True, timeout: float = 120.0
) -> dict[str, Any]:
    """Start one rack, wait until every SNMP agent answers, read its memory (and again after walking it)."""
    rack = f"bench-snmp-mem-{label}"
    spec_text = memory_spec(rack, switches, pdus)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{rack}.yaml").write_text(spec_text, encoding="utf-8")
    hosts = snmp_hosts(workdir / f"{rack}.yaml")
    procs = Processes()
    try:
        t0 = time.monotonic()
        proc, bound = start_vrack(procs, workdir, rack, spec_text, timeout=timeout)
        answered = asyncio.run(wait_answering(hosts, timeout=timeout)) if hosts else {}
        last = max(answered.values()) if answered else bound
        row: dict[str, Any] = {
            "rack": label,
            "switches": switches,
            "pdus": pdus,
            "snmp_agents": len(hosts),
            "not_answering": len(hosts) - len(answered),
            "bound_s": round(bound - t0, 3),
            "all_answer_s": round(last - t0, 3) if len(answered) == len(hosts) else None,
            **_memory(proc.pid),
        }
        if walk_devices and hosts:
            started = time.monotonic()
            row["walked_objects"] = asyncio.run(_walk_all(hosts))
            row["walk_all_s"] = round(time.monotonic() - started, 3)
            after = _memory(proc.pid)
            row["rss_after_walk_kib"] = after["rss_kib"]
            row["pss_after_walk_kib"] = after["pss_kib"]
        return row
    finally:
        procs.stop_all()


def run(
    switches: int = 40, pdus: int = 80, walk_devices: bool = True, workdir: Path | None = None
) -> list[dict[str, Any]]:
    """The ``base`` and ``full`` rows, and a ``delta`` row (full minus base)."""
    with tempfile.TemporaryDirectory(prefix="vrack-snmp-mem-") as tmp:
        base_dir = workdir or Path(tmp)
        base = measure_rack("base", 0, 0, base_dir / "base", walk_devices=False)
        full = measure_rack("full", switches, pdus, base_dir / "full", walk_devices=walk_devices)
    delta: dict[str, Any] = {
        "rack": "delta",
        "switches": switches,
        "pdus": pdus,
        "rss_kib": full["rss_kib"] - base["rss_kib"],
        "pss_kib": full["pss_kib"] - base["pss_kib"],
    }
    if "rss_after_walk_kib" in full:
        delta["rss_after_walk_kib"] = full["rss_after_walk_kib"] - base["rss_kib"]
        delta["pss_after_walk_kib"] = full["pss_after_walk_kib"] - base["pss_kib"]
    return [base, full, delta]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--switches", type=int, default=40)
    parser.add_argument("--pdus", type=int, default=80)
    parser.add_argument("--no-walk", action="store_true", help="skip walking every device before the second reading")
    args = parser.parse_args(argv)
    if not 0 <= args.switches <= 1000 or not 0 <= args.pdus <= 1000:
        parser.error("--switches and --pdus must be 0..1000")
    json.dump(run(args.switches, args.pdus, not args.no_walk), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
