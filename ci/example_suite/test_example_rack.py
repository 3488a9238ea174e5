"""The example suite of ``vrack ci`` (ci/example.yaml): real IPMI clients against the cycle's fresh rack.

vrack ci starts the rack and sets ``VRACK_STATE_DIR``, so ``vrack status`` finds it; ipmitool talks to
each node's BMC where it really listens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def _status() -> dict[str, Any]:
    assert os.environ.get("VRACK_STATE_DIR"), "run by vrack ci (it sets VRACK_STATE_DIR to the cycle's rack)"
    done = subprocess.run(
        [sys.executable, "-m", "vrack", "status", "--json"], capture_output=True, text=True, timeout=60, check=True
    )
    status: dict[str, Any] = json.loads(done.stdout)
    return status


def _ipmitool(bmc: dict[str, Any], *command: str) -> str:
    port = str(bmc.get("bound_port") or bmc["port"])
    argv = ["ipmitool", "-I", "lanplus", "-H", bmc["address"], "-p", port, "-U", "admin", "-P", "admin", *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout


def _nodes() -> list[dict[str, Any]]:
    return [d for d in _status()["devices"] if d["kind"] == "compute"]


def test_rack_is_fresh() -> None:
    nodes = _nodes()
    assert [n["name"] for n in nodes] == ["node01", "node02"]
    assert not any(n["power"] for n in nodes), "a fresh rack starts with every node off"


def test_power_on_through_ipmi() -> None:
    node = _nodes()[0]
    assert "off" in _ipmitool(node["bmc"], "chassis", "power", "status")
    _ipmitool(node["bmc"], "chassis", "power", "on")
    assert "on" in _ipmitool(node["bmc"], "chassis", "power", "status")
    assert _nodes()[0]["power"] is True
