"""cleanup_stale: after the owner of a rack network is killed (-9), everything it made goes away."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.netns.conftest import TEST_PREFIX, RackFactory
from tests.netns.nstools import link_names, netns_names, uplink_namespace
from vrack.netns import RackNetwork
from vrack.netns_cleanup import cleanup_stale

OWNER = """
import ipaddress, subprocess, sys
from pathlib import Path
from vrack.netns import RackNetwork
net = RackNetwork("crashed", ipaddress.IPv4Network("10.232.40.0/25"), ipaddress.IPv4Network("10.232.40.128/25"),
                  sys.argv[1], prefix="vrt-ns-", state_dir=Path(sys.argv[2]))
net.create()
net.node_interface("node1", "eth0", "52:54:00:e8:40:01")
helper = subprocess.Popen(["ip", "netns", "exec", net.netns, "sleep", "300"])
print(helper.pid, flush=True)
sys.stdin.read()
"""


def _wait_gone(pid: int, deadline_s: float = 10.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


def test_cleanup_after_kill_9_removes_namespace_veths_and_processes(make_rack: RackFactory, tmp_path: Path) -> None:
    """The owner dies with kill -9, leaving the namespace, its host veths and a process inside;
    cleanup_stale removes all of it and leaves a network whose owner lives alone."""
    state_dir = tmp_path / "state"
    living = make_rack("living", 41)
    with uplink_namespace("vrt-ns-up6") as up:
        owner = subprocess.Popen(
            [sys.executable, "-c", OWNER, f"netns:{up}", str(state_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert owner.stdout is not None
            helper_pid = int(owner.stdout.readline())
        finally:
            os.kill(owner.pid, signal.SIGKILL)
            owner.wait()
        crashed = RackNetwork(
            "crashed",
            ipaddress.IPv4Network("10.232.40.0/25"),
            ipaddress.IPv4Network("10.232.40.128/25"),
            f"netns:{up}",
            prefix=TEST_PREFIX,
            state_dir=state_dir,
        )
        try:
            uplinks = {crashed.uplink_ifname("mgmt0"), crashed.uplink_ifname("prov0")}
            assert crashed.exists() and crashed.state_file.exists()
            assert uplinks <= link_names(up)
            assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir) == ["vrt-ns-crashed"]
            assert "vrt-ns-crashed" not in netns_names()
            assert not uplinks & link_names(up)
            assert not crashed.state_file.exists()
            assert _wait_gone(helper_pid)
            assert living.exists() and living.state_file.exists()
            assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir) == []
        finally:
            crashed.destroy()


def test_cleanup_ignores_other_prefixes_and_namespaces_without_state(tmp_path: Path) -> None:
    """A namespace that has no state file (e.g. an uplink) or another prefix's state is not touched."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "vrack-someone.json").write_text('{"netns": "vrack-someone", "owner_pid": 1, "owner_start": -1}')
    with uplink_namespace("vrt-ns-up7") as up:
        assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir) == []
        assert up in netns_names() and (state_dir / "vrack-someone.json").exists()


def _crashed(network: RackNetwork) -> None:
    """Make ``network``'s owner look gone (as after kill -9) by giving its state file another start time."""
    state = json.loads(network.state_file.read_text())
    network.state_file.write_text(json.dumps({**state, "owner_start": -1}))


def test_cleanup_keeps_to_the_racks_it_is_given(tmp_path: Path) -> None:
    """Scoped by rack directories: a network recording another state dir's rack is left alone, an older one
    without that record is matched by its rack name; no scope sweeps them all."""
    state_dir = tmp_path / "netns-state"
    mine, other = tmp_path / "mine", tmp_path / "other"
    networks = {
        rack: RackNetwork(
            rack,
            ipaddress.IPv4Network(f"10.232.{octet}.0/25"),
            ipaddress.IPv4Network(f"10.232.{octet}.128/25"),
            prefix=TEST_PREFIX,
            state_dir=state_dir,
            rack_dir=rack_dir,
        )
        for rack, octet, rack_dir in [("wa", 164, mine / "wa"), ("wb", 165, other / "wb"), ("wc", 166, None)]
    }
    try:
        for network in networks.values():
            network.destroy()
            network.create()
            _crashed(network)
        assert json.loads(networks["wa"].state_file.read_text())["rack_dir"] == str((mine / "wa").resolve())
        scope = [mine / "wa", mine / "wb", mine / "wc"]  # wb has a directory here too, but is another dir's rack
        assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir, rack_dirs=scope) == ["vrt-ns-wa", "vrt-ns-wc"]
        assert networks["wb"].exists() and not networks["wa"].exists() and not networks["wc"].exists()
        assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir, rack_dirs=[]) == []
        assert cleanup_stale(prefix=TEST_PREFIX, state_dir=state_dir) == ["vrt-ns-wb"]
        assert not networks["wb"].exists()
    finally:
        for network in networks.values():
            network.destroy()
