"""Overload: K FreeIPMI ``ipmipower --stat`` processes at once against N BMCs; errors and sweep time.

Issue 9: 13 ``ipmipower`` processes against 10,000 BMCs ended 17-21 % of
their sessions in "BMC error".  For each server and each K this starts N BMCs
on the first N hosts of 127.63.0.0/16 (UDP 623), then K ``ipmipower -D LAN_2_0
--stat`` processes at once, each with all N hosts (ipmipower's defaults:
fanout 64, retransmission after 500 ms, session timeout 20 s), and counts the
answers per kind ("off" is success; anything else, such as "BMC error" or
"session timeout", is an error).  The sweep time runs from the start of the
clients until the last exits.

* vrack: ``python -m vrack up`` of N generic nodes (``boot_time: 0``); its
  BMCs' counters (handshake retransmissions answered again, refusals) are read
  from the control API afterwards.  ``--vrack-root DIR`` adds a second vrack
  row from another checkout (say, the commit before a change), side by side.
* ipmi_sim (OpenIPMI): N processes, one per BMC, up to ``--ipmi-sim-max``;
  its clients add ``-W opensesspriv`` (same messages, without which ipmi_sim
  refuses every login).

The clients share one session of their own, and each server has its own: the
kernel's autogroup scheduling shares CPU per session, and clients in the
server's session would starve it as if both ran on one machine.

    sudo python -m bench.ipmipower_overload [--sizes 1000] [--clients 1 4 13] [--ipmi-sim-max 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from bench.bmc_scale import first_hosts
from bench.peers import PeerError, Processes, start_ipmi_sim, start_vrack, vrack_spec, wait_until
from bench.probe import wait_answering
from bench.procinfo import cpu_seconds, load_average

NETWORK = "127.63.0.0/16"
SUCCESS = "off"
# ipmi_sim grants no privilege when the Open Session asks for "highest" and RAKP 1 for less (FreeIPMI's
# message: "privilege level cannot be obtained"); FreeIPMI's workaround asks for the real one at once.
IPMI_SIM_WORKAROUND = ("-W", "opensesspriv")


def run_clients(
    hosts: list[str], count: int, directory: Path, timeout: float, extra: tuple[str, ...] = ()
) -> Counter[str]:
    """Run ``count`` ipmipower processes at once in one new session; count their answers per kind."""
    directory.mkdir(parents=True, exist_ok=True)
    host_list = ",".join(hosts)
    argv = ["ipmipower", "-D", "LAN_2_0", "-u", "admin", "-p", "admin", "-h", host_list, "--stat", *extra]
    outputs = [directory / f"client{n}.out" for n in range(count)]
    script = " ".join(f'"$@" >{path} 2>&1 &' for path in outputs) + " wait"
    subprocess.run(["sh", "-c", script, "sh", *argv], start_new_session=True, check=True, timeout=timeout)
    answers: Counter[str] = Counter()
    for path in outputs:
        for line in path.read_text(errors="replace").splitlines():
            _, _, answer = line.partition(": ")
            answers[answer if answer else f"unparsed: {line[:60]}"] += 1
    return answers


def _row(
    server: str, bmcs: int, clients: int, answers: Counter[str], sweep: float, cpu: float | None
) -> dict[str, Any]:
    sessions = bmcs * clients
    errors = sessions - answers.get(SUCCESS, 0)
    return {
        "server": server,
        "bmcs": bmcs,
        "clients": clients,
        "sessions": sessions,
        "errors": errors,
        "error_pct": round(100.0 * errors / sessions, 2),
        "sweep_s": round(sweep, 2),
        "server_cpu_s": None if cpu is None else round(cpu, 2),
        "answers": dict(answers.most_common()),
    }


def _sweep(
    server: str,
    pids: list[int],
    hosts: list[str],
    clients: int,
    workdir: Path,
    timeout: float,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    cpu_before = sum(cpu_seconds(pid) or 0.0 for pid in pids)
    t0 = time.monotonic()
    answers = run_clients(hosts, clients, workdir / f"clients-{clients}", timeout, extra)
    sweep = time.monotonic() - t0
    cpu_after = sum(cpu_seconds(pid) or 0.0 for pid in pids)
    return _row(server, len(hosts), clients, answers, sweep, cpu_after - cpu_before)


def _vrack_totals(workdir: Path, rack: str) -> Counter[str]:
    """The sum of every BMC's session-layer counters, from the rack's control API."""
    import urllib.request

    info = json.loads((workdir / "state" / rack / "control.json").read_text(encoding="utf-8"))
    with urllib.request.urlopen(info["api"] + "/api/v1/devices", timeout=60) as response:
        devices = json.loads(response.read())
    totals: Counter[str] = Counter()
    for device in devices:
        totals.update(device.get("stats") or {})
    return totals


@contextmanager
def _vrack(count: int, workdir: Path, rack: str, root: Path | None, timeout: float) -> Iterator[tuple[int, list[str]]]:
    procs = Processes()
    try:
        if root is None:
            proc, _ = start_vrack(procs, workdir, rack, vrack_spec(rack, NETWORK, count), timeout=timeout)
        else:
            proc = _start_vrack_from(procs, root, workdir, rack, vrack_spec(rack, NETWORK, count), timeout)
        hosts = first_hosts(count, NETWORK)
        _wait_all_answer(hosts, timeout)
        yield proc.pid, hosts
    finally:
        procs.stop_all()


def _start_vrack_from(
    procs: Processes, root: Path, workdir: Path, rack: str, spec_text: str, timeout: float
) -> subprocess.Popen[bytes]:
    """``python -m vrack up`` with the code of another checkout ``root`` (imports from there)."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / f"{rack}.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    control = workdir / "state" / rack / "control.json"
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONUNBUFFERED="1")
    with (workdir / f"{rack}.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vrack", "--state-dir", str(workdir / "state"), "up", str(spec)],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    procs.running.append(proc)

    def running() -> bool:
        if proc.poll() is not None:
            raise PeerError(f"vrack from {root} exited with {proc.returncode}; see {workdir / (rack + '.log')}")
        try:
            return bool(json.loads(control.read_text(encoding="utf-8")).get("status") == "running")
        except (FileNotFoundError, json.JSONDecodeError):
            return False

    wait_until(running, timeout, f"vrack from {root} to report running")
    return proc


