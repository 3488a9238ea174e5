"""PXE boot benchmark in one run: N simulated nodes booting at once (N = 10, 100, 1,000) vs one VM node.

    sudo python -m bench.pxe_run                    # about 2.5 minutes on 2 cores
    sudo python -m bench.pxe_run --sizes 10 100 --no-what-if --no-vm     # quick look, about 15 s

Every measurement runs in its own process (its own process group, killed if it overruns), one after
another, each alone:

1. :mod:`bench.pxe_sim` for each N: N NetbootNodes in one process on the asyncio reactor, their veths
   on a vrack rack bridge, dnsmasq (DHCP + TFTP of a 64 KiB ``pxelinux.0``) where RackHD would sit;
2. what-ifs at the largest N (``--no-what-if`` skips them): the same with the host limits a 1,000-NIC
   bridge needs raised for the run (:func:`bench.pxe_net.host_tuning`, put back afterwards), and
   then also with node DHCP on one UDP socket per NIC (the what-if of before :mod:`node_sim.packet`);
3. :mod:`bench.pxe_vm`: one libvirt/QEMU TCG VM PXE-booting from the same dnsmasq configuration.

Prints markdown tables (boot times, memory, sim/VM ratios) and the issue's goals met or missed;
raw rows go to ``bench/results/pxe-<time>.json`` (gitignored).  Namespaces are ``vrt-pxe-*``,
networks 10.235.0.0/16; whatever a killed run left is swept first and last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import pxe_report
from bench.peers import run_in_group
from bench.procinfo import load_average
from bench.pxe_net import host_tuning, host_tuning_values, sweep_stale

RESULTS = Path(__file__).resolve().parent / "results"
SIM_DEADLINE_S = 120.0
VM_DEADLINE_S = 90.0


def _json_row(code: int, out: bytes, err: bytes) -> dict[str, Any]:
    """The JSON object a benchmark process printed last, or an error row with its stderr's tail."""
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            row: dict[str, Any] = json.loads(line)
            return row
    tail = err.decode(errors="replace").strip().splitlines()[-3:]
    return {"error": f"exit {code}: {' | '.join(tail) or 'no output'}"}


def run_sim(nodes: int, variant: str, tuned: bool) -> dict[str, Any]:
    """One :mod:`bench.pxe_sim` process; its row (an ``error`` row if it failed).

    With ``tuned`` the host limits are raised here, around the process, so they are put back even
    when the process has to be killed.
    """
    argv = [sys.executable, "-m", "bench.pxe_sim", "--nodes", str(nodes), "--io", variant]
    argv += ["--deadline", str(SIM_DEADLINE_S)]
    limits: contextlib.AbstractContextManager[dict[str, tuple[int, int]]] = (
        host_tuning(nodes) if tuned else contextlib.nullcontext({})
    )
    with limits as changed:
        during = {key.replace("/", "."): _sysctl(key) for key in host_tuning_values(nodes)}
        try:
            row = _json_row(*run_in_group(argv, timeout=SIM_DEADLINE_S + 90))
        except subprocess.TimeoutExpired:
            row = {"error": f"no result within {SIM_DEADLINE_S + 90:.0f} s"}
    if tuned:
        row["host_tuning"] = {
            "during_run": during,
            "raised_from": {k.replace("/", "."): v[0] for k, v in changed.items()},
        }
    row.setdefault("kind", "sim")
    row.setdefault("nodes", nodes)
    row.setdefault("variant", variant)
    return row


def run_vm() -> dict[str, Any]:
    """One :mod:`bench.pxe_vm` process; its row (an ``error`` row if it failed)."""
    argv = [sys.executable, "-m", "bench.pxe_vm", "--deadline", str(VM_DEADLINE_S)]
    try:
        row = _json_row(*run_in_group(argv, timeout=VM_DEADLINE_S * 3 + 180))
    except subprocess.TimeoutExpired:
        row = {"error": "no result in time"}
    row.setdefault("kind", "vm")
    row.setdefault("nodes", 1)
    return row


