"""What following the journal costs a loaded rack: server CPU per request with 0, 1 and 100 followers.

Side by side in one run: ``ipmi_sim`` on 127.16.0.1 (the reference, no journal), then a one-node vrack
on 127.16.0.3 under the same load (``bench.ipmi_load``: K clients, Get Chassis Status over lanplus
suite 3) in phases:

* ``none``: nobody follows;
* ``stream N``: N Server-Sent Events followers (``bench.journal_followers``, one process, N connections);
* ``poll N``: N long-poll followers;
* ``... gone``: N followers connected, then killed (SIGKILL, no goodbye) just before the load: what
  followers that vanished cost (nothing, if the rack lets them go at once);
* ``... of an idle node``: N followers of a second node that gets no requests (a test waiting for its
  node while another is busy).

For each phase: server CPU per request, its ratio to ``none`` and to ``ipmi_sim``, and ``delivered``: the
events the followers received over (followers x entries journalled during the phase); 1.00 means every
follower got every entry.

    sudo python -m bench.journal_bench [--clients 8] [--duration 10] [--followers 1 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import urllib.request
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

from bench.load_bench import VRACK_ONE_NODE, LoadPlan, run_load_process
from bench.peers import PeerError, Processes, start_ipmi_sim, start_vrack
from bench.probe import wait_answering

REFERENCE, VRACK = "127.16.0.1", "127.16.0.3"
QUIET_NODE = "node02"  # a second node nobody loads: what followers of one device cost a busy rack
QUIET_NODE_SPEC = """\
  - name: node02
    kind: compute
    model: generic
    bmc: {{address: {address}, boot_time: 0, users: [{{name: admin, password: admin}}]}}
"""


def _last_seq(api: str) -> int:
    with urllib.request.urlopen(f"{api}/api/v1/events?after=0&limit=1", timeout=10) as answer:
        return int(json.load(answer)["last_seq"])


def _answering(address: str) -> None:
    if address not in asyncio.run(wait_answering([address], timeout=30)):
        raise PeerError(f"nothing answered on {address}:623")


def _start_followers(procs: Processes, workdir: Path, api: str, count: int, mode: str) -> Any:
    """``mode``: stream or poll, following everything; ``...-quiet``: following the idle node02 only."""
    argv = [sys.executable, "-m", "bench.journal_followers", "--api", api, "--count", str(count)]
    argv += ["--mode", mode.removesuffix("-quiet")] + (["--device", QUIET_NODE] if mode.endswith("-quiet") else [])
    argv += ["--after", str(_last_seq(api))]  # from now on: no backlog of earlier phases
    proc = procs.spawn(argv, workdir / f"followers-{mode}-{count}.log", stdout_pipe=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != b"following":
        raise PeerError(f"followers did not start: {line!r}")
    return proc


def _stop_followers(proc: Any) -> dict[str, int]:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    tally: dict[str, int] = json.loads(out.decode().strip().splitlines()[-1])
    return tally


def phase(
    name: str,
    procs: Processes,
    workdir: Path,
    target: tuple[str, str, int],
    plan: LoadPlan,
    followers: tuple[int, str],
) -> dict[str, Any]:
    """One load run with ``followers`` (count, mode) attached; mode ``*-gone`` kills them before the load."""
    count, mode = followers
    address, api, server_pid = target
    proc = None
    before = _last_seq(api)
    if count:
        proc = _start_followers(procs, workdir, api, count, mode.removesuffix("-gone"))
        if mode.endswith("-gone"):
            proc.kill()
            proc.wait()
            proc = None
    result = run_load_process(address, plan.clients[0], plan, server_pid)
    journalled = _last_seq(api) - before
    row: dict[str, Any] = {"phase": name, "followers": count, **result, "journalled": journalled}
    if proc is not None:
        tally = _stop_followers(proc)
        row.update(tally)
        if not mode.endswith("-quiet"):
            row["delivered"] = round(tally["events"] / (count * journalled), 3) if journalled else None
    return row


def run(
    plan: LoadPlan, counts: list[int], workdir: Path, addresses: tuple[str, str] = (REFERENCE, VRACK)
) -> list[dict[str, Any]]:
    """ipmi_sim on ``addresses[0]``, then the vrack phases on ``addresses[1]``; one row each."""
    reference_address, vrack_address = addresses
    rows: list[dict[str, Any]] = []
    procs = Processes()
    try:
        reference = start_ipmi_sim(procs, workdir / "ipmi_sim", reference_address)
        _answering(reference_address)
        row = run_load_process(reference_address, plan.clients[0], plan, reference.pid)
        rows.append({"phase": "ipmi_sim (no journal)", "followers": 0, **row})
        procs.stop(reference)
        network = str(ip_network(f"{vrack_address}/24", strict=False))
        spec = VRACK_ONE_NODE.format(address=vrack_address, network=network)
        spec += QUIET_NODE_SPEC.format(address=ip_address(vrack_address) + 1)
        rack, _ = start_vrack(procs, workdir / "vrack", "bench-load", spec)
        _answering(vrack_address)
        control = workdir / "vrack" / "state" / "bench-load" / "control.json"
        api = str(json.loads(control.read_text(encoding="utf-8"))["api"])
        phases: list[tuple[str, tuple[int, str]]] = [("none", (0, ""))]
        for mode in ("stream", "poll"):
            phases += [(f"{mode} {n}", (n, mode)) for n in counts]
            phases.append((f"{mode} {max(counts)}, just gone", (max(counts), f"{mode}-gone")))
            phases.append((f"{mode} {max(counts)}, of an idle node", (max(counts), f"{mode}-quiet")))
        for name, followers in phases:
            rows.append(phase(name, procs, workdir, (vrack_address, api, rack.pid), plan, followers))
            print(f"  {name:<22} {rows[-1]['server_cpu_per_request_us']} us CPU/req", file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: CPU per request and its ratios, req/s, delivery."""
    reference = rows[0]["server_cpu_per_request_us"]
    quiet = next(r["server_cpu_per_request_us"] for r in rows if r["phase"] == "none")
    lines = [
        "| phase | server CPU/request | vs no follower | vs ipmi_sim | req/s | delivered |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cpu = row["server_cpu_per_request_us"]
        delivered = row.get("delivered")
        lines.append(
            f"| {row['phase']} | {cpu} us | {cpu / quiet:.2f}x | {cpu / reference:.2f}x | {row['rps']:.0f} | "
            f"{'' if delivered is None else f'{delivered:.2f}'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Server CPU per request with journal followers attached")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--followers", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args(argv)
    plan = LoadPlan(clients=(args.clients,), duration=args.duration)
    with tempfile.TemporaryDirectory(prefix="vrack-journal-bench-") as tmp:
        rows = run(plan, args.followers, Path(tmp))
    print(table(rows))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
