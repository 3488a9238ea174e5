"""N simulated nodes PXE-booting at once against dnsmasq, in ONE process on the asyncio reactor (as a rack runs them).

    sudo python -m bench.pxe_sim --nodes 1000          # prints one JSON object (the row pxe_run tabulates)

Each node is a :class:`node_sim.netboot.NetbootNode` with one NIC: a veth made by
:meth:`vrack.netns.RackNetwork.node_interfaces` on the rack's ``prov0`` bridge (see
:mod:`bench.pxe_net`), sockets through :class:`node_sim.transport.NetnsIO`.  dnsmasq hands the PXE ROM
``pxelinux.0`` (64 KiB): the node DHCPs (DISCOVER/OFFER/REQUEST/ACK), puts the lease on its NIC, TFTPs
the file (blksize 1432, 46 blocks) and then stops, because a non-iPXE program is not run
(outcome ``failed``: "unsupported network bootstrap program").  A node counts as **done** when its
observer sees the successful ``tftp.fetch`` of the boot file: the measurement is "through DHCP and
TFTP".

All N nodes are powered on in the same reactor turn.  Measured: seconds until the last node is done
(and percentiles of time to DHCPACK and to TFTP done), boots/s, DHCP retransmissions, TFTP
retransmissions and failures, the CPU seconds of this process and of dnsmasq over that window, the
process RSS before and after the nodes are created and after they booted (and the peak during the
boot, ``VmHWM`` reset just before power-on), and the kernel's ``Slab`` and ``Percpu`` growth from
``/proc/meminfo`` for the veths and for the boot (machine-wide: other work on the machine shows up
there).  dnsmasq's log must show one ``sent .../pxelinux.0`` per done node.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procinfo import cpu_seconds, load_average, machine_cpu_seconds, rss_kib
from bench.pxe_net import (
    DEFAULT_TFTP_MAX,
    SIM_BOOTFILE,
    PxeNetwork,
    arp_cache_stats,
    host_tuning,
    softnet_dropped,
    sweep_stale,
)
from bench.pxe_track import Tracker

IO_VARIANTS = ("netns", "udp")
SETTLE_S = 0.3  # after the last node: let closed UDP ports finish closing before memory is read


def meminfo_kib() -> dict[str, int]:
    """``/proc/meminfo`` in KiB (Slab, SUnreclaim, Percpu, MemAvailable, ...)."""
    values: dict[str, int] = {}
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            fields = rest.split()
            if fields:
                values[key] = int(fields[0])
    return values


def _status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _trimmed_rss() -> int:
    """RSS after glibc returned freed heap to the kernel (``malloc_trim(0)``): what the nodes keep."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return _status_kib("VmRSS")


def reset_peak_rss() -> None:
    """Reset this process's ``VmHWM`` to its current RSS (``clear_refs`` 5, Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")


def node_mac(index: int) -> str:
    return f"52:54:00:eb:{index >> 8 & 0xFF:02x}:{index & 0xFF:02x}"


def node_uuid(index: int) -> str:
    return f"4c4c4544-0235-1000-8000-{index:012x}"


def install_asyncio_reactor() -> Any:
    """Twisted's asyncio reactor on a new loop (the reactor vrack runs on); return the reactor."""
    import asyncio

    from twisted.internet import asyncioreactor

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)
    from twisted.internet import reactor

    return reactor