def _wait_all_answer(hosts: list[str], timeout: float) -> None:
    import asyncio

    answered = asyncio.run(wait_answering(hosts, timeout=timeout))
    if len(answered) != len(hosts):
        raise PeerError(f"{len(hosts) - len(answered)} of {len(hosts)} BMCs never answered")


def measure_vrack(
    count: int, clients: tuple[int, ...], workdir: Path, timeout: float, root: Path | None = None
) -> list[dict[str, Any]]:
    """One rack of ``count`` BMCs, swept by each number of clients in turn (sessions close between sweeps)."""
    label = "vrack" if root is None else f"vrack@{root.name}"
    rack = f"bench-overload-{count}"
    rows = []
    with _vrack(count, workdir, rack, root, timeout) as (pid, hosts):
        for k in clients:
            before = _vrack_totals(workdir, rack)
            row = _sweep(label, [pid], hosts, k, workdir, timeout)
            after = _vrack_totals(workdir, rack)
            row["retransmits_answered"] = after["handshake_retransmits"] - before["handshake_retransmits"]
            row["handshake_refusals"] = after["handshake_refusals"] - before["handshake_refusals"]
            rows.append(row)
    return rows


def measure_ipmi_sim(count: int, clients: tuple[int, ...], workdir: Path, timeout: float) -> list[dict[str, Any]]:
    procs = Processes()
    hosts = first_hosts(count, NETWORK)
    try:
        started = [start_ipmi_sim(procs, workdir / f"sim{i:05d}", host) for i, host in enumerate(hosts)]
        _wait_all_answer(hosts, timeout)
        pids = [p.pid for p in started]
        return [_sweep("ipmi_sim", pids, hosts, k, workdir, timeout, IPMI_SIM_WORKAROUND) for k in clients]
    finally:
        procs.stop_all()


