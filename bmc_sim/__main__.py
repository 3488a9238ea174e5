"""Run one simulated BMC from the command line, without a rack.

    python -m bmc_sim --address 127.0.0.1 --port 6230 --user admin:admin [--model dell-r630]

Prints one JSON line when it listens, one per handled request (as the rack's
journal would, without credentials), and stops cleanly on SIGINT/SIGTERM.
Exit status 2 for a bad argument or a port that cannot be bound.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bmc_sim.config import LanConfig, Privilege, UserConfig
from bmc_sim.message import RequestRecord

PRIVILEGES = {p.name.lower(): p for p in (Privilege.USER, Privilege.OPERATOR, Privilege.ADMINISTRATOR)}


def parse_user(text: str, slot: int) -> UserConfig:
    """``NAME:PASSWORD[:user|operator|administrator]`` -> a user in ``slot``."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise argparse.ArgumentTypeError(f"--user {text!r}: expected NAME:PASSWORD[:PRIVILEGE]")
    privilege = PRIVILEGES.get(parts[2] if len(parts) == 3 else "administrator")
    if privilege is None:
        raise argparse.ArgumentTypeError(f"--user {text!r}: privilege must be one of {', '.join(PRIVILEGES)}")
    return UserConfig(slot, parts[0], parts[1], privilege)


def build_parser() -> argparse.ArgumentParser:
    from bmc_sim.models import model_names

    parser = argparse.ArgumentParser(prog="python -m bmc_sim", description="run one simulated IPMI BMC")
    parser.add_argument("--address", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=623, help="UDP port (623 needs root)")
    parser.add_argument("--model", default="generic", choices=model_names())
    parser.add_argument("--name", default="bmc")
    parser.add_argument("--user", action="append", default=[], help="NAME:PASSWORD[:PRIVILEGE], repeatable")
    parser.add_argument("--mac", default="02:76:72:00:00:01", help="MAC reported by lan print")
    parser.add_argument("--cipher-suites", default="1,2,3,17", help="comma separated, e.g. 3,17")
    parser.add_argument("--power-on", action="store_true", help="host powered on at start")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        users = tuple(parse_user(text, slot) for slot, text in enumerate(args.user or ["admin:admin"], start=2))
        suites = tuple(int(s) for s in args.cipher_suites.split(","))
    except (argparse.ArgumentTypeError, ValueError) as exc:
        print(f"bmc_sim: {exc}", file=sys.stderr)
        return 2

    from twisted.internet import reactor as installed_reactor

    from bmc_sim.device import Bmc
    from bmc_sim.models import build_config
    from bmc_sim.protocol import BindError, BmcService
    from bmc_sim.session import BmcEndpoint

    try:
        config = build_config(
            args.model,
            name=args.name,
            lan=LanConfig(ip_address=args.address, mac_address=args.mac),
            users=users,
            cipher_suites=suites,
            initial_power_on=args.power_on,
            boot_time=0.0,
        )
    except ValueError as exc:
        print(f"bmc_sim: {exc}", file=sys.stderr)
        return 2
    reactor: Any = installed_reactor  # zope interfaces defeat mypy here
    bmc = Bmc(config, reactor)

    def report(record: RequestRecord) -> None:
        entry: dict[str, Any] = record._asdict()
        entry["peer"] = f"{record.peer[0]}:{record.peer[1]}"
        print(json.dumps(entry), flush=True)

    service = BmcService(BmcEndpoint(bmc, reactor, report), args.address, args.port, reactor=reactor, name=args.name)
    try:
        service.startService()
    except BindError as exc:
        print(f"bmc_sim: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"listening": f"{args.address}:{service.port}", "model": args.model}), flush=True)
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
