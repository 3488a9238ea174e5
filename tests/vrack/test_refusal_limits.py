"""Issue 14 finding 5: one unauthenticated sender writes a bounded amount to the journal, and no long names."""

from __future__ import annotations

from bmc_sim.message import RequestRecord
from tests.vrack.inmemory import MemoryRack
from vrack.devices.compute import ComputeDevice


def _refused(peer: str, user: str, outcome: str = "unknown-user") -> RequestRecord:
    return RequestRecord(0.0, (peer, 40000), user, 0, 0x12, "rmcpplus.rakp1", None, outcome, 0, "lanplus", "")


def test_a_flood_of_refusals_from_one_peer_is_summarised_per_window_and_names_are_cut() -> None:
    m = MemoryRack()
    m.advance(3)
    node = m.rack.devices["node01"]
    assert isinstance(node, ComputeDevice)
    for n in range(25):
        node.request_journal.record(_refused("127.0.0.9", "x" * 200 + str(n)))
    for _ in range(3):
        node.request_journal.record(_refused("127.0.0.10", "admin", "bad-password"))
    lines = m.events(device="node01", protocol="ipmi", operation="rmcpplus.rakp1")
    assert len([e for e in lines if e["peer"] == "127.0.0.9:40000"]) == 10
    assert len([e for e in lines if e["peer"] == "127.0.0.10:40000"]) == 3
    assert {e["user"] for e in lines if e["peer"] == "127.0.0.9:40000"} == {"x" * 16 + "…"}
    assert not m.events(operation="refusals-suppressed")
    m.advance(10.1)
    (summary,) = m.events(device="node01", operation="refusals-suppressed")
    assert summary["peer"] == "127.0.0.9" and summary["count"] == 15 and summary["outcomes"] == {"unknown-user": 15}
    node.request_journal.record(_refused("127.0.0.9", "again"))
    assert m.events(device="node01", operation="rmcpplus.rakp1", user="again")  # a new window, a new budget