def run_sim(
    reactor: Any,
    count: int,
    workdir: Path,
    *,
    deadline_s: float,
    tftp_max: int = DEFAULT_TFTP_MAX,
    io_variant: str = "netns",
) -> dict[str, Any]:
    """Build the network, boot ``count`` nodes at once, measure; always tears the network down.

    Runs ``reactor`` (which must not have run yet) for the boot phase only: until every node has an
    outcome, or ``deadline_s`` after power-on.  ``io_variant`` is ``netns`` (node_sim's NetnsIO as the rack
    runs it: DHCP on packet sockets, :mod:`node_sim.packet`) or ``udp`` (the what-if of one UDP socket
    on ``0.0.0.0:68`` per NIC, NetnsIO with ``packet_dhcp=False``).
    """
    if count < 1:
        raise ValueError("need at least one node")
    if io_variant not in IO_VARIANTS:
        raise ValueError(f"io_variant must be one of {', '.join(IO_VARIANTS)}")
    from node_sim.netboot import NetbootNode
    from node_sim.netboot_types import NicConfig

    row: dict[str, Any] = {"kind": "sim", "variant": io_variant, "nodes": count, "tftp_max": tftp_max}
    row["loadavg_start"] = load_average()
    sweep_stale()
    net = PxeNetwork("s", workdir, tftp_max=tftp_max)
    row["namespaces"] = [net.netns, net.uplink_netns]
    nodes: list[Any] = []
    try:
        mark = time.monotonic()
        net.create()
        dnsmasq_pid = net.start_dnsmasq()
        row["network_s"] = round(time.monotonic() - mark, 3)
        gc.collect()
        rss_before = _trimmed_rss()  # the same allocator state as the "retained" reading after the boot
        mem_before = meminfo_kib()
        names = [f"n{i:04d}" for i in range(count)]
        macs = [node_mac(i) for i in range(count)]
        mark = time.monotonic()
        ifnames = net.add_nodes([(name, "eth0", mac) for name, mac in zip(names, macs, strict=True)])
        row["veths_s"] = round(time.monotonic() - mark, 3)
        row["veths_up_s"] = round(net.wait_operstate_up(ifnames), 3)
        mem_veths = meminfo_kib()

        window: dict[str, tuple[float, float, float, float]] = {}
        deadline = reactor.callLater(deadline_s, reactor.stop)

        def all_done() -> None:
            window["stop"] = _cpu_now(dnsmasq_pid)

        def all_ended() -> None:
            if deadline.active():
                deadline.cancel()
            reactor.callLater(SETTLE_S, reactor.stop)

        tracker = Tracker(names, all_done, all_ended)
        io = _make_io(io_variant, reactor, net.netns, dict(zip(ifnames, macs, strict=True)))
        nodes = [
            NetbootNode([NicConfig(mac, ifname)], node_uuid(i), reactor, io, tracker, name=name)
            for i, (name, mac, ifname) in enumerate(zip(names, macs, ifnames, strict=True))
        ]
        gc.collect()
        rss_nodes = _status_kib("VmRSS")

        def power_on() -> None:
            reset_peak_rss()
            window["start"] = _cpu_now(dnsmasq_pid)
            tracker.start()
            for node in nodes:
                node.boot("pxe")
            row["power_on_turn_s"] = round(time.perf_counter() - tracker.started, 3)

        udp_before, softnet_before, arp_before = net.udp_counters(), softnet_dropped(), arp_cache_stats()
        reactor.callWhenRunning(power_on)
        reactor.run()
        signal.signal(signal.SIGTERM, _terminate)  # the reactor had its own handler while it ran
        if "stop" not in window:  # not every node got its boot file: the window ends now
            window["stop"] = _cpu_now(dnsmasq_pid)

        booting = [node for node in nodes if node.booting]
        for node in booting:
            node.cancel()
        rss_booted = _status_kib("VmRSS")
        rss_peak = max(_status_kib("VmHWM"), rss_booted)
        gc.collect()
        rss_retained = _trimmed_rss()
        mem_booted = meminfo_kib()
        row.update(tracker.summary())
        arp_after = arp_cache_stats()
        row.update(_drops(udp_before, net.udp_counters()), softnet_dropped=softnet_dropped() - softnet_before)
        row.update({f"arp_{key}": arp_after[key] - arp_before[key] for key in ("table_fulls", "res_failed")})
        row.update(deadline_s=deadline_s, cancelled_at_deadline=len(booting))
        if "start" in window:
            row.update(_cpu_window(window["start"], window["stop"]))
        row.update(
            rss_before_nodes_kib=rss_before,
            rss_after_nodes_kib=rss_nodes,
            rss_after_boot_kib=rss_booted,
            rss_peak_kib=rss_peak,
            rss_retained_kib=rss_retained,
            kib_per_node_created=round((rss_nodes - rss_before) / count, 1),
            kib_per_node_booted=round((rss_booted - rss_before) / count, 1),
            kib_per_node_peak=round((rss_peak - rss_before) / count, 1),
            kib_per_node_retained=round((rss_retained - rss_before) / count, 1),
            kernel_slab_veths_kib=mem_veths["Slab"] - mem_before["Slab"],
            kernel_percpu_veths_kib=mem_veths.get("Percpu", 0) - mem_before.get("Percpu", 0),
            kernel_slab_boot_kib=mem_booted["Slab"] - mem_veths["Slab"],
        )
        row["kernel_veth_kib_per_node"] = round(
            (row["kernel_slab_veths_kib"] + row["kernel_percpu_veths_kib"]) / count, 1
        )
        row["dnsmasq_sent"] = _wait_count(lambda: net.sent_count(SIM_BOOTFILE), row["done"], 5.0)
        row["dnsmasq_acks"] = net.ack_count()
    finally:
        for node in nodes:
            if node.booting:
                node.cancel()
        net.close()
    return row


