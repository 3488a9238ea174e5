"""``vrack test rackhd`` end to end against the STAND-IN RackHD (tests/rackhd_double/northbound.py) and a real RabbitMQ.

The stand-in is not RackHD (RackHD cannot run in CI): it checks the suite's own logic on real wires: the
rack started through vrack.testing, the API calls in RackHD's shapes, graphs that drive the rack's BMCs
through ipmitool, graph.finished events on AMQP, the journal assertions, JUnit XML, the summary and the
exit code, and that a failing graph is reported with what the BMC received.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.rackhd_double.northbound import StandIn
from tests.rackhd_suite.conftest import SPECS, need_root

pytestmark = pytest.mark.e2e


def rack_spec(tmp_path: Path, name: str) -> Path:
    """The shipped rackhd-loopback rack, moved into this area's loopback range."""
    spec: dict[str, Any] = yaml.safe_load((SPECS / "rackhd-loopback.yaml").read_text())
    spec["rack"] = name
    spec["networks"]["management"] = "127.71.1.0/24"
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def vrack_test(tmp_path: Path, spec: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RACKHD_", "VRACK_"))}
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(tmp_path / "state"), "test", "rackhd", str(spec)]
    return subprocess.run(
        [*argv, "--junit", str(tmp_path / "junit.xml"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def junit_cases(path: Path) -> dict[str, ET.Element]:
    return {f"{c.get('classname')}.{c.get('name')}": c for c in ET.parse(path).getroot().iter("testcase")}


def test_smoke_and_obm_pass_with_amqp(standin: tuple[StandIn, str], tmp_path: Path) -> None:
    need_root()
    api, url = standin
    amqp = api.amqp_url or ""
    env = {"RACKHD_URL": url, "RACKHD_AMQP_URL": amqp}
    done = vrack_test(tmp_path, rack_spec(tmp_path, "rhd-e2e"), env, "--group", "smoke", "--group", "obm")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "AMQP         amqp://guest:***@127.71.0.1:25672/" in done.stdout
    lines = done.stdout.splitlines()
    assert any(line.split()[:3] == ["smoke", "5", "0"] for line in lines), done.stdout
    assert any(line.split()[:3] == ["obm", "4", "0"] for line in lines), done.stdout
    assert "9 passed, 0 failed, 0 skipped in " in done.stdout
    cases = junit_cases(tmp_path / "junit.xml")
    assert len(cases) == 9
    assert all(c.find("failure") is None and c.find("error") is None for c in cases.values())
    assert "guest" not in (tmp_path / "junit.xml").read_text() or "***" in (tmp_path / "junit.xml").read_text()
    # RackHD's side: an OBM per node (with nodeId), three power graphs per node, each ended succeeded
    assert sum(1 for m, p, s in api.requests if m == "PUT" and p.endswith("/obm") and s == 201) == 4
    graphs = sorted(w["name"] for w in api.workflows.values())
    assert graphs == sorted(["Graph.PowerOn.Node", "Graph.PowerOff.Node", "Graph.Reboot.Node"] * 4)
    assert {w["status"] for w in api.workflows.values()} == {"succeeded"}
    assert not any(
        m == "GET" and p.startswith("/api/2.0/workflows/") and p.count("/") == 4 and s == 200 and False
        for m, p, s in api.requests
    )


def test_a_failed_graph_is_reported_with_what_the_bmc_received(standin: tuple[StandIn, str], tmp_path: Path) -> None:
    need_root()
    api, url = standin
    api.fail_graphs.add("Graph.Reboot.Node")
    env = {"RACKHD_URL": url, "RACKHD_AMQP_URL": api.amqp_url or ""}
    done = vrack_test(tmp_path, rack_spec(tmp_path, "rhd-e2e-fail"), env, "--group", "obm")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "obm/test_4_reboot: (node='node01') Graph.Reboot.Node on node01 (workflow " in done.stdout
    assert "3 passed, 1 failed, 0 skipped in " in done.stdout
    failure = junit_cases(tmp_path / "junit.xml")["rackhd_suite.test_obm.Obm.test_4_reboot"].find("failure")
    assert failure is not None
    text = failure.text or ""
    assert "Graph.Reboot.Node on node01" in text and "ended failed" in text
    assert "task reboot: failed stand-in told to fail this graph" in text
    assert "what node01's BMC received:" in text and "(no IPMI request reached node01)" in text
    assert "kept the journal of rack rhd-e2e-fail" in done.stderr  # a failed run keeps its journal


def test_without_amqp_graphs_are_awaited_through_the_api(standin: tuple[StandIn, str], tmp_path: Path) -> None:
    need_root()
    api, url = standin
    done = vrack_test(tmp_path, rack_spec(tmp_path, "rhd-e2e-poll"), {"RACKHD_URL": url}, "--group", "obm")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AMQP         not configured: graphs are polled" in done.stdout
    assert "MongoDB      not configured" in done.stdout
    polled = [p for m, p, _ in api.requests if m == "GET" and p.startswith("/api/2.0/workflows/")]
    assert len(polled) >= 12  # at least one look per graph


def test_discovery_on_a_loopback_rack_fails_saying_why(standin: tuple[StandIn, str], tmp_path: Path) -> None:
    need_root()
    _api, url = standin
    done = vrack_test(tmp_path, rack_spec(tmp_path, "rhd-e2e-lo"), {"RACKHD_URL": url}, "--group", "discovery")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 passed, 5 failed, 0 skipped in " in done.stdout
    assert (
        "discovery/test_1_discovery_graphs_succeed: setUpClass failed: group discovery needs a netns rack"
        in done.stdout
    )
