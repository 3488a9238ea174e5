"""Markdown tables, vrack/peer ratios and goal verdicts from the raw rows of :mod:`bench.snmp_run`."""

from __future__ import annotations

from typing import Any

from bench.tables import LOAD_METRICS, find, mib, ratio

PEERS = ("snmpsim", "snmpd-override", "snmpd-native")
GOAL_SNMPD_RATIO = 3.0
GOAL_MEMORY_MB = 100.0  # decimal megabytes, as the issue says "100 MB"


def walk_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| server | tree served | objects | same OIDs as vrack | median s | min s | ms / 1000 objects "
        "| server CPU ms / 1000 objects | ready s | RSS MiB |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            out.append(f"| {row['server']} | FAILED: {row['error'][:100]} | | | | | | | | |")
            continue
        same = {None: "-", True: "yes", False: "NO"}[row["same_oids_as_vrack"]]
        out.append(
            f"| {row['server']} | {row['tree']} | {row['objects']} | {same} | {row['walk_median_s']:.3f} "
            f"| {row['walk_min_s']:.3f} | {row['ms_per_1000_objects']} | {row['server_cpu_ms_per_1000_objects']} "
            f"| {row['ready_s']} | {mib(row['rss_kib'])} |"
        )
    return out


def ratio_table(walk_rows: list[dict[str, Any]], load_rows: list[dict[str, Any]]) -> list[str]:
    """vrack divided by each peer: below 1.0 is better for times and CPU, above 1.0 for req/s."""
    out = ["| metric | vrack / snmpsim | vrack / snmpd-override | vrack / snmpd-native |", "|---|---:|---:|---:|"]
    vrack = find(walk_rows, server="vrack") or {}
    for key, label in (
        ("walk_median_s", "full walk wall time (same tree only)"),
        ("ms_per_1000_objects", "walk time per 1000 objects"),
        ("server_cpu_ms_per_1000_objects", "walk server CPU per 1000 objects"),
    ):
        cells = []
        for peer in PEERS:
            row = find(walk_rows, server=peer) or {}
            same_tree = peer != "snmpd-native"
            cells.append(ratio(vrack.get(key), row.get(key)) if same_tree or key != "walk_median_s" else "-")
        out.append(f"| {label} | {' | '.join(cells)} |")
    for clients in sorted({row["clients"] for row in load_rows}):
        mine = find(load_rows, server="vrack", clients=clients) or {}
        for key, label in LOAD_METRICS:
            cells = [ratio(mine.get(key), (find(load_rows, server=p, clients=clients) or {}).get(key)) for p in PEERS]
            out.append(f"| K={clients} {label} | {' | '.join(cells)} |")
    return out


def memory_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| rack | switches | PDUs | SNMP agents | bound s | all answer s | RSS MiB | PSS MiB "
        "| objects walked | walk all s | RSS after walk MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            out.append(f"| {row['rack']} | FAILED: {row['error'][:100]} | | | | | | | | | |")
            continue
        out.append(
            f"| {row['rack']} | {row['switches']} | {row['pdus']} | {row.get('snmp_agents', '')} "
            f"| {row.get('bound_s', '')} | {row.get('all_answer_s', '')} | {mib(row['rss_kib'])} "
            f"| {mib(row['pss_kib'])} | {row.get('walked_objects', '')} | {row.get('walk_all_s', '')} "
            f"| {mib(row.get('rss_after_walk_kib'))} |"
        )
    return out


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def goals(
    walk_rows: list[dict[str, Any]], load_rows: list[dict[str, Any]], memory_rows: list[dict[str, Any]]
) -> list[str]:
    """The issue's goals, each with the measured value and met / MISSED."""
    out: list[str] = []
    vrack = find(walk_rows, server="vrack")
    sim = find(walk_rows, server="snmpsim")
    snmpd = find(walk_rows, server="snmpd-override")
    if vrack and sim:
        ratio = vrack["ms_per_1000_objects"] / sim["ms_per_1000_objects"]
        out.append(f"- full walk faster than snmpsim: {_verdict(ratio < 1)} (vrack/snmpsim time {ratio:.2f}x)")
    if vrack and snmpd:
        ratio = vrack["ms_per_1000_objects"] / snmpd["ms_per_1000_objects"]
        out.append(
            f"- full walk within {GOAL_SNMPD_RATIO:.0f}x of snmpd (same OIDs): {_verdict(ratio <= GOAL_SNMPD_RATIO)} "
            f"(vrack/snmpd time {ratio:.2f}x)"
        )
    for clients in sorted({row["clients"] for row in load_rows}):
        mine = find(load_rows, server="vrack", clients=clients)
        peer_sim = find(load_rows, server="snmpsim", clients=clients)
        peer_snmpd = find(load_rows, server="snmpd-override", clients=clients)
        if mine and peer_sim and peer_sim["rps"]:
            ratio = mine["rps"] / peer_sim["rps"]
            out.append(
                f"- K={clients} GET faster than snmpsim: {_verdict(ratio > 1)} (vrack/snmpsim req/s {ratio:.2f}x)"
            )
        if mine and peer_snmpd and mine["rps"] and mine["server_cpu_per_request_us"]:
            slower = peer_snmpd["rps"] / mine["rps"]
            cpu = mine["server_cpu_per_request_us"] / (peer_snmpd["server_cpu_per_request_us"] or float("nan"))
            out.append(
                f"- K={clients} GET within {GOAL_SNMPD_RATIO:.0f}x of snmpd: {_verdict(slower <= GOAL_SNMPD_RATIO)} "
                f"by req/s ({slower:.2f}x fewer), {_verdict(cpu <= GOAL_SNMPD_RATIO)} by server CPU per request "
                f"({cpu:.2f}x)"
            )
    delta = find(memory_rows, rack="delta")
    if delta:
        added = delta["rss_kib"] * 1024 / 1e6
        text = f"- {delta['switches']} switches + {delta['pdus']} PDUs add under {GOAL_MEMORY_MB:.0f} MB: "
        text += f"{_verdict(added < GOAL_MEMORY_MB)} (RSS +{added:.1f} MB when all answer"
        if "rss_after_walk_kib" in delta:
            walked = delta["rss_after_walk_kib"] * 1024 / 1e6
            text += f", +{walked:.1f} MB after every device was walked: {_verdict(walked < GOAL_MEMORY_MB)}"
        out.append(text + ")")
    return out
