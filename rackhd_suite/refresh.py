"""Graph.Refresh.Immediate.Discovery's options for one node, as RackHD's FIT rediscovery tests send them."""

from __future__ import annotations

from typing import Any

REFRESH = "Graph.Refresh.Immediate.Discovery"


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
