"""Redfish in ``mode: netns``: from the system under test's namespace, curl reaches a BMC's HTTPS on 443 at
the BMC's own address, trusting the rack's CA file, and a Redfish power action is what ipmitool (in the same
namespace) sees next.

Namespaces ``vrt-rf-sut`` (the SUT) and ``vrack-vrt-rf`` (the rack), addresses 10.241.0.0/24 and
10.241.128.0/24; the rack runs as a ``vrack up`` process.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.rack_process import RackProcess

pytestmark = pytest.mark.e2e

SUT = "vrt-rf-sut"
SPEC = """\
rack: vrt-rf
mode: netns
netns: {uplink: "netns:vrt-rf-sut"}
networks: {management: 10.241.0.0/24, provisioning: 10.241.128.0/24}
devices:
  - {name: n1, kind: compute, post_seconds: 0, bmc: {boot_time: 0}}
"""
BMC = "10.241.0.2"


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def sut() -> Iterator[str]:
    add_namespace(SUT)
    try:
        yield SUT
    finally:
        remove_namespace(SUT)


def test_redfish_https_is_reached_from_the_sut_namespace(sut: str, tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", "vrt-rf").start()
    try:
        ca = tmp_path / "state" / "vrt-rf" / "redfish-ca.pem"
        curl = ("curl", "-sS", "--max-time", "20", "--cacert", str(ca), "-u", "admin:admin")
        got = in_sut(*curl, f"https://{BMC}/redfish/v1/Systems/1")  # verified: the CA and the BMC's IP in its cert
        assert got.returncode == 0, got.stderr
        system = json.loads(got.stdout)
        assert system["PowerState"] == "Off" and system["HostName"] == "n1"
        reset = in_sut(
            *curl,
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Content-Type: application/json",
            "-d",
            '{"ResetType": "On"}',
            f"https://{BMC}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
        )
        assert reset.stdout == "204", (reset.stdout, reset.stderr)
        power = in_sut(
            "ipmitool", "-I", "lanplus", "-H", BMC, "-U", "admin", "-P", "admin", "chassis", "power", "status"
        )
        assert "Chassis Power is on" in power.stdout, power.stderr
    finally:
        assert rack.stop() == 0, rack.output()
