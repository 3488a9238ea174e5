"""The PXE benchmark's logic without a network: the boot-event tracker, the report and goals, the host-limits
context manager (on a fake /proc/sys) and the boot files (node DHCP framing: tests/node_sim/test_packet.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import pxe_report
from bench.pxe_net import BOOTFILE_SIZE, SCRIPT_MARKER, bootfile_bytes, host_tuning, host_tuning_values, ipxe_script
from bench.pxe_track import Tracker
from node_sim.bootlog import BootEvent

UNSUPPORTED = "unsupported network bootstrap program 'pxelinux.0'"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def feed(tracker: Tracker, clock: FakeClock, at: float, node: str, event: str, **fields: Any) -> None:
    clock.now = 100.0 + at
    tracker(BootEvent(clock.now, node, event, fields))


def boot(tracker: Tracker, clock: FakeClock, node: str, ack: float, done: float, *, retx: int = 0) -> None:
    feed(tracker, clock, 0.0, node, "dhcp.discover", mode="pxe")
    feed(tracker, clock, ack - 0.01, node, "dhcp.request")
    feed(tracker, clock, ack, node, "dhcp.ack", address="10.235.17.1")
    feed(tracker, clock, done, node, "tftp.fetch", ok=True, retransmits=retx, size=65536)
    feed(tracker, clock, done, node, "boot.outcome", kind="failed", reason=UNSUPPORTED)


def test_tracker_fires_all_done_once_after_the_last_boot_file_and_summarises() -> None:
    clock, done, ended = FakeClock(), Calls(), Calls()
    tracker = Tracker(["a", "b", "c"], done, ended, clock=clock)
    tracker.start()
    boot(tracker, clock, "a", 0.5, 1.0)
    boot(tracker, clock, "b", 0.7, 2.0, retx=3)
    assert (done.count, ended.count) == (0, 0)
    boot(tracker, clock, "c", 0.9, 4.0)
    assert (done.count, ended.count) == (1, 1)
    feed(tracker, clock, 5.0, "c", "tftp.fetch", ok=True, retransmits=0)  # a second fetch is not a second node
    assert done.count == 1
    summary = tracker.summary()
    assert summary["done"] == 3 and summary["not_done"] == 0
    assert summary["all_done_s"] == pytest.approx(4.0) and summary["boots_per_s"] == pytest.approx(0.8)
    assert summary["ack_p50_s"] == pytest.approx(0.7) and summary["ack_max_s"] == pytest.approx(0.9)
    assert summary["done_p50_s"] == pytest.approx(2.0) and summary["done_p90_s"] == pytest.approx(4.0)
    assert summary["tftp_retransmits"] == 3 and summary["nodes_with_tftp_retransmits"] == 1
    assert summary["dhcp_retransmits"] == 0 and summary["outcomes"] == {"expected": 3}
    assert summary["done_within_60s"] == 3


def test_tracker_counts_retransmissions_failures_and_ignores_strangers() -> None:
    clock, done, ended = FakeClock(), Calls(), Calls()
    tracker = Tracker(["a", "b"], done, ended, clock=clock)
    tracker.start()
    for at in (0.0, 4.0, 12.0):  # two DISCOVER retransmissions
        feed(tracker, clock, at, "a", "dhcp.discover")
    feed(tracker, clock, 12.1, "a", "dhcp.request")
    feed(tracker, clock, 12.2, "a", "dhcp.ack")
    feed(tracker, clock, 18.0, "a", "tftp.fetch", ok=False, retransmits=5, error="timeout")
    feed(tracker, clock, 18.0, "a", "boot.outcome", kind="failed", reason="PXE-E32: TFTP open timeout")
    feed(tracker, clock, 1.0, "stranger", "tftp.fetch", ok=True, retransmits=9)
    assert ended.count == 0
    for at in (0.0, 4.0, 12.0, 28.0):
        feed(tracker, clock, at, "b", "dhcp.discover")
    feed(tracker, clock, 60.0, "b", "dhcp.failed", code="PXE-E51")
    feed(tracker, clock, 60.0, "b", "boot.outcome", kind="failed", reason="PXE-E51: no offers")
    assert (done.count, ended.count) == (0, 1)
    summary = tracker.summary()
    assert summary["done"] == 0 and summary["not_done"] == 2 and summary["all_done_s"] is None
    assert summary["boots_per_s"] is None and summary["done_within_60s"] == 0
    assert summary["dhcp_retransmits"] == 2 + 3 and summary["nodes_with_dhcp_retransmits"] == 2
    assert summary["tftp_failures"] == 1 and summary["dhcp_failures"] == 1 and summary["tftp_retransmits"] == 5
    assert summary["outcomes"] == {"failed: PXE-E32: TFTP open timeout": 1, "failed: PXE-E51: no offers": 1}


def sim_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "sim", "variant": "netns", "nodes": 1000, "host_tuning": None, "done": 1000, "not_done": 0,
        "done_within_60s": 1000, "all_done_s": 40.0, "boots_per_s": 25.0, "ack_p50_s": 10.0, "ack_max_s": 30.0,
        "done_p50_s": 12.0, "done_max_s": 40.0, "dhcp_retransmits": 7, "tftp_retransmits": 3, "sim_cpu_s": 9.0,
        "dnsmasq_cpu_s": 4.0, "other_cpu_util": 0.1, "rss_before_nodes_kib": 36000, "rss_after_nodes_kib": 37000,
        "rss_after_boot_kib": 70000, "rss_peak_kib": 72000, "kib_per_node_created": 1.0, "kib_per_node_booted": 34.0,
        "kib_per_node_peak": 36.0, "kib_per_node_retained": 12.0, "kernel_veth_kib_per_node": 98.0,
    }  # fmt: skip
    row.update(changes)
    return row


VM_ROW = {
    "kind": "vm", "variant": "libvirt-tcg", "nodes": 1, "done": 1, "not_done": 0, "ack_s": 5.0,
    "tftp_sent_s": 5.0, "boots_per_s": 0.2, "qemu_cpu_s": 3.0, "qemu_rss_kib": 45000, "qemu_pss_kib": 40000,
    "qemu_peak_rss_kib": 46000, "libvirtd_rss_kib": 25000,
}  # fmt: skip


def test_goals_judge_vrack_as_it_is_and_mark_what_ifs() -> None:
    rows = [
        sim_row(),
        sim_row(all_done_s=None, not_done=67, done=933, done_max_s=81.0),
        sim_row(variant="udp", host_tuning={"net.core.netdev_max_backlog": [1000, 10000]}, all_done_s=11.0),
        sim_row(kib_per_node_peak=195.4),  # 200.1 kB: over the 200 kB goal
        {"kind": "sim", "variant": "netns", "nodes": 1000, "error": "exit 1: boom"},
        sim_row(nodes=100),  # not judged
    ]
    lines = pxe_report.goals(rows)
    assert lines[0].startswith("- vrack sim: 1,000 nodes") and ": met (all done after 40.0 s" in lines[0]
    assert ": met (process 36.9 kB per node" in lines[1] and "the kernel adds 100.4 kB" in lines[1]
    assert ": MISSED (67 nodes never got the file" in lines[2]
    assert "what-if: udp DHCP + host limits (what-if, not vrack as it is)" in lines[4] and ": met" in lines[4]
    assert ": MISSED (process 200.1 kB" in lines[7]
    assert lines[8] == "- vrack sim: run FAILED (exit 1: boom)"
    assert len(lines) == 9
    assert pxe_report.goals([sim_row(nodes=10)]) == ["- no run with 1,000 nodes: goals not judged"]


def test_tables_keep_their_columns_and_ratios_use_the_vm() -> None:
    rows = [
        sim_row(),
        sim_row(not_done=1, done=999, all_done_s=None),
        dict(VM_ROW),
        {"kind": "vm", "nodes": 1, "error": "busy"},
    ]
    tables = [pxe_report.boot_table, pxe_report.memory_table, pxe_report.ratio_table, pxe_report.drop_table]
    for table in (make(rows) for make in tables):
        widths = {line.count("|") for line in table}
        assert len(widths) == 1, table
    boot = pxe_report.boot_table(rows)
    assert "| vrack sim | 1000 | 999 | 1000 | 40.00 (not all) |" in boot[3]
    assert boot[5].startswith("| VM (libvirt, TCG) | 1 | FAILED: busy |")
    ratios = pxe_report.ratio_table(rows)
    assert "| vrack sim | 1000 | 125x | 0.0008x | 0.0030x | 1250 |" in ratios
    assert "125x (999 of 1000 done)" in ratios[3]
    assert pxe_report.ratio_table([sim_row()])[-1].startswith("| (no VM row")
    drops = pxe_report.drop_table([sim_row(uplink_udp_rcvbuferrors=12, rack_udp_rcvbuferrors=3, softnet_dropped=0)])
    assert drops[-1] == "| vrack sim | 1000 | 12 | 3 | 0 | n/a |"


def test_host_tuning_raises_only_and_puts_back_what_it_changed(tmp_path: Path) -> None:
    values = host_tuning_values(1000)
    for key, current in zip(values, (1000, 100_000, 1024), strict=True):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text(f"{current}\n")
    backlog, thresh2, thresh3 = values
    with host_tuning(1000, root=tmp_path) as changed:
        assert changed == {backlog: (1000, 10_000), thresh3: (1024, 8000)}  # thresh2 is already higher
        assert (tmp_path / backlog).read_text() == "10000" and (tmp_path / thresh2).read_text() == "100000\n"
        (tmp_path / thresh3).write_text("50000")  # someone else changed it meanwhile: theirs stays
    assert (tmp_path / backlog).read_text() == "1000"
    assert (tmp_path / thresh3).read_text() == "50000"
    with pytest.raises(RuntimeError), host_tuning(1000, root=tmp_path):
        assert (tmp_path / backlog).read_text() == "10000"
        raise RuntimeError("the benchmark failed")
    assert (tmp_path / backlog).read_text() == "1000"


def test_boot_files_have_the_realistic_size_and_the_script_ends_with_the_marker() -> None:
    nbp, script = bootfile_bytes(), ipxe_script()
    assert len(nbp) == len(script) == BOOTFILE_SIZE
    assert nbp == bootfile_bytes() and not nbp.startswith(b"#!ipxe")  # deterministic, not a script
    assert script.startswith(b"#!ipxe\n") and script.decode().splitlines()[-2] == f"echo {SCRIPT_MARKER}"
    assert all(line.startswith("#") or not line for line in script.decode().splitlines()[1:-2])
