"""Scale: N BMCs (plus their PDUs and switches) up, resident memory, and a full ``ipmipower --stat`` sweep.

For each N: a spec of N generic compute nodes (``boot_time: 0``), one ServerTech PDU per 40 nodes and
one Arista switch per 48, on the first hosts of ``--network`` (default 127.128.0.0/9, so 100,000 BMCs
reach beyond one /16).  ``python -m vrack up`` runs it in its own process group; ``up`` is when
control.json says running (every socket bound), ``all answer`` when the last BMC answered a
sessionless probe.  Then one FreeIPMI ``ipmipower -D LAN_2_0 --stat`` process per ``--per-client``
hosts (it uses select(), so at most about 1,000 hosts each), at most ``--parallel`` at once, asks
every BMC for its power state; every answer is counted by kind, and all but ``off`` (what a small
rack answers for a node with AC power and the host off) is an error.  Memory (VmRSS, PSS) is read
when all answer and after the sweep; descriptors from ``/proc/PID/fd``.

``--racks K`` splits the N BMCs into K separate ``vrack up`` processes, one subnet each (a /16 of
127.128.0.0/9): the split of docs/scaling.md *without* its coordination (K journals and control APIs).
It shows what K cores give the serving, as an upper bound, and that each process stays under its own
descriptor limit.  ``--workers K`` runs one rack with ``vrack up --workers K``: the coordinated split (one
journal, one API and power model; the nodes served by K worker processes), counted over all its processes.

``--shared`` adds one rack in one process, and one per ``--workers K``, with shared listeners
(``ports.shared`` at ``--shared-ports``: one UDP socket and one TCP listener per port for all BMCs, or one
``SO_REUSEPORT`` group steered by destination over the workers); ``--racks`` with no value skips the
separate racks.

    sudo python -m bench.rack_scale --bmcs 1000 10000 [--racks 1 2] [--workers 2] [--shared] [--no-redfish]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.args import loopback_network, positive_int
from bench.peers import PeerError, Processes, spawn_vrack, wait_vrack_running
from bench.probe import wait_answering
from bench.procinfo import cpu_seconds, load_average, pss_kib, rss_kib

NETWORK = "127.128.0.0/9"
NODES_PER_PDU = 40
NODES_PER_SWITCH = 48
SUCCESS = "off"
SHARED_PORTS = (16230, 16443)  # IPMI, Redfish of --shared racks: the wildcard socket takes them on every address


GROUP = 10_000  # a spec entry expands to at most this many devices


def scale_spec(
    rack: str,
    network: str,
    count: int,
    redfish: bool = True,
    shared: bool = False,
    shared_ports: tuple[int, int] = SHARED_PORTS,
) -> str:
    """N generic nodes (admin/admin, no simulated boot time) with a PDU per 40 and a switch per 48; nodes in
    entries of at most 10,000 (what one spec entry may expand to), numbered on with ``start``.  ``shared``:
    the BMCs on shared listeners (``ports.shared``) at ``shared_ports`` (IPMI, Redfish)."""
    pdus, switches = -(-count // NODES_PER_PDU), -(-count // NODES_PER_SWITCH)
    text = f"rack: {rack}\nseed: {rack}-seed\nnetworks:\n  management: {network}\n"
    if shared:
        text += f"ports: {{ipmi: {shared_ports[0]}, redfish: {shared_ports[1]}, shared: true}}\n"
    text += "devices:\n"
    for first in range(0, count, GROUP):
        text += (
            f'  - name: "node{{n:06d}}"\n    kind: compute\n    model: generic\n'
            f"    count: {min(GROUP, count - first)}\n    start: {first + 1}\n"
            f"    bmc:\n      boot_time: 0\n      redfish: {{enabled: {str(redfish).lower()}}}\n"
            "      users:\n        - {name: admin, password: admin}\n"
        )
    return text + (
        f'  - name: "pdu{{n:05d}}"\n    kind: pdu\n    model: servertech-sentry3\n    count: {pdus}\n'
        f'  - name: "sw{{n:05d}}"\n    kind: switch\n    model: arista-7050\n    count: {switches}\n'
    )


def rack_networks(network: str, racks: int) -> list[str]:
    """One network per rack: ``network`` itself for one rack, else its first ``racks`` equal subnets, each
    at most a /16 (127.128.0.0/9 split in two: 127.128.0.0/16 and 127.129.0.0/16)."""
    if racks == 1:
        return [network]
    whole = ipaddress.IPv4Network(network)
    prefix = max(16, whole.prefixlen + (racks - 1).bit_length())
    subnets = whole.subnets(new_prefix=prefix)
    return [str(next(subnets)) for _ in range(racks)]


def bmc_hosts(spec_path: Path) -> list[str]:
    """The BMC addresses vrack's planner gives the spec (pure: no sockets)."""
    from vrack.plan import build_plan
    from vrack.spec import load_spec

    return [str(node.bmc_address) for node in build_plan(load_spec(spec_path)).nodes]