def plan(sizes: list[int], what_if: bool) -> list[tuple[int, str, bool]]:
    """(N, variant, host limits raised) for every simulated run, in order."""
    runs = [(size, "netns", False) for size in sizes]
    if what_if:
        runs += [(max(sizes), "netns", True), (max(sizes), "udp", True)]
    return runs


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unavailable"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def _sysctl(key: str) -> str:
    try:
        return Path("/proc/sys", key).read_text(encoding="ascii").strip()
    except OSError:
        return "?"


def environment() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "dnsmasq": _version(["dnsmasq", "--version"]),
        "qemu": _version(["qemu-system-x86_64", "--version"]),
        "libvirtd": _version(["libvirtd", "--version"]),
        "commit": _version(["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"]),
        "net.core.netdev_max_backlog": _sysctl("net/core/netdev_max_backlog"),
        "net.ipv4.neigh.default.gc_thresh3": _sysctl("net/ipv4/neigh/default/gc_thresh3"),
        "loadavg_start": load_average(),
    }


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PXE benchmark: N simulated nodes at once vs one VM node")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="simulated node counts (N)")
    parser.add_argument("--no-what-if", action="store_true", help="skip the what-if runs at the largest N")
    parser.add_argument("--no-vm", action="store_true", help="skip the VM")
    args = parser.parse_args(argv)
    if any(not 1 <= n <= 3000 for n in args.sizes):
        parser.error("--sizes must be 1..3000")
    if os.geteuid() != 0:
        parser.error("run as root: the benchmark creates network namespaces, veths and a VM")
    signal.signal(signal.SIGTERM, _terminate)
    say: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731

    env = environment()
    started = time.monotonic()
    say(f"# PXE boot benchmark ({env['cpus']} CPUs, load {env['loadavg_start']}, commit {env['commit']})")
    rows: list[dict[str, Any]] = []
    try:
        sweep_stale()
        for nodes, variant, tuned in plan(sorted(set(args.sizes)), not args.no_what_if):
            say(f"\n{nodes} simulated nodes, {variant} DHCP sockets{', host limits raised' if tuned else ''} ...")
            row = run_sim(nodes, variant, tuned)
            rows.append(row)
            say(f"  {_brief(row)}")
        if not args.no_vm:
            say("\none VM node (libvirt, QEMU TCG) ...")
            row = run_vm()
            rows.append(row)
            say(f"  {_brief(row)}")
    finally:
        swept = sweep_stale()
        if swept:
            say(f"removed namespaces left behind: {', '.join(swept)}")
    elapsed = time.monotonic() - started

    lines = ["", f"## Results (took {elapsed:.0f} s)", "", *[f"- {key}: {value}" for key, value in env.items()]]
    lines += ["", "### Boot: power-on (all N in one reactor turn) to boot file received", ""]
    lines += pxe_report.boot_table(rows)
    lines += ["", "### Packets lost (kernel counters during the boot)", "", *pxe_report.drop_table(rows)]
    lines += ["", "### Memory", "", *pxe_report.memory_table(rows)]
    lines += ["", "### Simulated nodes vs one VM", "", *pxe_report.ratio_table(rows)]
    lines += ["", "### Goals", "", *pxe_report.goals(rows)]
    print("\n".join(lines))

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / time.strftime("pxe-%Y%m%d-%H%M%S.json")
    document = {"environment": env, "elapsed_s": round(elapsed, 1), "rows": rows}
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"\nraw results: {out}")
    return 0 if all("error" not in row for row in rows) else 1


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"FAILED: {row['error']}"
    if row["kind"] == "vm":
        return (
            f"DHCPACK after {row['ack_s']} s, boot file sent after {row['tftp_sent_s']} s, "
            f"qemu RSS {row['qemu_rss_kib']} KiB"
        )
    return (
        f"{row['done']}/{row['nodes']} done, last after {row['done_max_s']} s, "
        f"{row['dhcp_retransmits']} DHCP + {row['tftp_retransmits']} TFTP retransmissions, "
        f"peak {row['kib_per_node_peak']} KiB per node"
    )


if __name__ == "__main__":
    sys.exit(main())
