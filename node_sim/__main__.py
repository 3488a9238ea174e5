"""Network-boot one simulated node from the command line.

    python -m node_sim --netns NS --interface IF --mac MAC [--uuid UUID] [--device pxe] [--name NAME]

The interface must already exist in namespace NS (the caller creates it); the node puts its leased
address on it.  Prints one JSON line per boot event (DHCP, proxyDHCP, TFTP, HTTP, iPXE echo) and a
last line ``{"outcome": {...}}``.  Exit status: 0 for a ``kernel`` or ``local`` outcome, 1 for any
other outcome, 2 for a bad argument.  SIGINT/SIGTERM cancel the boot (nothing more is sent).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from node_sim.bootlog import BootEvent
from node_sim.dhcp import mac_bytes
from node_sim.netboot import NetbootNode
from node_sim.netboot_types import LOCAL_DEVICES, NETWORK_DEVICES, BootOutcome, NicConfig

UUID_NAMESPACE = uuid.UUID("5c1c7a8e-6f0b-4a52-9a8a-7672616b6e62")


def default_uuid(mac: str) -> str:
    """A stable UUID for a MAC, so the same node always reports the same option 97."""
    return str(uuid.uuid5(UUID_NAMESPACE, mac.lower()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m node_sim", description="network-boot one simulated node")
    parser.add_argument("--netns", required=True, help="network namespace holding the interface (never the host's)")
    parser.add_argument("--interface", required=True, help="the node's NIC (an existing interface)")
    parser.add_argument("--mac", required=True, help="MAC address the node uses in DHCP")
    parser.add_argument("--uuid", default=None, help="SMBIOS UUID sent in option 97 (default: derived from the MAC)")
    parser.add_argument("--device", default="pxe", choices=NETWORK_DEVICES + LOCAL_DEVICES)
    parser.add_argument("--name", default=None)
    parser.add_argument("--proxy-wait", type=float, default=1.0, help="seconds to wait for proxyDHCP offers")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        mac_bytes(args.mac)
        node_uuid = str(uuid.UUID(args.uuid)) if args.uuid else default_uuid(args.mac)
    except ValueError as exc:
        print(f"node_sim: {exc}", file=sys.stderr)
        return 2

    from twisted.internet import reactor as installed_reactor

    from node_sim.transport import NetnsIO

    reactor: Any = installed_reactor
    outcome: list[BootOutcome] = []

    def report(event: BootEvent) -> None:
        print(json.dumps(event.as_dict()), flush=True)

    node = NetbootNode(
        [NicConfig(args.mac.lower(), args.interface)],
        node_uuid,
        reactor,
        NetnsIO(reactor, args.netns),
        report,
        name=args.name,
        proxy_wait=args.proxy_wait,
    )

    def finished(result: BootOutcome) -> None:
        outcome.append(result)
        print(json.dumps({"outcome": result.as_dict()}), flush=True)
        if reactor.running:
            reactor.stop()

    def start() -> None:
        node.boot(args.device).addCallback(finished)

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", node.cancel)
    reactor.run()
    if not outcome:
        return 1
    return 0 if outcome[0].kind in ("kernel", "local") else 1


if __name__ == "__main__":
    sys.exit(main())