def sweep(
    hosts: list[str], per_client: int, parallel: int, workdir: Path, timeout: float, port: int = 623
) -> tuple[Counter[str], float]:
    """Every host's power state by ``ipmipower --stat``, ``per_client`` hosts per process; (answers, seconds).

    The clients run under one ``xargs -P`` in one new session: with the kernel's autogroup scheduling CPU
    is shared per session, and N clients each in a session of its own (or in the server's) would leave
    the server 1/(N+1) of the machine.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    lists = []
    for index in range(0, len(hosts), per_client):
        path = workdir / f"hosts{index // per_client}"
        suffix = "" if port == 623 else f":{port}"  # FreeIPMI's host:port form
        path.write_text(",".join(h + suffix for h in hosts[index : index + per_client]), encoding="ascii")
        lists.append(str(path))
    command = 'exec ipmipower -D LAN_2_0 -u admin -p admin -h "$(cat "$1")" --stat >"$1.out" 2>&1'
    started = time.monotonic()
    subprocess.run(
        ["xargs", "-P", str(parallel), "-n", "1", "sh", "-c", command, "sh"],
        input="\n".join(lists).encode(),
        start_new_session=True,
        check=False,
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    answers: Counter[str] = Counter()
    for host_list in lists:
        for line in Path(host_list + ".out").read_text(errors="replace").splitlines():
            _, _, answer = line.partition(": ")
            answers[answer if answer else f"unparsed: {line[:60]}"] += 1
    return answers, seconds


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a rack's workers)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def measure(
    count: int, racks: int, args: argparse.Namespace, workdir: Path, workers: int = 0, shared: bool = False
) -> dict[str, Any]:
    """One row: N BMCs served by ``racks`` vrack processes (with ``workers``: one rack, its nodes served by
    that many worker processes of ``vrack up --workers``; ``shared``: one process with ``ports.shared``)."""
    procs = Processes()
    row: dict[str, Any] = {"bmcs": count, "racks": racks, "workers": workers, "redfish": args.redfish}
    row["shared"] = shared
    port = args.shared_ports[0] if shared else 623
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        shares = [count // racks + (i < count % racks) for i in range(racks)]
        specs, hosts = [], []
        for i, (share, network) in enumerate(zip(shares, rack_networks(args.network, racks), strict=True)):
            name = f"scale{count}r{racks}x{i}"
            path = workdir / f"{name}.yaml"
            text = scale_spec(name, network, share, args.redfish, shared, tuple(args.shared_ports))
            path.write_text(text, encoding="utf-8")
            specs.append((name, path.read_text(encoding="utf-8")))
            hosts += bmc_hosts(path)
        row["pdus"] = sum(-(-s // NODES_PER_PDU) for s in shares)
        row["switches"] = sum(-(-s // NODES_PER_SWITCH) for s in shares)
        t0 = time.monotonic()
        up_args = ("--workers", str(workers)) if workers else ()
        started = [spawn_vrack(procs, workdir / name, name, text, up_args) for name, text in specs]  # all at once
        for (name, _), proc in zip(specs, started, strict=True):
            wait_vrack_running(proc, workdir / name, name, args.timeout)
        pids = [proc.pid for proc in started]
        pids += [child for pid in pids for child in _children(pid)] if workers else []
        row["processes"] = len(pids)
        row["up_s"] = round(time.monotonic() - t0, 2)
        row["load_avg_up"] = round(load_average(), 2)
        answered = asyncio.run(wait_answering(hosts, port=port, timeout=args.timeout))
        row["not_answering"] = len(hosts) - len(answered)
        row["all_answer_s"] = round(max(answered.values()) - t0, 2) if answered else None
        row["rss_mib"] = round(sum(rss_kib(p) or 0 for p in pids) / 1024, 1)
        row["rss_each_mib"] = [round((rss_kib(p) or 0) / 1024, 1) for p in pids]  # with workers: coordinator first
        row["pss_mib"] = round(sum(pss_kib(p) or 0 for p in pids) / 1024, 1)
        row["fds"] = sum(_fds(p) for p in pids)
        cpu0 = sum(cpu_seconds(p) or 0.0 for p in pids)
        answers, seconds = sweep(hosts, args.per_client, args.parallel, workdir / "sweep", args.timeout, port)
        row["load_avg_sweep"] = round(load_average(), 2)
        row["sweep_cpu_s"] = round(sum(cpu_seconds(p) or 0.0 for p in pids) - cpu0, 2)
        row["sweep_s"] = round(seconds, 2)
        row["bmcs_per_s"] = round(len(hosts) / seconds, 1) if seconds else None
        row["sweep_processes"] = -(-len(hosts) // args.per_client)
        row["answers"] = dict(answers)
        row["errors"] = sum(answers.values()) - answers.get(SUCCESS, 0) + max(0, len(hosts) - sum(answers.values()))
        row["rss_after_sweep_mib"] = round(sum(rss_kib(p) or 0 for p in pids) / 1024, 1)
        row["rss_each_after_sweep_mib"] = [round((rss_kib(p) or 0) / 1024, 1) for p in pids]
        row["kib_per_bmc"] = round(row["rss_after_sweep_mib"] * 1024 / count, 1)
    except (PeerError, subprocess.TimeoutExpired, OSError) as exc:
        row["error"] = str(exc)[:500]
    finally:
        procs.stop_all(grace=60)
    return row


def table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| BMCs | PDUs + switches | vrack processes | up s | all answer s | RSS MiB | KiB/BMC after sweep | fds "
        "| sweep s | BMCs swept / s | ipmipower processes | errors | server CPU s in sweep | load avg up / sweep |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['bmcs']} | | {_processes(r)} | FAILED: {r['error'][:120]} | | | | | | | | | | |")
            continue
        out.append(
            f"| {r['bmcs']} | {r['pdus']} + {r['switches']} | {_processes(r)} | {r['up_s']} | {r['all_answer_s']} "
            f"| {r['rss_mib']} | {r['kib_per_bmc']} | {r['fds']} | {r['sweep_s']} | {r['bmcs_per_s']} "
            f"| {r['sweep_processes']} "
            f"| {r['errors']} | {r['sweep_cpu_s']} | {r.get('load_avg_up')} / {r.get('load_avg_sweep')} |"
        )
    return out


def _processes(row: dict[str, Any]) -> str:
    if row.get("shared"):
        return f"1 + {row['workers']} workers, shared listeners" if row.get("workers") else "1, shared listeners"
    if row.get("workers"):
        return f"1 + {row['workers']} workers"
    return f"{row['racks']} separate" if row["racks"] > 1 else "1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bmcs", type=positive_int, nargs="+", default=[1000, 10000], help="rack sizes N")
    parser.add_argument(
        "--racks", type=int, nargs="*", default=[1], help="vrack processes sharing the N BMCs (none: skip)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[],
        help="also one rack served by K worker processes (vrack up --workers K), for each K given",
    )
    parser.add_argument(
        "--shared", action="store_true", help="also the one-process and --workers racks with ports.shared"
    )
    parser.add_argument(
        "--only-shared", action="store_true", help="only the --shared racks (one process and each --workers K)"
    )
    parser.add_argument(
        "--shared-ports",
        type=int,
        nargs=2,
        default=list(SHARED_PORTS),
        metavar=("IPMI", "REDFISH"),
        help="ports of the --shared rack (taken on every address while it runs)",
    )
    parser.add_argument("--network", type=loopback_network, default=NETWORK, help="addresses (inside 127.0.0.0/8)")
    parser.add_argument("--per-client", type=int, default=1000, help="hosts per ipmipower process (<= 1000)")
    parser.add_argument("--parallel", type=int, default=2, help="ipmipower processes at once")
    parser.add_argument("--no-redfish", dest="redfish", action="store_false", help="BMCs without Redfish")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for any one phase")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    if not ipaddress.IPv4Network(args.network).subnet_of(ipaddress.IPv4Network("127.0.0.0/8")):
        parser.error("--network must be inside 127.0.0.0/8")
    if not 1 <= args.per_client <= 1000:
        parser.error("--per-client must be 1..1000 (ipmipower uses select())")
    print(f"- cpus: {os.cpu_count()}; python {platform.python_version()}; load average {load_average():.2f}")
    print(f"- RLIMIT_NOFILE of this shell: {resource.getrlimit(resource.RLIMIT_NOFILE)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vrack-rack-scale-") as tmp:
        for count in args.bmcs:
            runs = [(racks, 0, False) for racks in args.racks] + [(1, workers, False) for workers in args.workers]
            runs = [] if args.only_shared else runs
            shared_runs = [(1, 0, True), *((1, workers, True) for workers in args.workers)]
            runs += shared_runs if args.shared or args.only_shared else []
            for racks, workers, shared in runs:
                where = Path(tmp) / f"{count}-{racks}-{workers}{'-shared' if shared else ''}"
                row = measure(count, racks, args, where, workers, shared)
                print(json.dumps(row), flush=True)
                rows.append(row)
    print("\n".join(table(rows)))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if all("error" not in r and r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
