"""What starting one SNMP agent costs: CPU per :meth:`SnmpAgent.start` with the device's MIB already built (issue 17).

Builds ``--agents`` ServerTech PDUs (their MIBs included), then starts an agent for each on the shared pysnmp
engine of a private asyncio loop (ephemeral ports on ``--base``.x, 250 addresses round robin) and reports the
process CPU and RSS growth per start, apart from building the devices: binding the socket, joining the hub,
registering the agent's transport, communities and users.  Run it in a fresh process.

    python -m bench.snmp_agent_start --agents 500
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time

from bench.args import loopback_prefix, positive_int
from bench.procinfo import rss_kib
from pdu_sim import Pdu
from snmp_agent import SnmpAgent
from snmp_agent.hub import HubPool
from snmp_agent.testing import AgentLoop


def measure(count: int, base: str) -> dict[str, float]:
    """Agents started, hubs used, CPU ms and KiB of RSS per start (the first, which builds the engine, apart)."""
    env = AgentLoop()
    try:
        sources = [Pdu("servertech-sentry3", name=f"pdu{i}", outlets=24, clock=env.clock).source for i in range(count)]
        agents = [
            SnmpAgent(source, address=f"{base}.{i % 250 + 1}", port=0, name=f"pdu{i}", loop=env.loop, clock=env.clock)
            for i, source in enumerate(sources)
        ]
        first = time.process_time()
        agents[0].start()
        engine_ms = (time.process_time() - first) * 1000
        gc.collect()
        rss_before = rss_kib(os.getpid()) or 0
        started = time.process_time()
        for agent in agents[1:]:
            agent.start()
        cpu = time.process_time() - started
        gc.collect()
        rss = (rss_kib(os.getpid()) or 0) - rss_before
        hubs = len(HubPool.for_loop(env.loop).hubs)
        for agent in agents:
            agent.stop()
    finally:
        env.close()
    return {
        "agents": count,
        "hubs": hubs,
        "first_start_ms": round(engine_ms, 1),
        "start_ms_each": round(cpu / max(count - 1, 1) * 1000, 4),
        "rss_kib_each": round(rss / max(count - 1, 1), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=positive_int, default=500)
    parser.add_argument(
        "--base", type=loopback_prefix, default="127.67.4", help="first three octets of the agent addresses"
    )
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.agents, args.base)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
