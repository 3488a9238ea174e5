"""Free ports on a test's own loopback address."""

from __future__ import annotations

import random
import socket


def free_port(address: str, kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port nothing listens on at ``address`` right now (the kernel's choice for a bind to port 0)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def wildcard_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port free on every address now and outside the kernel's ephemeral range, so that no client socket
    is given it later: for shared listeners, which bind it on 0.0.0.0 some time after it was chosen."""
    with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
        low = int(handle.read().split()[0])
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low // 2), low)
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port below the ephemeral range ({low})")
