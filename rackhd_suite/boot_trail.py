"""What a compute node did while RackHD's graph on it did not finish, read from the rack's journal.

A discovery or rediscovery graph that times out tells only "RackHD says it is running"; the node's side
says why: a microkernel file RackHD's file server answers 404 for, iPXE giving up and booting from disk, a
microkernel stuck without its OS images, one that never asked RackHD for a task, or one that exited.
:func:`boot_trail` turns a node's journal entries (protocols ``host``, ``boot``, ``microkernel``) into a few
lines for the timeout's message.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

IPXE_GAVE_UP = ("Exceeded max retries", "Exiting in")


def boot_trail(node: str, entries: list[dict[str, Any]]) -> list[str]:
    """Lines saying how ``node`` booted in ``entries`` (oldest first); ``[]`` when it did nothing."""
    boots = [e for e in entries if e.get("protocol") == "host" and e.get("operation") == "boot"]
    failed = Counter(
        (str(e.get("verb", "fetch")), str(e.get("url", "?")), str(e.get("error", "")))
        for e in entries
        if e.get("protocol") == "boot" and e.get("operation") in ("http.fetch", "tftp.fetch") and e.get("ok") is False
    )
    outcomes = [e for e in entries if e.get("protocol") == "host" and e.get("operation") == "boot-outcome"]
    gave_up = [
        str(e.get("text"))
        for e in entries
        if e.get("operation") == "ipxe.echo" and str(e.get("text", "")).startswith(IPXE_GAVE_UP)
    ]
    kernel = [e for e in entries if e.get("protocol") == "microkernel"]
    tasks = [e for e in kernel if e.get("operation") == "task"]
    lines: list[str] = []
    if boots:
        devices = ", ".join(sorted({str(b.get("boot_device", "?")) for b in boots}))
        lines.append(f"{node} powered up {len(boots)} time(s) (boot device {devices})")
    for (verb, url, error), count in failed.items():
        times = f" ({count}x)" if count > 1 else ""
        lines.append(f"{node} could not fetch the {verb} {url}: {error or 'failed'}{times}")
    lines += [f"{node}'s iPXE: {text}" for text in dict.fromkeys(gave_up)]
    if outcomes:
        last = outcomes[-1]
        what = str(last.get("kind"))
        if what == "kernel":
            lines.append(f"{node}'s last boot loaded the kernel {last.get('kernel')}")
        else:
            reason = f" ({last['reason']})" if last.get("reason") else ""
            lines.append(f"{node}'s last boot ended {what}{reason}: no microkernel ran")
    stuck = [e for e in kernel if e.get("operation") == "stuck"]
    if stuck:
        lines.append(f"{node}'s microkernel is stuck: {stuck[-1].get('reason')}; it never asks RackHD for a task")
    elif kernel:
        exits = [e for e in kernel if e.get("operation") == "exit"]
        ran = f"{node}'s microkernel ran {len(tasks)} RackHD task(s)"
        if tasks:
            ran += f", the last `{tasks[-1].get('cmd')}`"
        if exits:
            ran += f"; it exited with code {exits[-1].get('code')}"
        lines.append(ran)
    elif outcomes and outcomes[-1].get("kind") == "kernel":
        lines.append(f"{node}'s microkernel never asked RackHD for a task")
    return lines