def run(
    sizes: tuple[int, ...] = (1000,),
    clients: tuple[int, ...] = (1, 4, 13),
    ipmi_sim_max: int = 300,
    vrack_root: Path | None = None,
    timeout: float = 600.0,
    report: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Every server at every size, swept by each client count; one row per (server, N, K)."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vrack-overload-") as tmp:
        base = Path(tmp)
        for count in sizes:
            jobs: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
                ("vrack", partial(measure_vrack, count, clients, base / f"vrack-{count}", timeout))
            ]
            if vrack_root is not None:
                job = partial(measure_vrack, count, clients, base / f"old-{count}", timeout, vrack_root)
                jobs.append((f"vrack@{vrack_root.name}", job))
            if count <= ipmi_sim_max:
                jobs.append(("ipmi_sim", partial(measure_ipmi_sim, count, clients, base / f"sim-{count}", timeout)))
            else:
                report(f"  ipmi_sim N={count}: skipped (over --ipmi-sim-max {ipmi_sim_max})")
            for name, run_job in jobs:
                load = load_average()
                try:
                    measured = run_job()
                except (PeerError, subprocess.SubprocessError, OSError) as exc:
                    report(f"  {name} N={count}: FAILED: {exc}")
                    rows.append({"server": name, "bmcs": count, "error": str(exc)})
                    continue
                for row in measured:
                    row["loadavg_before"] = load
                    rows.append(row)
                    report(
                        f"  {row['server']:<14} N={count:<6} K={row['clients']:<3} errors {row['errors']:>6} "
                        f"({row['error_pct']:>5.2f} %)  sweep {row['sweep_s']:>7.2f} s  "
                        f"server CPU {row['server_cpu_s']} s  {row['answers']}"
                    )
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    """A markdown table of the rows (failed runs say so)."""
    lines = [
        "| server | BMCs | ipmipower processes | sessions | errors | error % | sweep s | server CPU s "
        "| retransmissions answered again |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['server']} | {row['bmcs']} | | | | | failed: {row['error'][:60]} | | |")
            continue
        lines.append(
            f"| {row['server']} | {row['bmcs']} | {row['clients']} | {row['sessions']} | {row['errors']} "
            f"| {row['error_pct']:.2f} | {row['sweep_s']:.2f} | {row['server_cpu_s']} "
            f"| {row.get('retransmits_answered', '')} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ipmipower overload benchmark: errors and sweep time vs clients")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], help="BMC counts N (1..20000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 13], help="ipmipower processes K")
    parser.add_argument("--ipmi-sim-max", type=int, default=300, help="largest N run as ipmi_sim processes")
    parser.add_argument("--vrack-root", type=Path, help="another checkout to run as a second vrack row")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per start-up or sweep")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    if any(not 1 <= n <= 20000 for n in args.sizes):
        parser.error("--sizes must be 1..20000 (the BMCs take the first N hosts of 127.63.0.0/16)")
    if any(not 1 <= k <= 64 for k in args.clients):
        parser.error("--clients must be 1..64")
    if args.vrack_root is not None and not (args.vrack_root / "vrack" / "__main__.py").is_file():
        parser.error(f"--vrack-root {args.vrack_root}: no vrack/__main__.py there")
    if os.geteuid() != 0:
        parser.error("the BMCs bind UDP 623 on 127.63.0.0/16: run as root")
    rows = run(tuple(args.sizes), tuple(args.clients), args.ipmi_sim_max, args.vrack_root, args.timeout)
    print("\n".join(table(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