def _drops(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, int]:
    """Datagrams the kernel dropped for a full socket buffer during the boot, on each side."""
    return {
        f"{side}_udp_{key.lower()}": after[side].get(key, 0) - before[side].get(key, 0)
        for side in ("uplink", "rack")
        for key in ("RcvbufErrors", "InErrors", "NoPorts")
    }


def _make_io(variant: str, reactor: Any, netns: str, macs: dict[str, str]) -> Any:
    from node_sim.transport import NetnsIO

    return NetnsIO(reactor, netns, packet_dhcp=variant != "udp")


def _cpu_now(dnsmasq_pid: int) -> tuple[float, float, float, float]:
    """(wall, this process's CPU s, dnsmasq's CPU s, machine busy CPU s)."""
    times = os.times()
    return time.perf_counter(), times.user + times.system, cpu_seconds(dnsmasq_pid) or 0.0, machine_cpu_seconds()[0]


def _cpu_window(start: tuple[float, float, float, float], stop: tuple[float, float, float, float]) -> dict[str, float]:
    wall = max(stop[0] - start[0], 1e-9)
    sim, dnsmasq, busy = stop[1] - start[1], stop[2] - start[2], stop[3] - start[3]
    return {
        "sim_cpu_s": round(sim, 2),
        "dnsmasq_cpu_s": round(dnsmasq, 2),
        "sim_cpu_util": round(sim / wall, 2),
        "dnsmasq_cpu_util": round(dnsmasq / wall, 2),
        "other_cpu_util": round(max(0.0, busy - sim - dnsmasq) / wall, 2),
    }


def _wait_count(count: Any, want: int, timeout: float) -> int:
    """Poll ``count()`` until it reaches ``want`` (dnsmasq logs a transfer after its last ACK) or ``timeout``."""
    deadline = time.monotonic() + timeout
    value = int(count())
    while value < want and time.monotonic() < deadline:
        time.sleep(0.05)
        value = int(count())
    return value


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="N simulated nodes PXE-boot at once against dnsmasq (one process)")
    parser.add_argument("--nodes", type=int, default=100, help="simulated nodes (N)")
    parser.add_argument("--deadline", type=float, default=120.0, help="give up on nodes not done after this many s")
    parser.add_argument("--tftp-max", type=int, default=DEFAULT_TFTP_MAX, help="dnsmasq --tftp-max")
    parser.add_argument("--io", choices=IO_VARIANTS, default="netns", help="node DHCP: as the rack, or udp sockets")
    parser.add_argument(
        "--host-tuning", action="store_true", help="raise netdev_max_backlog and the ARP table limits for the run"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="dnsmasq log, leases and TFTP root (default: temp)")
    args = parser.parse_args(argv)
    if not 1 <= args.nodes <= 3000:
        parser.error("--nodes must be 1..3000 (the DHCP range holds 3,584 addresses)")
    if os.geteuid() != 0:
        parser.error("run as root: the benchmark creates network namespaces and veths")
    signal.signal(signal.SIGTERM, _terminate)
    reactor = install_asyncio_reactor()
    tuning: contextlib.AbstractContextManager[dict[str, tuple[int, int]]] = (
        host_tuning(args.nodes) if args.host_tuning else contextlib.nullcontext({})
    )
    with tempfile.TemporaryDirectory(prefix="vrack-pxe-sim-") as tmp, tuning as tuned:
        workdir = args.workdir or Path(tmp)
        row = run_sim(
            reactor, args.nodes, workdir, deadline_s=args.deadline, tftp_max=args.tftp_max, io_variant=args.io
        )
    row["host_tuning"] = {key.replace("/", "."): values for key, values in tuned.items()} if args.host_tuning else None
    row["rss_exit_kib"] = rss_kib(os.getpid())
    print(json.dumps(row), flush=True)
    return 0 if row["not_done"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
