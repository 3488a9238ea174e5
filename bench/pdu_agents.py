"""Measure memory and start-up cost of many agents: ``python -m bench.pdu_agents 1 20 120``.

Each count runs in a fresh interpreter: it starts that many PDU agents
(ServerTech Sentry3, ``--outlets`` outlets each, default 24) on ``127.30.2.<i>`` (port 161 as root,
else ephemeral ports), checks that every agent answers one GET through a real
UDP round trip, and prints the RSS before and after, the start-up time and the
number of pysnmp engines used.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(count: int, base: str, outlets: int) -> dict[str, float]:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    from pdu_sim import Pdu
    from snmp_agent.hub import HubPool
    from snmp_agent.testing import AgentLoop

    env = AgentLoop()
    before = rss_mb()
    started = time.perf_counter()
    for i in range(1, count + 1):
        pdu = Pdu("servertech-sentry3", name=f"pdu{i}", outlets=outlets, clock=env.clock)
        env.agent(pdu.source, address=f"{base}.{i}", name=f"pdu{i}")
    startup = time.perf_counter() - started

    async def probe_all() -> int:
        client = SnmpEngine()
        answered = 0
        for agent in env.agents:
            target = await UdpTransportTarget.create((agent.address, agent.port), timeout=2, retries=1)
            error, status, _, _ = await get_cmd(
                client,
                CommunityData("public", mpModel=1),
                target,
                ContextData(),
                ObjectType(ObjectIdentity("1.3.6.1.4.1.1718.3.2.3.1.10.1.1.1")),
            )
            answered += error is None and int(status) == 0
        client.close_dispatcher()
        return answered

    answered = env.run(probe_all(), timeout=120)
    after = rss_mb()
    engines = len(HubPool.for_loop(env.loop).hubs)
    env.close()
    return {
        "agents": count,
        "outlets": outlets,
        "answered": answered,
        "engines": engines,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "startup_s": round(startup, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdu_agents", description=__doc__.splitlines()[0])
    parser.add_argument("counts", type=int, nargs="*", default=[1, 20, 120])
    parser.add_argument("--base", default="127.30.2", help="first three octets of the agent addresses")
    parser.add_argument("--outlets", type=int, default=24, help="outlets per PDU (default 24)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.base, args.outlets)))
        return 0
    for count in args.counts:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.pdu_agents",
                "--child",
                str(count),
                "--base",
                args.base,
                "--outlets",
                str(args.outlets),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(out.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
