"""What the PXE benchmark's simulated nodes did, from their boot events (device logic: no sockets, no I/O).

:class:`Tracker` is every node's observer (:data:`node_sim.bootlog.Observer`).  It keeps a few numbers
per node, not the events: DISCOVERs and REQUESTs sent (more than one of each is a retransmission),
when the first DHCPACK came, when the boot file's TFTP transfer completed (the node is then **done**),
TFTP retransmissions, and the boot outcome (``expected`` for the ``failed`` "unsupported network
bootstrap program" a PXE ROM ends with after fetching ``pxelinux.0``).  Times come from ``clock``
(``time.perf_counter`` by default), relative to :meth:`Tracker.start`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

EXPECTED_END = "unsupported network bootstrap program"
WITHIN_S = 60.0  # the bound: nodes done within it are counted apart


class NodeTrack:
    """What one node did, from its boot events (times in seconds after power-on)."""

    __slots__ = ("acked", "discovers", "done", "outcome", "requests", "tftp_retransmits")

    def __init__(self) -> None:
        self.discovers = 0
        self.requests = 0
        self.acked: float | None = None
        self.done: float | None = None
        self.tftp_retransmits = 0
        self.outcome: str | None = None


class Tracker:
    """The nodes' observer: counts their DHCP and TFTP steps; calls ``on_all_done`` after the N-th boot file
    arrived and ``on_all_ended`` when every node has a boot outcome (done or failed).

    Keeps a few numbers per node, not the events (a rack's journal would keep those).
    """

    def __init__(
        self,
        names: list[str],
        on_all_done: Callable[[], None],
        on_all_ended: Callable[[], None],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.nodes = {name: NodeTrack() for name in names}
        self.on_all_done = on_all_done
        self.on_all_ended = on_all_ended
        self.clock = clock
        self.started = 0.0
        self.done_count = 0
        self.ended_count = 0
        self.tftp_failures = 0
        self.dhcp_failures = 0

    def start(self) -> None:
        self.started = self.clock()

    def __call__(self, event: Any) -> None:
        track = self.nodes.get(event.node)
        if track is None:
            return
        kind = event.event
        if kind == "dhcp.discover":
            track.discovers += 1
        elif kind == "dhcp.request":
            track.requests += 1
        elif kind == "dhcp.ack":
            if track.acked is None:
                track.acked = self.clock() - self.started
        elif kind == "dhcp.failed":
            self.dhcp_failures += 1
        elif kind == "tftp.fetch":
            fields = event.fields
            track.tftp_retransmits += int(fields.get("retransmits") or 0)
            if not fields.get("ok"):
                self.tftp_failures += 1
            elif track.done is None:
                track.done = self.clock() - self.started
                self.done_count += 1
                if self.done_count == len(self.nodes):
                    self.on_all_done()
        elif kind == "boot.outcome":
            kind_ = str(event.fields.get("kind"))
            reason = str(event.fields.get("reason") or "")
            expected = kind_ == "failed" and reason.startswith(EXPECTED_END)
            if track.outcome is None:
                self.ended_count += 1
            track.outcome = "expected" if expected else f"{kind_}: {reason}"
            if self.ended_count == len(self.nodes):
                self.on_all_ended()

    def summary(self) -> dict[str, Any]:
        """Times, retries and failures over all nodes."""
        tracks = list(self.nodes.values())
        acked = sorted(t.acked for t in tracks if t.acked is not None)
        done = sorted(t.done for t in tracks if t.done is not None)
        outcomes = Counter(t.outcome or "none" for t in tracks)
        return {
            "done": len(done),
            "not_done": len(tracks) - len(done),
            "all_done_s": round(done[-1], 3) if len(done) == len(tracks) and done else None,
            "ack_p50_s": _pct(acked, 50),
            "ack_p90_s": _pct(acked, 90),
            "ack_max_s": round(acked[-1], 3) if acked else None,
            "done_p50_s": _pct(done, 50),
            "done_p90_s": _pct(done, 90),
            "done_max_s": round(done[-1], 3) if done else None,
            "done_within_60s": sum(1 for t in done if t < WITHIN_S),
            "boots_per_s": round(len(done) / done[-1], 1) if done and done[-1] > 0 else None,
            "dhcp_retransmits": sum(max(0, t.discovers - 1) + max(0, t.requests - 1) for t in tracks),
            "nodes_with_dhcp_retransmits": sum(1 for t in tracks if t.discovers > 1 or t.requests > 1),
            "tftp_retransmits": sum(t.tftp_retransmits for t in tracks),
            "nodes_with_tftp_retransmits": sum(1 for t in tracks if t.tftp_retransmits),
            "dhcp_failures": self.dhcp_failures,
            "tftp_failures": self.tftp_failures,
            "outcomes": dict(sorted(outcomes.items())),
        }


def _pct(values: list[float], pct: int) -> float | None:
    """The ``pct``-th percentile (nearest rank) of sorted ``values``."""
    if not values:
        return None
    rank = max(1, -(-pct * len(values) // 100))
    return round(values[rank - 1], 3)
