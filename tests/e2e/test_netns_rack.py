"""``mode: netns``: the rack in its own network namespace, reached from the system under test's namespace.

The test makes a namespace standing for RackHD's host (``vrt-e2e-sut``); the rack joins it through its
uplink veths; ipmitool and net-snmp run inside it as RackHD would.  Stopping the rack, or a crash
followed by ``vrack cleanup``, leaves no namespace and no veth behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import run
from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.rack_process import ROOT, RackProcess

pytestmark = pytest.mark.e2e

SUT = "vrt-e2e-sut"
SPEC = """\
rack: vrt-e2e
mode: netns
netns: {uplink: "netns:vrt-e2e-sut"}
networks: {management: 10.233.0.0/24, provisioning: 10.233.128.0/24}
devices:
  - {name: "n{n}", kind: compute, count: 2}
  - {name: pdu1, kind: pdu, outlets: 4}
power:
  - {outlet: pdu1/1, to: n1/psu1}
"""


def netns_list() -> str:
    return run(["ip", "netns", "list"]).ok().stdout


def in_sut(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60, check=False)


def vrack(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(state), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


@pytest.fixture
def sut(tmp_path: Path) -> Iterator[str]:
    add_namespace(SUT)
    try:
        yield SUT
    finally:
        remove_namespace(SUT)
        for state in tmp_path.glob("state*"):
            vrack(state, "cleanup")


def test_netns_rack_is_reached_from_the_uplink_namespace_and_leaves_nothing(sut: str, tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", "vrt-e2e").start()
    try:
        assert "vrack-vrt-e2e" in netns_list()
        out = in_sut("ipmitool", "-I", "lanplus", "-H", "10.233.0.2", "-U", "admin", "-P", "admin", "lan", "print")
        assert out.returncode == 0, out.stderr
        assert "IP Address              : 10.233.0.2" in out.stdout
        snmp = in_sut("snmpget", "-v2c", "-c", "public", "-Oqv", "10.233.0.4", "1.3.6.1.2.1.1.1.0")
        assert snmp.returncode == 0 and "Sentry" in snmp.stdout
        # the root namespace has no route into the rack
        assert (
            run(
                [
                    "ipmitool",
                    "-I",
                    "lanplus",
                    "-H",
                    "10.233.0.2",
                    "-U",
                    "admin",
                    "-P",
                    "admin",
                    "-R",
                    "1",
                    "-N",
                    "1",
                    "mc",
                    "info",
                ]
            ).returncode
            != 0
        )
    finally:
        assert rack.stop() == 0, rack.output()
    assert "vrack-vrt-e2e" not in netns_list()
    assert "vr" not in run(["ip", "-n", SUT, "-o", "link", "show", "type", "veth"]).stdout


def test_cleanup_after_a_crash_removes_the_rack_network(sut: str, tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", "vrt-e2e").start()
    rack.stop(signal.SIGKILL)
    assert "vrack-vrt-e2e" in netns_list()  # a crash leaves it behind ...
    result = subprocess.run(
        [sys.executable, "-m", "vrack", "--state-dir", str(tmp_path / "state"), "cleanup"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "removed rack network vrack-vrt-e2e" in result.stdout
    assert "removed stale control file of rack vrt-e2e" in result.stdout
    assert "vrack-vrt-e2e" not in netns_list()  # ... and cleanup removes it


def test_cleanup_keeps_to_the_state_dirs_racks_unless_all(sut: str, tmp_path: Path) -> None:
    """`vrack cleanup` removes what the crashed racks of its state dir left (or of `--rack NAME`), never
    another state dir's; `--all` sweeps every stale vrack network on the host."""
    racks = {}
    for name, octet in [("wire-cla", 1), ("wire-clb", 3)]:
        spec = tmp_path / f"{name}.yaml"
        spec.write_text(
            f'rack: {name}\nmode: netns\nnetns: {{uplink: "netns:{SUT}"}}\n'
            f"networks: {{management: 10.164.{octet}.0/24, provisioning: 10.164.{octet + 1}.0/24}}\n"
            "devices:\n  - {name: n1, kind: compute}\n"
        )
        racks[name] = RackProcess(spec, tmp_path / f"state-{name}", name).start()
        racks[name].stop(signal.SIGKILL)
    state_a, state_b = tmp_path / "state-wire-cla", tmp_path / "state-wire-clb"
    assert {"vrack-wire-cla", "vrack-wire-clb"} <= set(netns_list().split())

    other = vrack(state_b, "cleanup", "--rack", "wire-cla")
    assert other.returncode == 0 and other.stdout == "nothing to clean up for rack wire-cla\n"
    assert "vrack-wire-cla" in netns_list()  # another state dir's rack: not touched

    own = vrack(state_a, "cleanup")
    assert own.returncode == 0, own.stderr
    assert own.stdout.splitlines() == [
        "removed rack network vrack-wire-cla",
        "removed stale control file of rack wire-cla",
    ]
    assert "vrack-wire-cla" not in netns_list() and "vrack-wire-clb" in netns_list()

    sweep = vrack(state_a, "cleanup", "--all")
    assert "removed rack network vrack-wire-clb" in sweep.stdout and "vrack-wire-clb" not in netns_list()
    assert racks["wire-clb"].control_file.exists()  # B's own control file is B's state dir's business
    assert vrack(state_b, "cleanup").stdout == "removed stale control file of rack wire-clb\n"

    bad = vrack(state_b, "cleanup", "--rack", "../etc")
    assert bad.returncode == 2 and "'../etc' is not a rack name" in bad.stderr
