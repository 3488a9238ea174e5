"""Running a rack in the foreground (``vrack up``): the process's reactor, signals, printing.

``run(plan, ...)`` installs the asyncio reactor (pysnmp 7 needs asyncio; the
whole rack shares that one loop), starts a :class:`vrack.runtime.RackRuntime`
on it (network, devices, journal run, control API, ``control.json``) and runs
until SIGINT, SIGTERM or ``POST /api/v1/shutdown``.  Shutdown stops the
devices in reverse order, closes every port and removes ``control.json``; the
journal stays.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from vrack.heap import keep_heap_top
from vrack.hostnet import HOST_LIMITS_FROM_NICS, LINKS_UP_TIMEOUT, build_network, links_not_up, wait_links_up
from vrack.plan import RackPlan
from vrack.statedir import RackDir

__all__ = [
    "HOST_LIMITS_FROM_NICS",
    "LINKS_UP_TIMEOUT",
    "build_network",
    "install_reactor",
    "links_not_up",
    "run",
    "wait_links_up",
]

log = logging.getLogger("vrack")
BIG_RACK = 100  # devices from which vrack up reports start-up progress (unless --progress-interval 0 asks always)


def install_reactor() -> Any:
    """Install Twisted's asyncio reactor (once) and return it."""
    from snmp_agent.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor

    return reactor


def run(
    plan: RackPlan,
    rack_dir: RackDir,
    spec_path: str,
    out: Any = sys.stdout,
    log_level: int | None = None,
    progress_interval: float = 1.0,
    **settings: Any,
) -> int:
    """Run the rack until stopped; return the process exit code.  ``settings`` go to
    :class:`vrack.runtime.RackRuntime` (journal ``segment_size``, ``keep_runs``).  Prints a summary when the
    rack is up and one line when it stops (with the reason and where its journal is); while a big rack
    starts, its progress goes to stderr every ``progress_interval`` s (:mod:`vrack.progress`)."""
    from vrack import logsetup

    logsetup.configure(log_level if log_level is not None else logsetup.level_from(None))
    keep_heap_top()  # the journal's batches would shrink and regrow the C heap on nearly every entry
    reactor = install_reactor()

    from vrack.runtime import RackRuntime, RackStartFailure

    exit_code = [0]
    stopped_by = ["a signal"]
    started = [False]

    def shutdown() -> None:
        stopped_by[0] = "a shutdown request (vrack down or the API)"
        if reactor.running:
            reactor.stop()

    from vrack.progress import StartupProgress

    total = len(plan.nodes) + len(plan.pdus) + len(plan.switches)
    progress: StartupProgress | None = None
    if total >= BIG_RACK or progress_interval == 0:  # small racks start in a moment: their output stays as it was
        progress = StartupProgress(plan.spec.rack, total, sys.stderr, interval=progress_interval)
    runtime = RackRuntime(
        plan, rack_dir, reactor, spec_path=spec_path, on_shutdown_request=shutdown, progress=progress, **settings
    )

    def start() -> None:
        try:
            runtime.start()
        except RackStartFailure as exc:
            print(f"vrack: {exc}", file=sys.stderr)
            exit_code[0] = 1
            reactor.stop()
            return
        assert runtime.url is not None
        started[0] = True
        print(_summary(plan, runtime), file=out, flush=True)

    def goodbye() -> None:
        if started[0]:
            journal = runtime.run_path / "events.jsonl"
            print(f"rack {plan.spec.rack} stopped after {stopped_by[0]}; journal {journal}", file=out, flush=True)

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", runtime.stop)
    reactor.addSystemEventTrigger("after", "shutdown", goodbye)
    try:
        reactor.run()
    finally:
        runtime.cleanup()
    return exit_code[0]


def _summary(plan: RackPlan, runtime: Any) -> str:
    spec = plan.spec
    lines = [f"rack {spec.rack} is up (seed {spec.identity_seed!r})"]
    for node in plan.nodes[:8]:
        lines.append(f"  {node.name:<16} BMC {node.bmc_address}:{node.bmc_port}  ({node.spec.model})")
    if len(plan.nodes) > 8:
        lines.append(f"  ... and {len(plan.nodes) - 8} more nodes")
    for device in (*plan.pdus, *plan.switches):
        lines.append(f"  {device.name:<16} SNMP {device.address}:{device.port}  ({device.spec.model})")
    lines.extend(f"web view {url}" for url in runtime.web_urls)
    lines.append(f"control API {runtime.url}; journal {runtime.run_path / 'events.jsonl'} (run {runtime.run_id})")
    lines.append("stop with Ctrl-C or `vrack down`")
    return "\n".join(lines)
