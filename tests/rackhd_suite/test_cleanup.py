"""Clearing a node whose graphs RackHD is still running (found against a real RackHD 2.60.7).

A node PXE-booted on a netns rack runs Graph.SKU.Discovery with nested graphs; cancelling one that ended at
that moment made RackHD's ``PUT /nodes/:id/workflows/action`` never answer, and the whole group errored
"RackHD stopped answering".  The clean-up now cancels until none is active, looking again after a cancel
that got no answer, and fails only for graphs that stay active, naming them.  No RackHD needed.
"""

from __future__ import annotations

from typing import Any

import pytest

from rackhd_suite.client import RackHDUnreachable
from rackhd_suite.db import Cleaner
from rackhd_suite.waiting import WaitTimeout

HUNG = (
    "RackHD at http://127.72.0.1:8080 stopped answering (PUT /api/2.0/nodes/6b12/workflows/action): "
    "HTTPConnectionPool(host='127.72.0.1', port=8080): Read timed out. (read timeout=10.0)"
)


class Graphs:
    """RackHD's workflow API for one node: ``active`` graphs; each cancel ends the first (after ``hang``s)."""

    def __init__(self, active: list[str], hang: int = 0, ends: bool = True) -> None:
        self.active = list(active)
        self.hang = hang
        self.ends = ends
        self.cancels: list[float | None] = []
        self.deleted: list[str] = []

    def active_workflows(self, node_id: str) -> list[dict[str, Any]]:
        return [{"injectableName": name, "node": node_id} for name in self.active]

    def cancel_active(self, node_id: str, timeout: float | None = None) -> None:
        self.cancels.append(timeout)
        if self.ends and self.active:
            self.active.pop(0)  # RackHD cancels the graph, answered or not
        if self.hang:
            self.hang -= 1
            raise RackHDUnreachable(HUNG)

    def delete_node(self, node_id: str) -> None:
        self.deleted.append(node_id)


def cleaner(graphs: Graphs, cancel_timeout: float = 5.0) -> Cleaner:
    return Cleaner(graphs, None, cancel_timeout=cancel_timeout, pause=lambda _s: None)  # type: ignore[arg-type]


def test_a_cancel_that_never_answers_is_not_an_error_when_the_graph_has_ended() -> None:
    graphs = Graphs(["Graph.Set.Bmc.Credentials"], hang=1)
    report = cleaner(graphs).clear(["6b12"])
    assert report == "deleted 1 node(s) through the API (no MongoDB configured)"
    assert graphs.deleted == ["6b12"] and graphs.cancels == [10.0]


def test_nested_graphs_are_cancelled_one_after_another() -> None:
    graphs = Graphs(["Graph.SKU.Discovery", "Graph.rancherDiscovery", "Graph.Set.Bmc.Credentials"])
    cleaner(graphs).clear(["6b12"])
    assert graphs.active == [] and len(graphs.cancels) == 3 and graphs.deleted == ["6b12"]


def test_a_node_without_active_graphs_is_not_cancelled() -> None:
    graphs = Graphs([])
    cleaner(graphs).clear(["6b12"])
    assert graphs.cancels == [] and graphs.deleted == ["6b12"]


def test_a_graph_that_stays_active_fails_the_clean_up_naming_it_and_the_last_answer() -> None:
    graphs = Graphs(["Graph.SKU.Discovery"], hang=10**6, ends=False)
    with pytest.raises(WaitTimeout) as caught:
        cleaner(graphs, cancel_timeout=0.05).clear(["6b12"])
    message = str(caught.value)
    assert message.startswith("RackHD still runs ['Graph.SKU.Discovery'] on node 6b12 after 0.05 s of cancelling")
    assert "PUT /api/2.0/nodes/6b12/workflows/action" in message and "Read timed out" in message
    assert graphs.deleted == []


def test_rackhd_gone_altogether_is_still_unreachable() -> None:
    class Gone(Graphs):
        def active_workflows(self, node_id: str) -> list[dict[str, Any]]:
            raise RackHDUnreachable("RackHD at http://127.72.0.1:8080 stopped answering (GET ...)")

    with pytest.raises(RackHDUnreachable):
        cleaner(Gone(["Graph.SKU.Discovery"])).clear(["6b12"])
