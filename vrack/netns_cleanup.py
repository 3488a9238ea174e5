"""Crash recovery for rack networks: tear down those whose owner process is gone, in a scope.

``vrack cleanup`` uses :func:`cleanup_stale` with the racks of one state directory (or one rack);
``vrack cleanup --all`` sweeps the host.  Every rack network has a state file (written by
:meth:`vrack.netns.RackNetwork.create` before anything is built) naming its owner and rack directory.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from vrack.netns import STATE_DIR, owner_alive, teardown_network


def cleanup_stale(
    prefix: str = "vrack-", state_dir: Path = STATE_DIR, *, rack_dirs: Collection[Path] | None = None
) -> list[str]:
    """Tear down rack networks named ``<prefix>...`` whose owner process is gone; return their names.

    With ``rack_dirs`` only the networks of those racks' state directories (``<state dir>/<rack>``) are
    considered: a network whose state file records its rack directory must have one of them, an older one
    without that record must have a rack name among their names.  ``None`` sweeps the whole host.
    Only namespaces with a state file are considered (``create`` writes it before building anything), so
    namespaces made by others, e.g. an uplink namespace, are never touched.
    """
    wanted = None if rack_dirs is None else {d.resolve() for d in rack_dirs}
    removed: list[str] = []
    for path in sorted(state_dir.glob(f"{prefix}*.json")):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        netns = state.get("netns")
        if not isinstance(netns, str) or not netns.startswith(prefix) or owner_alive(state):
            continue
        if wanted is not None and not _in_scope(state, netns.removeprefix(prefix), wanted):
            continue
        uplink = state.get("uplink_netns")
        teardown_network(netns, uplink if isinstance(uplink, str) else None)
        path.unlink(missing_ok=True)
        removed.append(netns)
    return removed


def _in_scope(state: dict[str, object], rack: str, rack_dirs: set[Path]) -> bool:
    recorded = state.get("rack_dir")
    if isinstance(recorded, str):
        return Path(recorded) in rack_dirs
    return rack in {d.name for d in rack_dirs}
