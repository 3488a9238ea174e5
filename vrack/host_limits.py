"""Host-wide kernel limits a rack of many simulated NICs needs (neighbour table, input queue).

No network namespace can set these for itself; vrack only ever raises them (see :func:`raise_host_limits`).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def host_limits_for(nics: int) -> dict[str, int]:
    """The host-wide sysctls (keys under ``/proc/sys``) a rack with ``nics`` simulated NICs on one bridge needs."""
    return {
        "net/ipv4/neigh/default/gc_thresh1": 2 * nics,  # below this the neighbour table is never pruned
        "net/ipv4/neigh/default/gc_thresh2": 4 * nics,  # N NICs need 2N entries: each NIC's entry for the
        "net/ipv4/neigh/default/gc_thresh3": 8 * nics,  # server and the server's entry for each NIC
        "net/core/netdev_max_backlog": 10 * nics,  # one broadcast on an N-port bridge queues N copies
    }


def raise_host_limits(nics: int, root: Path = Path("/proc/sys")) -> dict[str, tuple[int, int]]:
    """Raise the host limits of :func:`host_limits_for` that are below what ``nics`` NICs need.

    These are HOST-WIDE settings: the neighbour (ARP) table thresholds are shared by all namespaces
    (1,024 entries by default) and ``netdev_max_backlog`` is the per-CPU input queue (1,000 packets);
    no network namespace can set its own.  vrack only ever raises them, never lowers one, and does not
    put them back (another rack may rely on them).  Each change is logged; returns
    ``{key: (before, after)}`` of what was changed.  ``OSError`` if a value cannot be read or written.
    """
    changed: dict[str, tuple[int, int]] = {}
    for key, wanted in host_limits_for(nics).items():
        path = root / key
        before = int(path.read_text(encoding="ascii").split()[0])
        if wanted > before:
            path.write_text(str(wanted), encoding="ascii")
            changed[key] = (before, wanted)
            log.info(
                "raised host-wide %s from %d to %d for %d simulated NICs", key.replace("/", "."), before, wanted, nics
            )
    return changed
