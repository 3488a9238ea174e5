"""Rediscovery: Graph.Refresh.Immediate.Discovery's options as RackHD's FIT sends them, and which cable to pull."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vrack.plan import CablePlan

REFRESH = "Graph.Refresh.Immediate.Discovery"

LLDP_NO_DATA = (
    "RackHD stores no lldp catalog when lldpcli reports no neighbour (on-tasks "
    "lib/utils/job-utils/command-parser.js, the lldp parser: empty stdout is Error 'No data'), so a node whose only "
    "cable is pulled keeps its old catalog"
)


def refresh_options(node_id: str) -> dict[str, Any]:
    return {
        "reset-at-start": {"nodeId": node_id},
        "discovery-refresh-graph": {"graphOptions": {"target": node_id}, "nodeId": node_id},
        "generate-sku": {"nodeId": node_id},
        "generate-enclosure": {"nodeId": node_id},
        "create-default-pollers": {"nodeId": node_id},
        "run-sku-graph": {"nodeId": node_id},
        "nodeId": node_id,
    }


def rediscovery_cable(cables: Sequence[CablePlan]) -> CablePlan:
    """The cable whose pulling a rediscovery can see: the first cable of the first node cabled more than once.

    After the pull the node still hears a neighbour on its other cable, so RackHD stores a new lldp catalog with
    one neighbour less (see :data:`LLDP_NO_DATA` for why a node's only cable will not do).  Raises
    ``AssertionError`` naming the cabling when no node has two cables.
    """
    per_node: dict[str, list[CablePlan]] = {}
    for cable in cables:
        per_node.setdefault(cable.node, []).append(cable)
    for node_cables in per_node.values():
        if len(node_cables) > 1:
            return node_cables[0]
    cabling = ", ".join(f"{c.node}/nic{c.nic}-{c.switch}/{c.port}" for c in cables) or "no cables"
    raise AssertionError(
        f"rediscovery after a pulled cable needs a node cabled to a switch more than once; the rack has {cabling}. "
        f"{LLDP_NO_DATA} (rack_specs/rackhd-netns.yaml cables node04 twice)"
    )
