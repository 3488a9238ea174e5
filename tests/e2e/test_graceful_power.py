"""Redfish GracefulRestart / GracefulShutdown on a simulated node (netns mode): an OS that runs takes the ACPI
request (it reboots with power kept on, or shuts down); with no OS (a node that booted to a disk with nothing on
it) the request changes nothing, as on a real server sitting in firmware.  IPMI ``chassis power soft`` is the same
ACPI request.  A real dnsmasq on the provisioning uplink boots the node's kernel over PXE.

Namespaces ``vrt-acpi-sut`` (the SUT) and ``vrack-acpi``, 10.245.0.0/24 and 10.245.1.0/24.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.privileges import require_root, require_tools
from tests.support.pxe_lab import pxe_lab
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
SUT, RACK = "vrt-acpi-sut", "acpi"
MANAGEMENT, PROVISIONING = ipaddress.IPv4Network("10.245.0.0/24"), ipaddress.IPv4Network("10.245.1.0/24")
SERVER = "10.245.1.1"
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: n1, kind: compute, model: generic, post_seconds: 0, bmc: {{boot_time: 0}}}}
"""
SYSTEM = "/redfish/v1/Systems/1"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[RackProcess, Path]]:
    require_root("network namespaces and DHCP need root")
    require_tools("dnsmasq", "ipmitool", "curl")
    files = {
        "boot.ipxe": f"#!ipxe\nkernel tftp://{SERVER}/vmlinuz console=ttyS0\nboot\n".encode(),
        "vmlinuz": b"\x00kernel stand-in" * 64,
    }
    with pxe_lab(SUT, RACK, SPEC, (MANAGEMENT, PROVISIONING), tmp_path, dhcp_range=("10.245.1.100", "10.245.1.150"),
                 boot=["--dhcp-boot=boot.ipxe"], files=files) as lab:  # fmt: skip
        yield lab.rack, tmp_path / "state" / RACK / "redfish-ca.pem"


def host_events(rack: RackProcess, after: int, operation: str) -> list[dict[str, Any]]:
    return [e for e in rack.events("n1", after) if e["protocol"] == "host" and e["operation"] == operation]


def test_graceful_requests_need_an_os(lab: tuple[RackProcess, Path]) -> None:
    rack, ca = lab
    bmc = rack.api("GET", "/api/v1/devices/n1")["bmc"]["address"]

    def redfish(method: str, path: str, body: dict[str, Any] | None = None) -> int:
        argv = ["curl", "-sS", "--max-time", "20", "--cacert", str(ca), "-u", "admin:admin", "-X", method]
        argv += ["-o", "/dev/null", "-w", "%{http_code}"]
        if body is not None:
            argv += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        done = subprocess.run(
            ["ip", "netns", "exec", SUT, *argv, f"https://{bmc}{path}"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    def reset(kind: str) -> int:
        return redfish("POST", f"{SYSTEM}/Actions/ComputerSystem.Reset", {"ResetType": kind})

    def ipmitool(*args: str) -> str:
        argv = ["ip", "netns", "exec", SUT, "ipmitool", "-I", "lanplus", "-H", bmc, "-U", "admin", "-P", "admin"]
        return subprocess.run([*argv, *args], capture_output=True, text=True, check=True).stdout

    def powered() -> bool:
        return bool(rack.api("GET", "/api/v1/devices/n1")["power"])

    mark = rack.last_seq()
    assert reset("On") == 204
    wait_for(lambda: host_events(rack, mark, "os-running"), 60, "the node's OS to run", interval=0.2)

    mark = rack.last_seq()
    assert reset("GracefulRestart") == 204
    (acpi,) = wait_for(lambda: host_events(rack, mark, "acpi"), 10, "the ACPI request")
    assert (acpi["request"], acpi["handled"]) == ("restart", True)
    wait_for(lambda: host_events(rack, mark, "os-running"), 60, "the OS to come back after its reboot", interval=0.2)
    power = [e for e in rack.events("n1", mark) if e["operation"] == "host-power"]
    assert [(e["on"], e["cause"]) for e in power] == [(True, "reset")]  # power stayed on: a warm reboot
    assert "soft reset" in ipmitool("chassis", "restart_cause").lower()

    mark = rack.last_seq()
    assert reset("GracefulShutdown") == 204
    wait_for(lambda: not powered(), 15, "the OS to shut down")
    (acpi,) = host_events(rack, mark, "acpi")
    assert (acpi["request"], acpi["handled"]) == ("shutdown", True)
    serial = (ca.parent / "n1.console.log").read_text(errors="replace")
    assert "Reached target Reboot." in serial and "Reached target Power-Off." in serial

    # no OS: the node boots from an empty disk and sits in firmware; ACPI requests change nothing
    boot = {"Boot": {"BootSourceOverrideTarget": "Hdd", "BootSourceOverrideEnabled": "Once"}}
    assert redfish("PATCH", SYSTEM, boot) == 200
    mark = rack.last_seq()
    assert reset("On") == 204
    outcome = wait_for(lambda: host_events(rack, mark, "boot-outcome"), 30, "the disk boot to end")
    assert outcome[-1]["kind"] == "local"
    assert reset("GracefulShutdown") == 204
    assert "Soft" in ipmitool("chassis", "power", "soft")
    assert reset("GracefulRestart") == 204

    def three_requests() -> list[dict[str, Any]] | None:
        found = host_events(rack, mark, "acpi")
        return found if len(found) >= 3 else None

    acpi_events = wait_for(three_requests, 10, "the three ACPI requests")
    assert [(e["request"], e["handled"]) for e in acpi_events] == [
        ("shutdown", False),
        ("shutdown", False),
        ("restart", False),
    ]
    assert powered() and not [e for e in rack.events("n1", mark) if e["operation"] == "host-power" and not e["on"]]
    assert reset("ForceOff") == 204
    wait_for(lambda: not powered(), 10, "the forced power off")
