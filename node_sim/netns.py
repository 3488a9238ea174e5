"""Enter a named network namespace for a moment, on the calling thread only.

Python 3.11 has no ``os.setns``, so :func:`in_netns` calls libc's ``setns(2)`` through ctypes.
``setns(fd, CLONE_NEWNET)`` moves only the calling *thread*; sockets created inside the ``with``
block belong to the namespace for their whole life, wherever they are used afterwards.  This is
how a single-threaded Twisted reactor owns sockets in many namespaces at once: create each socket
inside ``in_netns(name)``, leave, hand the socket to the reactor.

Rules for callers: keep the block synchronous (no ``await``/``yield``, no reactor turn, no thread
hand-off inside it), and only create sockets or talk netlink/procfs in it.  Needs CAP_SYS_ADMIN
(root).  ``name=None`` is a no-op, so code can run unchanged in the caller's own namespace.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
NETNS_DIRS = ("/run/netns", "/var/run/netns")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.setns.restype = ctypes.c_int


class NetnsError(OSError):
    """A namespace that does not exist or cannot be entered."""


def netns_path(name: str) -> str:
    """The bind-mount path ``ip netns add NAME`` created; NetnsError when there is none."""
    if not name or "/" in name or name in (".", ".."):
        raise NetnsError(f"invalid network namespace name {name!r}")
    for directory in NETNS_DIRS:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise NetnsError(f"network namespace {name!r} does not exist (looked in {', '.join(NETNS_DIRS)})")


def _setns(fd: int, what: str) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NetnsError(err, f"setns({what}): {os.strerror(err)}")


@contextmanager
def in_netns(name: str | None) -> Iterator[None]:
    """Run the block with the calling thread in network namespace ``name`` (None: stay where we are).

    The thread's own namespace is restored on exit, also when the block raises.
    """
    if name is None:
        yield
        return
    target = os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        os.close(target)
        raise
    try:
        _setns(target, name)
        try:
            yield
        finally:
            _setns(home, "back to the original namespace")
    finally:
        os.close(home)
        os.close(target)
