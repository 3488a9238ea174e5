"""What one link per management device costs (issue 15): the layout with its own MAC per device against the
old layout (every device address on the ``mgmt0`` bridge, one MAC for all), side by side.

For N devices it measures, per layout: the time to build the addresses/links (one ``ip -batch``), and the
UDP round trip from the system under test's namespace to the FIRST and the LAST device (each an echo
socket bound in the rack namespace; with per-device links a reply from the last device walks all N
source rules).  Run as root: ``python -m bench.netns_links --sizes 10 100 1000 --rounds 2000``.
Namespaces ``vrt-bl-*``, addresses 10.236.0.0/16; nothing is left behind.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vrack.netns import RackNetwork, in_netns
from vrack.netns_devices import add_device_links

SUT = "vrt-bl-sut"
MANAGEMENT = ipaddress.IPv4Network("10.236.0.0/20")
PROVISIONING = ipaddress.IPv4Network("10.236.16.0/24")
PORT = 40623


@contextmanager
def sut_namespace() -> Iterator[str]:
    subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", SUT], check=True)
    subprocess.run(["ip", "-n", SUT, "link", "set", "lo", "up"], check=True)
    try:
        yield SUT
    finally:
        subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)


def _addresses(count: int) -> list[ipaddress.IPv4Address]:
    hosts = MANAGEMENT.hosts()
    next(hosts)  # the uplink's
    return [next(hosts) for _ in range(count)]


def _echo(sockets: list[socket.socket], stop: threading.Event) -> None:
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.05):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                data, peer = ready.recvfrom(64)
                ready.sendto(data, peer)


def _round_trips(target: str, rounds: int) -> list[float]:
    with in_netns(SUT):
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(2)
    times = []
    with client:
        for n in range(rounds):
            started = time.perf_counter()
            client.sendto(n.to_bytes(4, "big"), (target, PORT))
            client.recvfrom(64)
            times.append((time.perf_counter() - started) * 1e6)
    return times


def measure(layout: str, count: int, rounds: int) -> dict[str, Any]:
    """Build ``count`` device addresses in ``layout`` ("links" or "bridge"), then time round trips."""
    state = tempfile.TemporaryDirectory(prefix="vrt-bl-")
    network = RackNetwork("bl", MANAGEMENT, PROVISIONING, f"netns:{SUT}", prefix="vrt-bl-", state_dir=Path(state.name))
    network.destroy()
    network.create()
    try:
        addresses = _addresses(count)
        started = time.perf_counter()
        if layout == "links":
            devices = [(f"d{n}", a, f"02:00:00:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}")
                       for n, a in enumerate(addresses)]  # fmt: skip
            add_device_links(network, devices)
        else:
            network.add_addresses("mgmt0", addresses)
        build = time.perf_counter() - started
        ends = [str(addresses[0]), str(addresses[-1])]
        with in_netns(network.netns):
            sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in ends]
        for sock, address in zip(sockets, ends, strict=True):
            sock.bind((address, PORT))
        stop = threading.Event()
        echo = threading.Thread(target=_echo, args=(sockets, stop), daemon=True)
        echo.start()
        try:
            _round_trips(ends[0], 50)  # ARP and caches warm
            _round_trips(ends[1], 50)
            first, last = _round_trips(ends[0], rounds), _round_trips(ends[1], rounds)
        finally:
            stop.set()
            echo.join()
            for sock in sockets:
                sock.close()
        return {
            "layout": layout,
            "devices": count,
            "build_s": round(build, 3),
            "rtt_first_p50_us": round(statistics.median(first), 1),
            "rtt_last_p50_us": round(statistics.median(last), 1),
            "rtt_last_p99_us": round(sorted(last)[int(len(last) * 0.99) - 1], 1),
        }
    finally:
        network.destroy()
        state.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench.netns_links builds network namespaces: run it as root", file=sys.stderr)
        return 2
    rows = []
    with sut_namespace():
        for count in args.sizes:
            for layout in ("bridge", "links"):  # the old layout first, the new one beside it
                row = measure(layout, count, args.rounds)
                rows.append(row)
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
