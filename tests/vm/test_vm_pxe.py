"""A real VM node (libvirt + QEMU TCG) PXE-boots from dnsmasq on the rack's provisioning bridge.

libvirtd runs inside the rack namespace (started by hand, as in CI), dnsmasq serves DHCP + TFTP on
``prov0``; the test waits (with deadlines) for dnsmasq's DHCPACK for the VM's MAC, then the TFTP
``sent`` line, then the boot script's marker on the VM's serial console.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from tests.support.waiting import wait_for
from tests.vm.dnsmasq import Dnsmasq
from vrack.netns import RackNetwork
from vrack.nodes.libvirtd import LibvirtDaemon
from vrack.nodes.vm import VmNode

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAC = "52:54:00:e8:50:01"
MARKER = "vrack-pxe-script-ran"
BOOT_DEADLINE_S = 90.0


@dataclass
class VmRack:
    net: RackNetwork
    libvirtd: LibvirtDaemon
    dnsmasq: Dnsmasq
    workdir: Path
    timings: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def vm_rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VmRack]:
    """Uplink namespace + rack network + libvirtd inside it + dnsmasq on prov0; all removed afterwards."""
    workdir = tmp_path_factory.mktemp("vmrack")
    uplink = "vrt-ns-vmup"
    subprocess.run(["ip", "netns", "del", uplink], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", uplink], check=True)
    net = RackNetwork(
        "vm",
        ipaddress.IPv4Network("10.232.50.0/25"),
        ipaddress.IPv4Network("10.232.50.128/25"),
        f"netns:{uplink}",
        prefix="vrt-ns-",
        state_dir=workdir / "state",
    )
    libvirtd = LibvirtDaemon(netns=net.netns, run_dir=workdir / "libvirt")
    dnsmasq = Dnsmasq(net.netns, "prov0", ("10.232.50.200", "10.232.50.250"), workdir)
    try:
        net.destroy()
        net.create()
        net.add_address("prov0", ipaddress.IPv6Interface("fd00:232:50::fe/64"))
        rack = VmRack(net, libvirtd, dnsmasq, workdir)
        rack.timings["libvirtd_start_s"] = libvirtd.start()
        dnsmasq.start()
        (dnsmasq.tftp_root / "boot.ipxe").write_text(f"#!ipxe\necho {MARKER}\nprompt --timeout 60000 done\n")
        yield rack
    finally:
        dnsmasq.stop()
        libvirtd.stop()
        net.destroy()
        subprocess.run(["ip", "netns", "del", uplink], capture_output=True, check=False)
        print("vm timings:", {k: round(v, 3) for k, v in sorted(getattr(rack, "timings", {}).items())})


def _wait_for_text(path: Path, needle: str, timeout: float) -> None:
    wait_for(
        lambda: needle in (path.read_text(errors="replace") if path.exists() else ""),
        timeout,
        f"{needle!r} in {path}",
        interval=0.1,
    )


@pytest_twisted.inlineCallbacks
def test_vm_node_pxe_boots_from_dnsmasq_on_prov0(
    vm_rack: VmRack, record_property: Callable[[str, object], None]
) -> Generator[Deferred[Any], Any, None]:
    """power_on(pxe) -> DHCPDISCOVER/DHCPACK for the VM's MAC -> TFTP of boot.ipxe -> the script's echo on
    the serial console; power_off destroys; undefine removes the definition."""
    serial = vm_rack.workdir / "serial-pxe1.log"
    from twisted.internet import reactor

    node = VmNode("vrt-vm-pxe1", [MAC], "pxe", bridge="prov0", serial_log=serial, reactor=reactor)
    dnsmasq, timings = vm_rack.dnsmasq, vm_rack.timings
    try:
        yield node.undefine()  # a definition left by an earlier, killed run
        mark = time.monotonic()
        yield node.define()
        timings["define_s"] = time.monotonic() - mark
        assert (yield node.state()) == "off"
        mark = time.monotonic()
        yield node.power_on("pxe")
        started = time.monotonic()
        timings["power_on_s"] = started - mark
        assert (yield node.state()) == "on"
        seen = yield deferToThread(dnsmasq.wait_for, f"DHCPDISCOVER(prov0) {MAC}", BOOT_DEADLINE_S)
        timings["first_dhcpdiscover_s"] = seen - started
        ack_pattern = rf"DHCPACK\(prov0\) (10\.232\.50\.\d+) {MAC}"
        seen = yield deferToThread(dnsmasq.wait_for_pattern, ack_pattern, BOOT_DEADLINE_S)
        timings["dhcpack_s"] = seen - started
        ack = re.search(ack_pattern, dnsmasq.text())
        assert ack is not None
        leased = ack.group(1)
        seen = yield deferToThread(dnsmasq.wait_for, f"/boot.ipxe to {leased}", BOOT_DEADLINE_S)
        timings["tftp_sent_s"] = seen - started
        assert re.search(rf"sent \S+/boot\.ipxe to {re.escape(leased)}", dnsmasq.text())
        yield deferToThread(_wait_for_text, serial, MARKER, BOOT_DEADLINE_S)
        console = serial.read_text(errors="replace")
        assert "iPXE" in console and MAC in console and leased in console
        mark = time.monotonic()
        yield node.power_off()
        timings["destroy_s"] = time.monotonic() - mark
        assert (yield node.state()) == "off"
    finally:
        yield node.undefine()
    assert (yield node.state()) == "undefined"
    yield node.close()
    for key, value in timings.items():
        record_property(key, round(value, 3))
