"""Markdown pieces every benchmark report uses: ratio cells, row lookup, units, the request-load table."""

from __future__ import annotations

from typing import Any


def ratio(value: Any, reference: Any) -> str:
    """``value / reference`` as ``1.23x``, or ``n/a`` when either is missing or the reference is 0."""
    if not isinstance(value, int | float) or not isinstance(reference, int | float) or reference == 0:
        return "n/a"
    return f"{value / reference:.2f}x"


def find(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    """The first row with every ``match`` item that neither failed (``error``) nor was ``skipped``."""
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()) and "error" not in row and not row.get("skipped"):
            return row
    return None


def ms(us: Any) -> str:
    """Microseconds as milliseconds with two decimals (``n/a`` if missing)."""
    return f"{us / 1000:.2f}" if isinstance(us, int | float) else "n/a"


def mib(kib: Any) -> str:
    """KiB as MiB with one decimal (``n/a`` if missing)."""
    return f"{kib / 1024:.1f}" if isinstance(kib, int | float) else "n/a"


LOAD_METRICS = (
    ("rps", "req/s (higher is better)"),
    ("p50_us", "p50 latency"),
    ("p99_us", "p99 latency"),
    ("server_cpu_per_request_us", "server CPU per request"),
)
"""The load row's keys that ratio tables compare, with their labels."""


def load_table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per load row (from :func:`bench.loadloop.summarize` plus ``server`` and ``rss_kib``)."""
    out = [
        "| server | K clients | req/s | p50 ms | p99 ms | server CPU us/req | server CPU | client CPU | other CPU "
        "| timeouts | errors | server RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            out.append(f"| {row['server']} | - | FAILED: {row['error'][:80]} | | | | | | | | | |")
            continue
        out.append(
            f"| {row['server']} | {row['clients']} | {row['rps']:.0f} | {ms(row['p50_us'])} | {ms(row['p99_us'])} "
            f"| {row['server_cpu_per_request_us']} | {row['server_cpu_util']:.2f} | {row['client_cpu_util']:.2f} "
            f"| {row['other_cpu_util']:.2f} | {row['timeouts']} | {row['errors']} | {mib(row.get('rss_kib'))} |"
        )
    return out
