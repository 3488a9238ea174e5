"""Run one simulated switch from the command line.

    python -m switch_sim --model arista-7050 --ports 48 --address 127.31.0.1 --port 161 \
        --community public:ro --community private:rw --link 1=52:54:00:12:34:56

``--link PORT=MAC`` cables a powered peer (a node NIC with that MAC) to PORT,
so the port is oper-up, its counters run and the peer appears in the FDB and
LLDP tables.  Prints one line ``... serving SNMP on ADDRESS:PORT`` on stdout
once the socket is bound; exits with status 2 on a configuration or bind error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from snmp_agent.reactor import install_asyncio_reactor
from switch_sim.detrand import name_seed
from switch_sim.personality import load_model, model_names
from switch_sim.ports import LinkPeer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m switch_sim", description="Run one simulated SNMP switch.")
    p.add_argument("--model", default="arista-7050", help=f"personality: {', '.join(model_names())}")
    p.add_argument("--ports", type=int, default=48, help="number of data ports")
    p.add_argument("--address", required=True, help="IPv4 address to bind (loopback)")
    p.add_argument("--port", type=int, default=161, help="UDP port (default 161)")
    p.add_argument("--community", action="append", default=[], help="NAME[:ro|rw], repeatable (default public:ro)")
    p.add_argument("--name", default="switch", help="device name (default 'switch')")
    p.add_argument("--seed", type=int, default=None, help="identity/behaviour seed (default: from the name)")
    p.add_argument("--base-mac", default=None, help="base MAC (default: vendor OUI + seed)")
    p.add_argument("--serial", default=None, help="chassis serial (default: from the seed)")
    p.add_argument("--sys-name", default=None, help="sysName (default: the device name)")
    p.add_argument("--mgmt-ip", default=None, help="management address in LLDP (default: --address)")
    p.add_argument("--link", action="append", default=[], metavar="PORT=MAC", help="cable a powered peer")
    return p


def _links(specs: Sequence[str]) -> list[tuple[int, LinkPeer]]:
    links = []
    for spec in specs:
        port_text, sep, mac = spec.partition("=")
        if not sep or not port_text.isdigit():
            raise ValueError(f"bad --link {spec!r}: expected PORT=MAC, e.g. 1=52:54:00:12:34:56")
        n = int(port_text)
        links.append((n, LinkPeer(mac, f"peer{n}", "eth0", "eth0", "Linux simulated peer")))
    return links


def main(argv: Sequence[str] | None = None) -> int:
    from snmp_agent import AgentBindError, AgentConfigError, CommunityConfig

    args = _parser().parse_args(argv)
    install_asyncio_reactor()
    from twisted.internet import reactor as installed_reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver

    reactor: Any = installed_reactor

    from switch_sim.device import Switch
    from switch_sim.service import switch_agent

    try:
        model = load_model(args.model)
        seed = args.seed if args.seed is not None else name_seed(args.name)
        switch = Switch(
            args.model,
            name=args.name,
            ports=args.ports,
            clock=reactor,
            base_mac=args.base_mac or model.derived_base_mac(seed),
            serial=args.serial or model.derived_serial(seed),
            seed=seed,
            sys_name=args.sys_name,
            management_ip=args.mgmt_ip or args.address,
        )
        for port, peer in _links(args.link):
            switch.set_link(port, True, peer=peer)
        communities = [CommunityConfig.parse(c) for c in args.community] or [CommunityConfig("public", "ro")]
        agent = switch_agent(switch, address=args.address, port=args.port, communities=communities, clock=reactor)
        agent.start()
    except (ValueError, AgentConfigError, AgentBindError) as exc:
        print(f"switch_sim: {exc}", file=sys.stderr)
        return 2
    observer: Any = textFileLogObserver(sys.stderr)
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    print(
        f"switch_sim: {switch.name} ({args.model}, {args.ports} ports) serving SNMP on {args.address}:{agent.port}",
        flush=True,
    )
    reactor.run()
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
