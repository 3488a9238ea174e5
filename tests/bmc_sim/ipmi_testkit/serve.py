"""Run one BMC (session layer + device double) on a UDP address until SIGTERM.

Used by the end-to-end tests as a subprocess::

    python serve.py --address 127.20.1.1 --port 623 --cipher-suites 1,2,3,17 --auth-types 2,4

It prints ``READY <port>`` once bound (``BINDERROR <message>`` and exit 3 if
binding fails) and, on exit, ``STATS <json>`` with the endpoint counters.
Records of refused requests are printed as ``RECORD <json>`` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=623)
    parser.add_argument("--cipher-suites", type=_ints, default=(1, 2, 3, 17))
    parser.add_argument("--auth-types", type=_ints, default=(2, 4))
    parser.add_argument("--session-limit", type=int, default=16)
    parser.add_argument("--session-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    from twisted.internet.asyncioreactor import AsyncioSelectorReactor
    from twisted.internet.main import installReactor

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    reactor = AsyncioSelectorReactor(loop)
    installReactor(reactor)

    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from bmc_sim.message import RequestRecord
    from bmc_sim.protocol import BindError, BmcService
    from bmc_sim.session import BmcEndpoint
    from tests.bmc_sim.ipmi_testkit.double import DeviceDouble, make_config

    config = make_config(
        "e2e-bmc",
        cipher_suites=args.cipher_suites,
        auth_types_15=args.auth_types,
        session_limit=args.session_limit,
        session_timeout=args.session_timeout,
    )

    def report(record: RequestRecord) -> None:
        if record.outcome != "ok":
            print("RECORD " + json.dumps(record._asdict()), flush=True)

    endpoint = BmcEndpoint(DeviceDouble(config), reactor, observer=report)
    service = BmcService(endpoint, args.address, args.port, reactor=reactor)
    try:
        service.startService()
    except BindError as exc:
        print(f"BINDERROR {exc}", flush=True)
        return 3
    print(f"READY {service.port}", flush=True)
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    print("STATS " + json.dumps(endpoint.stats.as_dict()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
