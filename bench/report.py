"""Markdown tables and vrack/peer ratios from the raw rows of :mod:`bench.load_bench` and :mod:`bench.bmc_scale`."""

from __future__ import annotations

from typing import Any

from bench.tables import LOAD_METRICS, find, load_table, ratio

PEERS = ("ipmi_sim", "pyghmi")
GOAL_CPU_RATIO = 2.0
GOAL_RSS_MIB = 300.0
GOAL_START_S = 10.0


def load_tables(rows: list[dict[str, Any]]) -> list[str]:
    """Results table and ratio table for the request benchmark."""
    out = load_table(rows)
    out += ["", "| K clients | metric | vrack / ipmi_sim | vrack / pyghmi |", "|---:|---|---:|---:|"]
    for clients in sorted({row["clients"] for row in rows if "clients" in row}):
        vrack = find(rows, server="vrack", clients=clients)
        peers = {peer: find(rows, server=peer, clients=clients) for peer in PEERS}
        for key, label in LOAD_METRICS:
            cells = [ratio((vrack or {}).get(key), (peers[p] or {}).get(key)) for p in PEERS]
            out.append(f"| {clients} | {label} | {cells[0]} | {cells[1]} |")
    return out


def scale_tables(rows: list[dict[str, Any]]) -> list[str]:
    """Results table and ratio table for the scale benchmark."""
    out = [
        "| server | BMCs | processes | bound s | all answer s | RSS MiB | PSS MiB | KiB RSS/BMC | KiB PSS/BMC |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.get("skipped"):
            out.append(f"| {row['server']} | {row['bmcs']} | skipped | | | | | | |")
        elif "error" in row:
            out.append(f"| {row['server']} | {row['bmcs']} | FAILED: {row['error'][:80]} | | | | | | |")
        else:
            out.append(
                f"| {row['server']} | {row['bmcs']} | {row['processes']} | {row['bound_s']:.2f} "
                f"| {row['all_answer_s'] if row['all_answer_s'] is not None else 'n/a'} "
                f"| {row['rss_kib'] / 1024:.1f} | {row['pss_kib'] / 1024:.1f} "
                f"| {row['rss_per_bmc_kib']:.1f} | {row['pss_per_bmc_kib']:.1f} |"
            )
    out += ["", "Marginal memory per BMC (RSS growth between the smallest and largest N):", ""]
    for server in ("ipmi_sim", "pyghmi", "vrack"):
        sized = sorted((r["bmcs"], r["rss_kib"]) for r in rows if r.get("server") == server and "rss_kib" in r)
        if len(sized) >= 2 and sized[-1][0] > sized[0][0]:
            (n0, r0), (n1, r1) = sized[0], sized[-1]
            out.append(f"- {server}: {(r1 - r0) / (n1 - n0):.1f} KiB per BMC (N {n0} -> {n1})")
    out += ["", "| BMCs | metric | vrack / ipmi_sim | vrack / pyghmi |", "|---:|---|---:|---:|"]
    for count in sorted({row["bmcs"] for row in rows}):
        vrack = find(rows, server="vrack", bmcs=count)
        peers = {peer: find(rows, server=peer, bmcs=count) for peer in PEERS}
        for key, label in (("all_answer_s", "time until all answer"), ("rss_kib", "RSS"), ("pss_kib", "PSS")):
            cells = [ratio((vrack or {}).get(key), (peers[p] or {}).get(key)) for p in PEERS]
            out.append(f"| {count} | {label} | {cells[0]} | {cells[1]} |")
    return out


def goals(load_rows: list[dict[str, Any]], scale_rows: list[dict[str, Any]]) -> list[str]:
    """The issue's goals, each with the measured value and met / missed."""
    out: list[str] = []
    for clients in sorted({row["clients"] for row in load_rows if "clients" in row}):
        vrack, sim = (
            find(load_rows, server="vrack", clients=clients),
            find(load_rows, server="ipmi_sim", clients=clients),
        )
        if vrack and sim and vrack["server_cpu_per_request_us"] and sim["server_cpu_per_request_us"]:
            cpu = vrack["server_cpu_per_request_us"] / sim["server_cpu_per_request_us"]
            rps = sim["rps"] / vrack["rps"] if vrack["rps"] else float("inf")
            verdict = "met" if cpu <= GOAL_CPU_RATIO and rps <= GOAL_CPU_RATIO else "MISSED"
            out.append(
                f"- K={clients}: vrack within {GOAL_CPU_RATIO:.0f}x of ipmi_sim per request: {verdict} "
                f"(server CPU per request {cpu:.2f}x, throughput {rps:.2f}x lower)"
            )
    big = find(scale_rows, server="vrack", bmcs=1000)
    if big:
        rss = big["rss_kib"] / 1024
        out.append(
            f"- 1,000 BMCs in one process under {GOAL_RSS_MIB:.0f} MB: {'met' if rss < GOAL_RSS_MIB else 'MISSED'} "
            f"(RSS {rss:.1f} MiB)"
        )
        up = big["all_answer_s"]
        met = up is not None and up < GOAL_START_S
        out.append(
            f"- 1,000 BMCs up in under {GOAL_START_S:.0f} s: {'met' if met else 'MISSED'} (all answering after {up} s)"
        )
    return out
