"""One libvirt/QEMU (TCG) VM node PXE-booting against the same dnsmasq the simulated nodes boot from.

    sudo python -m bench.pxe_vm          # prints one JSON object (the row pxe_run tabulates)

The network is :class:`bench.pxe_net.PxeNetwork` (rack namespace built by vrack.netns, dnsmasq in the
uplink namespace, same flags); libvirtd runs inside the rack namespace (a bridge interface's tap is made
in libvirtd's namespace), started by hand as ``tests/vm`` does (:class:`vrack.nodes.libvirtd.LibvirtDaemon`).
The VM is a :class:`vrack.nodes.vm.VmDomain` (256 MiB, one vCPU, TCG, virtio NIC on ``prov0``, SeaBIOS
and Debian's iPXE ROM).  Its iPXE sends DHCP option 175, so dnsmasq gives it ``boot.ipxe``: an iPXE
script of the same 64 KiB as the simulated nodes' ``pxelinux.0``, ending in an ``echo`` of a marker.

Measured as ``tests/vm/test_vm_pxe.py`` does, by polling dnsmasq's log: seconds from the power-on call
(define + start) to the first DHCPDISCOVER, the DHCPACK and the TFTP ``sent`` line for the VM's MAC and
address; then the marker on the serial console (the script that came over TFTP ran).  Memory: the
qemu process's RSS, PSS and peak RSS (``VmHWM``) when the transfer completed, and libvirtd's RSS
(shared by all VMs of a host, reported apart).  CPU: qemu's CPU seconds until then.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.procinfo import cpu_seconds, load_average, pss_kib, rss_kib, status_kib
from bench.pxe_net import IPXE_BOOTFILE, SCRIPT_MARKER, PxeNetwork, sweep_stale
from vrack.testing.waiting import wait_until as _wait_until

VM_NAME = "vrt-pxe-bench-vm"
VM_MAC = "52:54:00:ec:00:01"
QEMU_PID_DIR = Path("/run/libvirt/qemu")


class VmBenchError(Exception):
    """The VM benchmark could not run (libvirtd busy, no qemu, no DHCP or TFTP within the deadline)."""


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """:func:`vrack.testing.waiting.wait_until` raising :class:`VmBenchError`."""
    return _wait_until(condition, timeout, what, interval=interval, error=VmBenchError)


def wait_for_free_libvirtd(timeout: float) -> float:
    """Only one libvirtd can run on a host: wait until none answers (another test may use it); return s waited."""
    from vrack.nodes.libvirtd import LIBVIRT_SOCKET, socket_answers

    started = time.monotonic()
    wait_until(lambda: not socket_answers(LIBVIRT_SOCKET), timeout, "free libvirtd (another one is running)", 0.5)
    return time.monotonic() - started


def qemu_pid(name: str) -> int | None:
    """The pid of the qemu process running domain ``name`` (libvirt's pid file), or None."""
    try:
        pid = int((QEMU_PID_DIR / f"{name}.pid").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if rss_kib(pid) is not None else None


def run_vm(workdir: Path, *, deadline_s: float = 90.0, libvirtd_wait_s: float = 120.0) -> dict[str, Any]:
    """Boot one VM node by PXE and measure it (see the module docstring); always cleans up."""
    from vrack.nodes.libvirtd import LibvirtDaemon
    from vrack.nodes.vm import VmDomain, open_libvirt
    from vrack.nodes.vm_xml import VmConfig

    row: dict[str, Any] = {"kind": "vm", "variant": "libvirt-tcg", "nodes": 1, "loadavg_start": load_average()}
    sweep_stale()
    net = PxeNetwork("v", workdir)
    row["namespaces"] = [net.netns, net.uplink_netns]
    libvirtd: LibvirtDaemon | None = None
    serial = workdir / "serial.log"
    config = VmConfig(name=VM_NAME, macs=(VM_MAC,), bridge="prov0", serial_log=serial)
    domain = VmDomain(config, "pxe", "qemu:///system", open_libvirt)
    try:
        net.create()
        net.start_dnsmasq()
        row["libvirtd_wait_s"] = round(wait_for_free_libvirtd(libvirtd_wait_s), 2)
        libvirtd = LibvirtDaemon(netns=net.netns, run_dir=workdir / "libvirt")
        row["libvirtd_start_s"] = round(libvirtd.start(), 2)
        domain.undefine()  # a definition an earlier, killed run left behind

        started = time.monotonic()
        domain.power_on()
        row["power_on_call_s"] = round(time.monotonic() - started, 3)
        pid = wait_until(lambda: qemu_pid(VM_NAME), 10, "qemu process")
        cpu_at_start = cpu_seconds(pid) or 0.0

        def seen(pattern: str) -> re.Match[str] | None:
            return re.search(pattern, net.log_text())

        mac = re.escape(VM_MAC)
        wait_until(lambda: seen(rf"DHCPDISCOVER\(\S+\) {mac}"), deadline_s, "DHCPDISCOVER from the VM")
        row["discover_s"] = round(time.monotonic() - started, 2)
        ack = wait_until(lambda: seen(rf"DHCPACK\(\S+\) (\d+\.\d+\.\d+\.\d+) {mac}"), deadline_s, "DHCPACK")
        row["ack_s"] = round(time.monotonic() - started, 2)
        address = re.escape(ack.group(1))
        sent = rf"sent \S+/{re.escape(IPXE_BOOTFILE)} to {address}\b"
        wait_until(lambda: seen(sent), deadline_s, f"TFTP of {IPXE_BOOTFILE} to the VM")
        row["tftp_sent_s"] = round(time.monotonic() - started, 2)
        row["boots_per_s"] = round(1 / row["tftp_sent_s"], 3)
        row.update(
            qemu_rss_kib=rss_kib(pid),
            qemu_pss_kib=pss_kib(pid),
            qemu_peak_rss_kib=status_kib(pid, "VmHWM"),
            qemu_cpu_s=round((cpu_seconds(pid) or 0.0) - cpu_at_start, 2),
            libvirtd_rss_kib=_libvirtd_rss(libvirtd),
            guest_memory_mib=config.memory_mib,
        )
        try:
            wait_until(lambda: SCRIPT_MARKER in _text(serial), 20, "marker on the serial console")
            row["script_ran_s"] = round(time.monotonic() - started, 2)
        except VmBenchError:
            row["script_ran_s"] = None
        row["done"], row["not_done"] = 1, 0
    finally:
        try:
            domain.undefine()
            domain.close()
        finally:
            try:
                if libvirtd is not None:
                    libvirtd.stop()
            finally:
                net.close()
    return row


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _libvirtd_rss(daemon: Any) -> int | None:
    pid_file = daemon.run_dir / "libvirtd.pid"
    try:
        return rss_kib(int(pid_file.read_text(encoding="ascii").strip()))
    except (OSError, ValueError):
        return None


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one libvirt/QEMU (TCG) VM PXE-boots against dnsmasq")
    parser.add_argument("--deadline", type=float, default=90.0, help="seconds allowed for each boot step")
    parser.add_argument("--libvirtd-wait", type=float, default=120.0, help="wait this long for a busy libvirtd")
    parser.add_argument("--workdir", type=Path, default=None, help="dnsmasq and libvirt files (default: temp)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run as root: the benchmark creates network namespaces and starts libvirtd")
    signal.signal(signal.SIGTERM, _terminate)
    with tempfile.TemporaryDirectory(prefix="vrack-pxe-vm-") as tmp:
        row = run_vm(args.workdir or Path(tmp), deadline_s=args.deadline, libvirtd_wait_s=args.libvirtd_wait)
    print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
