"""The rack's lifecycle through the CLI: up (detached), status, power, events, down; signals; bind errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import ipmitool
from tests.support.rack_process import ROOT, RackProcess

pytestmark = pytest.mark.e2e

SPEC = """\
rack: cli-rack
networks: {management: 127.13.0.0/24}
devices:
  - {name: "n{n}", kind: compute, count: 2}
"""


def vrack(state: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vrack", "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def test_detached_up_status_power_events_down(tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    state = tmp_path / "state"
    up = vrack(state, "up", "--detach", str(spec))
    assert up.returncode == 0, up.stderr + up.stdout
    try:
        status = vrack(state, "status")
        assert status.returncode == 0 and "n1" in status.stdout and "BMC 127.13.0.1:623 answering" in status.stdout
        assert vrack(state, "power", "n1", "on").stdout.strip() == "n1: power on requested; host power on"
        assert "Chassis Power is on" in ipmitool("127.13.0.1", "chassis power status").ok().stdout
        assert vrack(state, "power", "n1", "off").returncode == 0
        events = vrack(state, "events", "--device", "n1", "--json")
        operations = [json.loads(line)["operation"] for line in events.stdout.splitlines()]
        assert "power" in operations and "host-power" in operations and "chassis.get_status" in operations
        bad = vrack(state, "power", "nosuch", "on")
        assert bad.returncode == 2 and "no device named 'nosuch'" in bad.stderr  # bad input
        again = vrack(state, "up", str(spec))
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        down = vrack(state, "down")
    assert down.returncode == 0, down.stderr
    assert not (state / "cli-rack" / "control.json").exists()
    assert (state / "cli-rack" / "events.jsonl").read_text().count("\n") > 0  # the journal stays
    assert ipmitool("127.13.0.1", "chassis power status", extra="-R 1 -N 1").returncode != 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_foreground_rack_stops_cleanly_on_signal(tmp_path: Path, sig: int) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC.replace("cli-rack", "sig-rack").replace("127.13.0.0", "127.14.0.0"))
    rack = RackProcess(spec, tmp_path / "state", "sig-rack").start()
    assert rack.stop(sig) == 0, rack.output()
    assert "Traceback" not in rack.output()
    assert not rack.control_file.exists()


def test_bind_failure_names_device_and_address(tmp_path: Path) -> None:
    """A port already in use stops the start and says which device and address."""
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC.replace("cli-rack", "bind-rack").replace("127.13.0.0", "127.15.0.0"))
    holder = RackProcess(spec, tmp_path / "a", "bind-rack").start()
    try:
        second = vrack(tmp_path / "b", "up", str(spec), timeout=60)
        assert second.returncode == 1
        assert "n1" in second.stderr and "127.15.0.1" in second.stderr and "623" in second.stderr
    finally:
        assert holder.stop() == 0


def test_without_bind_privilege_the_error_says_what_to_do(tmp_path: Path) -> None:
    """Without CAP_NET_BIND_SERVICE, `vrack up` names the device and address and points at `ports:`."""
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC.replace("cli-rack", "noroot-rack").replace("127.13.0.0", "127.19.0.0"))
    result = subprocess.run(
        [
            "setpriv",
            "--bounding-set",
            "-net_bind_service",
            sys.executable,
            "-m",
            "vrack",
            "--state-dir",
            str(tmp_path / "state"),
            "up",
            str(spec),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "n1: BMC 'n1' cannot listen on 127.19.0.1:623" in result.stderr
    assert "CAP_NET_BIND_SERVICE" in result.stderr and "ports: {ipmi: 6230" in result.stderr
    assert not (tmp_path / "state" / "noroot-rack" / "control.json").exists()


def test_unprivileged_ports_from_the_spec(tmp_path: Path) -> None:
    """With `ports: {ipmi: 16230, redfish: 16443}` the rack runs without the privilege; clients pass -p."""
    spec = tmp_path / "rack.yaml"
    text = (
        SPEC.replace("cli-rack", "port-rack").replace("127.13.0.0", "127.19.1.0")
        + "ports: {ipmi: 16230, redfish: 16443}\n"
    )
    spec.write_text(text)
    proc = subprocess.Popen(
        [
            "setpriv",
            "--bounding-set",
            "-net_bind_service",
            sys.executable,
            "-m",
            "vrack",
            "--state-dir",
            str(tmp_path / "state"),
            "up",
            str(spec),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        assert "is up" in proc.stdout.readline()
        out = ipmitool("127.19.1.1", "chassis power status", extra="-p 16230").ok().stdout
        assert "Chassis Power is off" in out
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
