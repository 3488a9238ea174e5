"""Issue 14 finding 7: what a BMC keeps per request does not grow with the number of clients it has seen.

ipmitool opens a new UDP port for every run, so a soak gives each BMC an endless stream of new peers; a
cache keyed by peer (it once held up to 1,024 per BMC, ~280 bytes each) made the rack's memory climb for
as long as the soak ran.
"""

from __future__ import annotations

import tracemalloc

from bmc_sim.message import RequestRecord
from tests.vrack.inmemory import MemoryRack
from vrack.devices.compute import ComputeDevice

COMPOSITION = "*/vrack/devices/*"


def _ok(port: int) -> RequestRecord:
    return RequestRecord(0.0, ("127.0.0.9", port), "admin", 0, 0x00, "chassis.get_status", None, "ok", 0, "lanplus", "")


def _composition_bytes(snapshot: tracemalloc.Snapshot) -> int:
    kept = snapshot.filter_traces([tracemalloc.Filter(True, COMPOSITION)])
    return sum(stat.size for stat in kept.statistics("filename"))


def test_requests_from_hundreds_of_new_client_ports_leave_no_memory_behind() -> None:
    m = MemoryRack(window=100)
    node = m.rack.devices["node01"]
    assert isinstance(node, ComputeDevice)
    tracemalloc.start()
    try:
        for port in range(20000, 20150):  # the journal window fills: from here on it holds 100 entries
            node.request_journal.record(_ok(port))
        before = _composition_bytes(tracemalloc.take_snapshot())
        for port in range(30000, 30800):
            node.request_journal.record(_ok(port))
        after = _composition_bytes(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    assert after - before < 8 * 1024, f"{after - before} bytes kept after 800 requests from new ports"


def test_each_entry_names_its_own_peer_when_clients_alternate() -> None:
    m = MemoryRack()
    node = m.rack.devices["node01"]
    assert isinstance(node, ComputeDevice)
    for port in (40001, 40002, 40001, 40001, 40003):
        node.request_journal.record(_ok(port))
    peers = [e["peer"] for e in m.events(device="node01", operation="chassis.get_status")]
    assert peers == ["127.0.0.9:40001", "127.0.0.9:40002", "127.0.0.9:40001", "127.0.0.9:40001", "127.0.0.9:40003"]
