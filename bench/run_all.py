"""Run every IPMI benchmark in one go and print markdown tables with vrack / peer ratios.

    python -m bench.run_all                     # about 2 minutes on 2 cores
    python -m bench.run_all --duration 3 --sizes 10 100   # quick look

Order: the request benchmark (:mod:`bench.load_bench`: ipmi_sim, pyghmi,
vrack, one after another, identical load), then the scale benchmark
(:mod:`bench.bmc_scale`).  Raw rows go to ``bench/results/ipmi-<time>.json``
(gitignored).  Every server runs in its own process group and is stopped in a
``finally``; SIGTERM/SIGINT unwind through those ``finally`` blocks too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import bmc_scale, load_bench, report
from bench.procinfo import load_average

RESULTS = Path(__file__).resolve().parent / "results"


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (done.stdout or done.stderr).decode(errors="replace").strip().splitlines()[0][:80]


def environment() -> dict[str, Any]:
    """What the numbers depend on: machine, versions, commit, load."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pyghmi = version("pyghmi")
    except PackageNotFoundError:
        pyghmi = "missing"
    commit = _version(["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"])
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pyghmi": pyghmi,
        "openipmi": _version(["dpkg-query", "-W", "-f=${Version}", "openipmi"])
        if shutil.which("ipmi_sim")
        else "missing",
        "commit": commit,
        "loadavg_start": load_average(),
    }


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="IPMI benchmarks: vrack vs OpenIPMI ipmi_sim vs pyghmi")
    load_bench.add_arguments(parser)
    bmc_scale.add_arguments(parser)
    parser.set_defaults(ipmi_sim_max=1000)
    parser.add_argument("--skip-load", action="store_true", help="only the scale benchmark")
    parser.add_argument("--skip-scale", action="store_true", help="only the request benchmark")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)

    env = environment()
    started = time.monotonic()
    print(f"# IPMI benchmarks ({env['cpus']} CPUs, load {env['loadavg_start']}, commit {env['commit']})", flush=True)
    load_rows: list[dict[str, Any]] = []
    scale_rows: list[dict[str, Any]] = []
    plan = load_bench.plan_from(args)
    if not args.skip_load:
        print(
            f"\nrequest benchmark: Get Chassis Status, lanplus cipher suite 3, K={list(plan.clients)}, "
            f"D={plan.duration:g} s (+{plan.warmup:g} s warm-up), {plan.processes} client processes",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="vrack-bench-") as tmp:
            load_rows = load_bench.run(plan, Path(tmp), report=lambda line: print(line, flush=True))
    if not args.skip_scale:
        print(f"\nscale benchmark: N={args.sizes} BMCs on 127.12.0.0/16", flush=True)
        scale_rows = bmc_scale.run(
            tuple(args.sizes),
            tuple(args.scale_servers),
            args.ipmi_sim_max,
            timeout=args.scale_timeout,
            report=lambda line: print(line, flush=True),
        )
    elapsed = time.monotonic() - started

    lines = ["", f"## Results (took {elapsed:.0f} s)", ""]
    lines += [f"- {key}: {value}" for key, value in env.items()]
    if load_rows:
        lines += ["", "### Get Chassis Status over lanplus (cipher suite 3)", "", *report.load_tables(load_rows)]
        lines += [
            "",
            "CPU columns are cores busy during the window (server process, all client processes, and everything",
            "else on the machine: kernel network stack and other work).  A server CPU below 1.0 with client CPU",
            "near the remaining cores means the clients, not the server, were the limit.",
        ]
    if scale_rows:
        lines += ["", "### Start-up time and memory", "", *report.scale_tables(scale_rows)]
    lines += ["", "### Goals", "", *report.goals(load_rows, scale_rows)]
    print("\n".join(lines))

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / time.strftime("ipmi-%Y%m%d-%H%M%S.json")
    out.write_text(
        json.dumps(
            {"environment": env, "elapsed_s": round(elapsed, 1), "load": load_rows, "scale": scale_rows}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
