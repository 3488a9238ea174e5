"""CPU per datagram of a BMC-style UDP echo under each way vrack could read its sockets (issue 17).

One process, one reactor, loopback only: a client socket sends a burst of B datagrams to a port bound with
``listenUDP``; the protocol answers each with ``sendto`` on the listening socket (as ``BmcProtocol`` does)
and, after the B-th, drains the client's replies and sends the next burst, so every burst is one wake-up
of B datagrams.  Modes, each in its own interpreter (a reactor is installed once per process):

- ``asyncio``: Twisted's asyncio reactor reading the port (``Port.doRead`` via ``callWithLogger``);
- ``direct``: the asyncio reactor with the port read by :mod:`bmc_sim.direct_read` (what vrack does);
- ``epoll``: Twisted's epoll reactor reading the port.

Prints, per mode and burst size, the least CPU microseconds per datagram over ``--repeat`` runs (client
work included, the same in every mode) and its ratio to ``asyncio``.

    python -m bench.udp_wakeups [--bursts 1 3 12] [--datagrams 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

MODES = ("asyncio", "direct", "epoll")
SERVER, CLIENT = "127.16.40.1", "127.16.40.2"


def echo_run(mode: str, burst: int, datagrams: int) -> float:
    """CPU microseconds per datagram of one run in this process (installs the mode's reactor)."""
    import socket
    import time

    if mode == "epoll":
        from twisted.internet import epollreactor

        epollreactor.install()
    else:
        from snmp_agent.reactor import install_asyncio_reactor

        install_asyncio_reactor()
    from twisted.internet import protocol, reactor

    from bmc_sim.direct_read import read_directly

    running: Any = reactor
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind((CLIENT, 0))
    client.setblocking(False)
    payload = b"x" * 60

    class Echo(protocol.DatagramProtocol):
        count = 0

        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            self.count += 1
            transport: Any = self.transport
            transport.socket.sendto(datagram, addr)
            if self.count % burst:
                return
            try:
                while client.recv(128):
                    pass
            except BlockingIOError:
                pass
            if self.count >= datagrams:
                running.stop()
            else:
                send_burst()

    echo = Echo()
    port = running.listenUDP(0, echo, interface=SERVER)
    if mode == "direct" and read_directly(port, echo.datagramReceived) is None:
        raise RuntimeError("the direct reader did not take the port over")
    destination = (SERVER, port.getHost().port)

    def send_burst() -> None:
        for _ in range(burst):
            client.sendto(payload, destination)

    started = [0.0]

    def begin() -> None:
        started[0] = time.process_time()
        send_burst()

    running.callWhenRunning(begin)
    running.run()
    return (time.process_time() - started[0]) / datagrams * 1e6


def measure(bursts: list[int], datagrams: int, repeat: int) -> list[dict[str, Any]]:
    """Every mode and burst size ``repeat`` times, interleaved, each run in a fresh interpreter."""
    best: dict[tuple[str, int], float] = {}
    for _ in range(repeat):
        for burst in bursts:
            for mode in MODES:
                argv = [sys.executable, "-m", "bench.udp_wakeups", "--one", mode, str(burst), str(datagrams)]
                out = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True).stdout
                value = float(out.strip().splitlines()[-1])
                best[mode, burst] = min(best.get((mode, burst), value), value)
    return [
        {
            "mode": mode,
            "burst": burst,
            "cpu_us_per_datagram": round(best[mode, burst], 2),
            "ratio_to_asyncio": round(best[mode, burst] / best["asyncio", burst], 3),
        }
        for burst in bursts
        for mode in MODES
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per datagram: asyncio, direct and epoll reading")
    parser.add_argument("--bursts", type=int, nargs="+", default=[1, 3, 12], help="datagrams per wake-up")
    parser.add_argument("--datagrams", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", nargs=3, metavar=("MODE", "BURST", "DATAGRAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        mode, burst, datagrams = args.one
        if mode not in MODES:
            parser.error(f"mode must be one of {', '.join(MODES)}")
        print(echo_run(mode, int(burst), int(datagrams)))
        return 0
    if any(b < 1 for b in args.bursts) or args.datagrams < 1 or args.repeat < 1:
        parser.error("--bursts, --datagrams and --repeat must be positive")
    print(json.dumps(measure(args.bursts, args.datagrams, args.repeat), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
