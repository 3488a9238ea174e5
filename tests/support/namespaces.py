"""The system-under-test network namespace netns-mode rack tests put the rack's uplink into."""

from __future__ import annotations

import subprocess


def add_namespace(name: str) -> None:
    """A new network namespace ``name`` with ``lo`` up; one of that name left by a crashed run goes first."""
    remove_namespace(name)
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)


def remove_namespace(name: str) -> None:
    """Remove network namespace ``name`` if it exists."""
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
