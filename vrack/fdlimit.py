"""File descriptors for a big rack: how many it needs, and raising ``RLIMIT_NOFILE`` to fit.

Every BMC holds one UDP socket (IPMI) and one listening TCP socket per Redfish port (HTTPS, plain HTTP
if asked); every PDU and switch one UDP socket (SNMP).  A node's console log is opened only when the
node first prints.  The rest of the process (journal, control API, its clients, libraries) is
:data:`BASE_FDS`.  Debian's default soft limit is 1,024 (20,000 on some CI machines); the kernel's
ceiling for one process is ``/proc/sys/fs/nr_open`` (1,048,576 by default).

:func:`ensure_fd_limit` raises the soft limit to what the rack needs (up to the hard limit), and the
hard limit too when the process may (root, ``CAP_SYS_RESOURCE``), up to ``nr_open``.  If that is not
enough the rack does not start, with a message naming the limit, the numbers and how to raise it.
"""

from __future__ import annotations

import logging
import resource
from pathlib import Path

from vrack.plan import RackPlan

BASE_FDS = 512
NR_OPEN = Path("/proc/sys/fs/nr_open")
log = logging.getLogger("vrack")


class FdLimitTooLow(Exception):
    """The process may not open as many files as the rack needs; the message says what to raise."""


def fds_needed(plan: RackPlan) -> int:
    """Descriptors the rack holds once every device is bound (see the module docstring)."""
    if plan.spec.ports.shared:  # one socket per port for all BMCs (vrack.shared_listeners)
        per_node = 3 if plan.nodes else 0
    else:
        per_node = sum(1 + (n.redfish_port is not None) + (n.redfish_http_port is not None) for n in plan.nodes)
    return BASE_FDS + per_node + len(plan.pdus) + len(plan.switches)


def _nr_open() -> int:
    try:
        return int(NR_OPEN.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError):
        return 1 << 20


def ensure_fd_limit(needed: int) -> tuple[int, int] | None:
    """Make ``RLIMIT_NOFILE`` at least ``needed``; return (soft before, soft after) if it changed.

    Raises :class:`FdLimitTooLow` when neither the soft nor (where permitted) the hard limit can go that high.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    new_hard = hard
    if hard != resource.RLIM_INFINITY and hard < needed:
        ceiling = _nr_open()
        if needed > ceiling:
            raise FdLimitTooLow(
                f"the rack needs about {needed} file descriptors, more than the kernel allows one process "
                f"(fs.nr_open = {ceiling}); raise it (sysctl fs.nr_open={needed}) or split the rack"
            )
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
        except (ValueError, OSError):
            raise FdLimitTooLow(
                f"the rack needs about {needed} file descriptors but this process may open only {hard} "
                f"(RLIMIT_NOFILE soft {soft}, hard {hard}); raise the hard limit (ulimit -Hn {needed} as root, "
                "or LimitNOFILE in a systemd unit) or run vrack as root"
            ) from None
        new_hard = needed
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, new_hard))
    log.info("raised RLIMIT_NOFILE from %d to %d (hard %d) for the rack's sockets", soft, needed, new_hard)
    return soft, needed
