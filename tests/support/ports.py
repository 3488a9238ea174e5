"""Free ports on a test's own loopback address."""

from __future__ import annotations

import socket


def free_port(address: str, kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port nothing listens on at ``address`` right now (the kernel's choice for a bind to port 0)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])
