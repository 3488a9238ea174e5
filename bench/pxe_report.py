"""Markdown tables, sim/VM ratios and the issue's goals from the rows of :mod:`bench.pxe_sim` and :mod:`bench.pxe_vm`.

Row kinds: ``sim`` (one per N, variant and host limits) and ``vm`` (one).  A row with an ``error``
is a run that failed; it is shown as such and never counts as a goal met.  The goals are judged on
the rows that measure vrack as it is (variant ``netns``, host limits as found); what-if rows get
their own lines, marked so.
"""

from __future__ import annotations

from typing import Any

GOAL_NODES = 1000
GOAL_SECONDS = 60.0
GOAL_KB_PER_NODE = 200.0  # kB (1,000 bytes), as the issue writes it
KIB = 1.024  # kB per KiB


def _num(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _mib(kib: Any) -> str:
    return f"{kib / 1024:.1f}" if isinstance(kib, int | float) else "n/a"


def label(row: dict[str, Any]) -> str:
    """``vrack sim`` / ``what-if: packet DHCP`` / ``+ host limits`` / ``VM (libvirt, TCG)``."""
    if row.get("kind") == "vm":
        return "VM (libvirt, TCG)"
    text = "vrack sim" if row.get("variant") == "netns" else f"what-if: {row.get('variant')} DHCP"
    return text + (" + host limits" if row.get("host_tuning") else "")


def is_as_is(row: dict[str, Any]) -> bool:
    """A row that measures the simulated nodes as vrack runs them on an untouched host."""
    return row.get("kind") == "sim" and row.get("variant") == "netns" and not row.get("host_tuning")


def failed_nodes(row: dict[str, Any]) -> int:
    return int(row.get("not_done") or 0)


def _error_line(row: dict[str, Any], columns: int) -> str:
    cells = [label(row), str(row.get("nodes", "?")), f"FAILED: {str(row['error'])[:90]}"]
    return "| " + " | ".join(cells + [""] * (columns - len(cells))) + " |"


def boot_table(rows: list[dict[str, Any]]) -> list[str]:
    """Times, retries, failures and CPU of every run."""
    out = [
        "| nodes | N | done | done in 60 s | last done s | boots/s | DHCPACK p50 / max s | TFTP done p50 / max s "
        "| DHCP retx | TFTP retx | failed | CPU s: nodes / dnsmasq | other CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            out.append(_error_line(row, columns=13))
            continue
        if row["kind"] == "vm":
            out.append(
                f"| {label(row)} | 1 | {row['done']} | {int(row['tftp_sent_s'] < 60)} | {_num(row['tftp_sent_s'])} "
                f"| {_num(row['boots_per_s'], 3)} "
                f"| {_num(row['ack_s'])} | {_num(row['tftp_sent_s'])} | - | - | {failed_nodes(row)} "
                f"| qemu {_num(row['qemu_cpu_s'])} | - |"
            )
            continue
        last = _num(row["all_done_s"]) if row["all_done_s"] is not None else f"{_num(row.get('done_max_s'))} (not all)"
        out.append(
            f"| {label(row)} | {row['nodes']} | {row['done']} | {row.get('done_within_60s', 'n/a')} | {last} "
            f"| {_num(row['boots_per_s'], 1)} | {_num(row['ack_p50_s'])} / {_num(row['ack_max_s'])} "
            f"| {_num(row['done_p50_s'])} / {_num(row['done_max_s'])} | {row['dhcp_retransmits']} "
            f"| {row['tftp_retransmits']} | {failed_nodes(row)} | {_num(row.get('sim_cpu_s'))} / "
            f"{_num(row.get('dnsmasq_cpu_s'))} | {_num(row.get('other_cpu_util'))} |"
        )
    return out


def memory_table(rows: list[dict[str, Any]]) -> list[str]:
    """Process memory of the simulated nodes (and the kernel's for their veths) and of the VM."""
    out = [
        "| nodes | N | RSS MiB: before / created / booted / peak | KiB per node: created / booted / peak / retained "
        "| kernel KiB per node (veth slab + percpu) |",
        "|---|---:|---|---|---:|",
    ]
    for row in rows:
        if "error" in row:
            continue
        if row["kind"] == "vm":
            out.append(
                f"| {label(row)} | 1 | qemu RSS {_mib(row['qemu_rss_kib'])} (PSS {_mib(row['qemu_pss_kib'])}, "
                f"peak {_mib(row['qemu_peak_rss_kib'])}); libvirtd {_mib(row['libvirtd_rss_kib'])} "
                f"| {_num(row['qemu_rss_kib'])} (qemu RSS) | - |"
            )
            continue
        rss = " / ".join(_mib(row[k]) for k in ("rss_before_nodes_kib", "rss_after_nodes_kib", "rss_after_boot_kib"))
        per_node = " / ".join(_num(row.get(f"kib_per_node_{k}"), 1) for k in ("created", "booted", "peak", "retained"))
        out.append(
            f"| {label(row)} | {row['nodes']} | {rss} / {_mib(row['rss_peak_kib'])} | {per_node} "
            f"| {_num(row['kernel_veth_kib_per_node'], 1)} |"
        )
    return out


def drop_table(rows: list[dict[str, Any]]) -> list[str]:
    """Where packets were lost during the boot (kernel counters; the last two are machine-wide)."""
    out = [
        "| nodes | N | dnsmasq socket full | node sockets full | CPU input backlog full | ARP table full |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.get("kind") != "sim" or "error" in row:
            continue
        cells = [row.get(k) for k in ("uplink_udp_rcvbuferrors", "rack_udp_rcvbuferrors", "softnet_dropped")]
        cells.append(row.get("arp_table_fulls"))
        out.append(f"| {label(row)} | {row['nodes']} | " + " | ".join(_num(c) for c in cells) + " |")
    return out


def _vm(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r for r in rows if r.get("kind") == "vm" and "error" not in r), None)


def ratio_table(rows: list[dict[str, Any]]) -> list[str]:
    """Simulated nodes against the one VM: boot rate and memory per node."""
    vm = _vm(rows)
    out = [
        "| nodes | N | boots/s: sim / VM | memory per sim node / one VM (peak RSS) | incl. kernel veth "
        "| sim nodes in one VM's RSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    if vm is None:
        return [*out, "| (no VM row: ratios unavailable) | | | | | |"]
    qemu = vm["qemu_rss_kib"]
    for row in rows:
        if row.get("kind") != "sim" or "error" in row:
            continue
        rate = f"{row['boots_per_s'] / vm['boots_per_s']:.0f}x" if row.get("boots_per_s") else "n/a"
        if row.get("boots_per_s") and row.get("not_done"):
            rate += f" ({row['done']} of {row['nodes']} done)"
        per_node = max(row["kib_per_node_peak"], 0.1)
        kernel = per_node + max(row["kernel_veth_kib_per_node"], 0.0)
        out.append(
            f"| {label(row)} | {row['nodes']} | {rate} | {per_node / qemu:.4f}x | {kernel / qemu:.4f}x "
            f"| {qemu / per_node:.0f} |"
        )
    return out


def goals(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's goals: 1,000 simulated nodes through DHCP and TFTP in under 60 s, under 200 kB per node."""
    out: list[str] = []
    for row in rows:
        if row.get("kind") != "sim" or row.get("nodes") != GOAL_NODES:
            continue
        tag = "" if is_as_is(row) else " (what-if, not vrack as it is)"
        if "error" in row:
            out.append(f"- {label(row)}{tag}: run FAILED ({str(row['error'])[:100]})")
            continue
        last = row["all_done_s"]
        fast = last is not None and last < GOAL_SECONDS and failed_nodes(row) == 0
        when = f"all done after {last:.1f} s" if last is not None else f"{failed_nodes(row)} nodes never got the file"
        out.append(
            f"- {label(row)}{tag}: {GOAL_NODES:,} nodes through DHCP and TFTP in under {GOAL_SECONDS:.0f} s: "
            f"{'met' if fast else 'MISSED'} ({when}; {row['dhcp_retransmits']} DHCP and "
            f"{row['tftp_retransmits']} TFTP retransmissions)"
        )
        kb = row["kib_per_node_peak"] * KIB
        kernel_kb = row["kernel_veth_kib_per_node"] * KIB
        out.append(
            f"- {label(row)}{tag}: under {GOAL_KB_PER_NODE:.0f} kB per node: "
            f"{'met' if kb < GOAL_KB_PER_NODE else 'MISSED'} (process {kb:.1f} kB per node at the peak; "
            f"the kernel adds {kernel_kb:.1f} kB per node for its veth pair)"
        )
    if not out:
        out.append(f"- no run with {GOAL_NODES:,} nodes: goals not judged")
    return out
