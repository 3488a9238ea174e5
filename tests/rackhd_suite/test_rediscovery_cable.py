"""Which cable the discovery group pulls before its rediscovery (found against a real RackHD 2.60.7).

Pulling node01's only cable left RackHD's lldp catalog unchanged: lldpcli then prints nothing (lldpd 1.0.16 does
the same), and RackHD's lldp parser stores no catalog from empty output.  The cable must be one of two of a node.
"""

from __future__ import annotations

import pytest

from rackhd_suite.refresh import rediscovery_cable
from tests.rackhd_suite.conftest import SPECS
from vrack.plan import CablePlan, build_plan
from vrack.spec import load_spec


def test_the_shipped_discovery_rack_pulls_one_of_the_double_cabled_nodes_cables() -> None:
    cables = build_plan(load_spec(SPECS / "rackhd-netns.yaml")).cables
    pulled = rediscovery_cable(cables)
    assert pulled == CablePlan("node04", 0, "sw1", 4)
    assert [c for c in cables if c.node == pulled.node and c != pulled] == [CablePlan("node04", 1, "sw1", 5)]


def test_the_first_node_with_two_cables_wins_whatever_the_order() -> None:
    cables = [
        CablePlan("a", 0, "sw", 1),
        CablePlan("b", 0, "sw", 2),
        CablePlan("b", 1, "sw2", 7),
        CablePlan("a", 1, "sw", 3),
    ]
    assert rediscovery_cable(cables) == CablePlan("a", 0, "sw", 1)


def test_a_rack_without_a_double_cabled_node_says_why_it_cannot_serve() -> None:
    cables = [CablePlan("node01", 0, "sw1", 1), CablePlan("node02", 0, "sw1", 2)]
    with pytest.raises(AssertionError) as caught:
        rediscovery_cable(cables)
    message = str(caught.value)
    assert "node01/nic0-sw1/1, node02/nic0-sw1/2" in message
    assert "command-parser.js" in message and "more than once" in message


def test_a_rack_without_cables_says_so() -> None:
    with pytest.raises(AssertionError, match="the rack has no cables"):
        rediscovery_cable([])
