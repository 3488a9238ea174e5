"""Helpers for tests that build namespaces: list what exists, make and remove an uplink namespace."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NETNS_DIR = Path("/run/netns")


def ip(*args: str, netns: str | None = None) -> str:
    """``ip [-n netns] args`` output; raises on failure."""
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def netns_names() -> set[str]:
    """Names of the network namespaces under /run/netns."""
    return {path.name for path in NETNS_DIR.iterdir()} if NETNS_DIR.exists() else set()


def link_names(netns: str | None = None) -> set[str]:
    """Interface names in ``netns`` (None: this process's namespace)."""
    return {line.split(":")[1].strip().split("@")[0] for line in ip("-o", "link", "show", netns=netns).splitlines()}


def addresses(ifname: str, netns: str | None = None) -> set[str]:
    """The addresses (``ip/len``) on ``ifname``."""
    out = ip("-o", "addr", "show", "dev", ifname, netns=netns)
    return {line.split()[3] for line in out.splitlines()}


def link_info(ifname: str, netns: str | None = None) -> str:
    """One line of ``ip -o -d link show ifname``."""
    return ip("-o", "-d", "link", "show", "dev", ifname, netns=netns)


@contextmanager
def uplink_namespace(name: str) -> Iterator[str]:
    """A plain namespace ``name`` (with lo up) that stands for where the system under test runs."""
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", name], check=True)
    ip("link", "set", "lo", "up", netns=name)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def run_in_netns(netns: str, code: str, timeout: float = 20.0) -> str:
    """Run Python ``code`` in ``netns`` (``ip netns exec``) and return its stdout; raises on failure."""
    done = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
