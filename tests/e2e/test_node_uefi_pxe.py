"""netns mode: the firmware's boot mode is the PXE client architecture a simulated node shows its DHCP server.

A real dnsmasq on the provisioning uplink hands out a boot file per architecture, as sites serving both kinds of
machines do (``dhcp-match`` on option 93 = 7, x64 UEFI).  A Dell R630 whose BIOS ``BootMode`` is ``Uefi`` (the
default) PXE boots as a UEFI client (option 93 = 7, vendor class ``PXEClient:Arch:00007``) and gets the UEFI
script, whose kernel line shows iPXE's ``${platform}`` (``efi``); after ``ipmitool chassis bootdev pxe`` (a
legacy-mode override) and a reset it is a BIOS client (93 = 0, ``PXEClient:Arch:00000``) and gets the BIOS one.
dnsmasq's own log says what it saw and sent.

Namespaces ``vrt-uefi-sut`` (the SUT) and ``vrack-uefipxe`` (the rack), 10.244.0.0/24 and 10.244.1.0/24.
"""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.privileges import require_root, require_tools
from tests.support.pxe_lab import PxeLab, pxe_lab
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
SUT, RACK = "vrt-uefi-sut", "uefipxe"
MANAGEMENT, PROVISIONING = ipaddress.IPv4Network("10.244.0.0/24"), ipaddress.IPv4Network("10.244.1.0/24")
SERVER = "10.244.1.1"
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: n1, kind: compute, model: dell-r630, post_seconds: 0, bmc: {{boot_time: 0}}}}
"""
SCRIPTS = {
    "uefi.ipxe": f"#!ipxe\nkernel tftp://{SERVER}/vmlinuz-uefi platform=${{platform}}\nboot\n",
    "bios.ipxe": f"#!ipxe\nkernel tftp://{SERVER}/vmlinuz-bios platform=${{platform}}\nboot\n",
}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[PxeLab]:
    require_root("network namespaces and DHCP need root")
    require_tools("dnsmasq", "ipmitool")
    files = {name: script.encode() for name, script in SCRIPTS.items()}
    files |= {kernel: b"\x00kernel stand-in" * 64 for kernel in ("vmlinuz-uefi", "vmlinuz-bios")}
    boot = [
        "--dhcp-match=set:efi64,option:client-arch,7",
        "--dhcp-boot=tag:efi64,uefi.ipxe",
        "--dhcp-boot=tag:!efi64,bios.ipxe",
    ]
    with pxe_lab(SUT, RACK, SPEC, (MANAGEMENT, PROVISIONING), tmp_path, dhcp_range=("10.244.1.100", "10.244.1.150"),
                 boot=boot, files=files) as lab:  # fmt: skip
        yield lab


def last_kernel_boot(rack: RackProcess, after: int) -> dict[str, Any] | None:
    outcomes = [e for e in rack.events("n1", after) if e["protocol"] == "host" and e["operation"] == "boot-outcome"]
    return outcomes[-1] if outcomes and outcomes[-1].get("kind") == "kernel" else None


def test_boot_mode_decides_the_pxe_architecture_and_so_the_boot_file(lab: PxeLab) -> None:
    rack, log = lab.rack, lab.log
    bmc = rack.api("GET", "/api/v1/devices/n1")["bmc"]["address"]
    ipmi = ["ip", "netns", "exec", SUT, "ipmitool", "-I", "lanplus", "-H", bmc, "-U", "admin", "-P", "admin"]

    mark = rack.last_seq()
    rack.api("POST", "/api/v1/devices/n1/power", {"action": "on"})
    uefi = wait_for(lambda: last_kernel_boot(rack, mark), 60, "the UEFI boot to reach its kernel", interval=0.2)
    assert uefi["kernel"] == f"tftp://{SERVER}/vmlinuz-uefi" and "platform=efi" in uefi["args"], uefi
    events = rack.events("n1", mark)
    host_boot = next(e for e in events if e["protocol"] == "host" and e["operation"] == "boot")
    assert host_boot["boot_mode"] == "uefi"
    discovers = [e for e in events if e["protocol"] == "boot" and e["operation"] == "dhcp.discover"]
    assert discovers and {e["arch"] for e in discovers} == {7}
    text = log.read_text()
    assert "vendor class: PXEClient:Arch:00007:UNDI:003000" in text
    assert "bootfile-name  uefi.ipxe" in text and "/tftp/uefi.ipxe to " in text
    assert "PXEClient:Arch:00000" not in text

    assert subprocess.run([*ipmi, "chassis", "bootdev", "pxe"], capture_output=True, check=False).returncode == 0
    mark = rack.last_seq()
    assert subprocess.run([*ipmi, "chassis", "power", "reset"], capture_output=True, check=False).returncode == 0
    legacy = wait_for(lambda: last_kernel_boot(rack, mark), 60, "the legacy boot to reach its kernel", interval=0.2)
    assert legacy["kernel"] == f"tftp://{SERVER}/vmlinuz-bios" and "platform=pcbios" in legacy["args"], legacy
    discovers = [e for e in rack.events("n1", mark) if e["protocol"] == "boot" and e["operation"] == "dhcp.discover"]
    assert discovers and {e["arch"] for e in discovers} == {0}
    text = log.read_text()
    assert "vendor class: PXEClient:Arch:00000:UNDI:002001" in text
    assert "bootfile-name  bios.ipxe" in text and "/tftp/bios.ipxe to " in text
