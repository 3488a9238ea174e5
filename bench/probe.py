"""Wait until every BMC of a list answers a sessionless Get Channel Authentication Capabilities.

One UDP socket probes all addresses: each tick sends to at most ``burst``
addresses that have not answered and were not probed within ``retry`` seconds,
so a thousand silent BMCs cost a bounded packet rate.  The result is the
monotonic time at which each address first answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from bench.rmcpplus_client import channel_auth_capabilities_probe, is_channel_auth_capabilities_response


class _Prober(asyncio.DatagramProtocol):
    def __init__(self, answered: dict[str, float], done: asyncio.Event) -> None:
        self.answered = answered
        self.done = done
        self.expected = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        host = addr[0]
        if host not in self.answered and is_channel_auth_capabilities_response(data):
            self.answered[host] = time.monotonic()
            if len(self.answered) >= self.expected:
                self.done.set()

    def error_received(self, exc: Exception) -> None:
        """Unreachable ports (a BMC not bound yet) just mean: probe again later."""


async def wait_answering(
    hosts: list[str],
    port: int = 623,
    timeout: float = 60.0,
    tick: float = 0.02,
    retry: float = 0.05,
    burst: int = 200,
) -> dict[str, float]:
    """Probe ``hosts`` until all answered or ``timeout`` passed; return host -> monotonic answer time."""
    if not all(h.startswith("127.") for h in hosts):
        raise ValueError("probes go only to 127.0.0.0/8")
    loop = asyncio.get_running_loop()
    answered: dict[str, float] = {}
    done = asyncio.Event()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    transport, protocol = await loop.create_datagram_endpoint(lambda: _Prober(answered, done), sock=sock)
    protocol.expected = len(hosts)
    last_sent: dict[str, float] = {}
    probe = channel_auth_capabilities_probe()
    deadline = time.monotonic() + timeout
    try:
        while len(answered) < len(hosts) and time.monotonic() < deadline:
            now = time.monotonic()
            due = [h for h in hosts if h not in answered and now - last_sent.get(h, -1e9) >= retry][:burst]
            for host in due:
                transport.sendto(probe, (host, port))
                last_sent[host] = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), tick)
    finally:
        transport.close()
    return answered
