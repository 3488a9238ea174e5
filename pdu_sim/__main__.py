"""Run one PDU standalone: ``python -m pdu_sim --model servertech-sentry3 --address 127.0.0.1 --port 1161``.

Writes JSON lines to stdout: ``{"event": "ready", "port": ...}`` once the
socket is bound, then one object per SNMP record (SETs and reads of live
objects, ``"event": "snmp"``) and per outlet change (``"event": "outlet"``).
Exits with status 2 and a message naming the device and address when the
port cannot be bound.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from snmp_agent.reactor import install_asyncio_reactor


def _user(text: str) -> object:
    from snmp_agent.config import UsmUserConfig

    parts = text.split(":")
    if len(parts) not in (5, 6):
        raise argparse.ArgumentTypeError("expected NAME:AUTH:AUTHKEY:PRIV:PRIVKEY[:ro|rw]")
    access = parts[5] if len(parts) == 6 else "ro"
    try:
        return UsmUserConfig(parts[0], parts[1], parts[2], parts[3], parts[4], access)  # type: ignore[arg-type]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _community(text: str) -> object:
    from snmp_agent.config import CommunityConfig

    try:
        return CommunityConfig.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from .models import MODELS

    parser = argparse.ArgumentParser(prog="python -m pdu_sim", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help=f"one of: {', '.join(sorted(MODELS))} (or an alias)")
    parser.add_argument("--address", default="127.0.0.1", help="IPv4 address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=161, help="UDP port (default 161; 0 = any free port)")
    parser.add_argument("--name", default="pdu1", help="device name used in records (default pdu1)")
    parser.add_argument("--outlets", type=int, default=16, help="number of outlets (default 16)")
    parser.add_argument("--reboot-delay", type=float, default=5.0, help="seconds off during a reboot")
    parser.add_argument("--off", action="store_true", help="start with every outlet off")
    parser.add_argument(
        "--community", type=_community, action="append", help="NAME[:ro|rw], repeatable (default public:ro)"
    )
    parser.add_argument(
        "--v3-user", type=_user, action="append", default=[], help="NAME:AUTH:AUTHKEY:PRIV:PRIVKEY[:ro|rw]"
    )
    parser.add_argument("--password", help="HAWK-I2 outlet password for every outlet (default A<nn>)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    install_asyncio_reactor()
    from twisted.internet import reactor as installed

    reactor: Any = installed

    from snmp_agent import CommunityConfig, SnmpAgent, SnmpRecord
    from snmp_agent.config import AgentBindError, AgentConfigError

    from .device import Pdu, PduError

    def emit(obj: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
        sys.stdout.flush()

    def on_record(record: SnmpRecord) -> None:
        emit({"event": "snmp", **dataclasses.asdict(record)})

    def on_outlet(outlet: int, on: bool, cause: str) -> None:
        emit({"event": "outlet", "device": args.name, "outlet": outlet, "on": on, "cause": cause})

    options = {"password": args.password} if args.password else {}
    try:
        pdu = Pdu(
            args.model,
            name=args.name,
            outlets=args.outlets,
            clock=reactor,
            reboot_delay=args.reboot_delay,
            initial_on=not args.off,
            options=options,
        )
        agent = SnmpAgent(
            pdu.source,
            address=args.address,
            port=args.port,
            communities=args.community or [CommunityConfig("public", "ro")],
            v3_users=args.v3_user,
            observer=on_record,
            name=args.name,
            clock=reactor,
        )
        pdu.add_outlet_listener(on_outlet)
        agent.start()
    except (AgentBindError, AgentConfigError, PduError, ValueError) as exc:
        sys.stderr.write(f"pdu_sim: {exc}\n")
        return 2
    emit({"event": "ready", "device": args.name, "model": pdu.model, "address": agent.address, "port": agent.port})
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: reactor.callFromThread(reactor.stop))
    reactor.run()
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
