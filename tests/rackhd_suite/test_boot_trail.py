"""A graph that times out says what the node did, from the rack's journal (no RackHD needed).

The entries are the journal's own shapes, cut from the run in which rediscovery timed out against a real
RackHD 2.60.7: the lab's file server had no Ubuntu microkernel, iPXE got 404 for the kernel five times, gave
up and booted from disk, and the timeout said only "RackHD says it is running".
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from rackhd_suite import session as session_module
from rackhd_suite.boot_trail import boot_trail
from rackhd_suite.config import SuiteConfig
from rackhd_suite.session import GraphRun, SuiteSession
from rackhd_suite.waiting import WaitTimeout

KERNEL = "http://172.31.128.1:9080/common/vmlinuz-3.16.0-25-generic"
NOT_FOUND = f"GET {KERNEL}: HTTP 404 Not Found"


def boot(seq: int, operation: str, **fields: Any) -> dict[str, Any]:
    return {"seq": seq, "device": "node01", "protocol": "boot", "operation": operation, **fields}


def host(seq: int, operation: str, **fields: Any) -> dict[str, Any]:
    return {"seq": seq, "device": "node01", "protocol": "host", "operation": operation, **fields}


def microkernel(seq: int, operation: str, **fields: Any) -> dict[str, Any]:
    return {"seq": seq, "device": "node01", "protocol": "microkernel", "operation": operation, **fields}


NO_UBUNTU_MICROKERNEL = [
    host(1040, "boot", boot_device="pxe", backend="sim", cause="ipmi"),
    *[
        entry
        for n in range(5)
        for entry in (
            boot(1083 + 20 * n, "http.fetch", verb="kernel", url=KERNEL, ok=False, error=NOT_FOUND),
            boot(1084 + 20 * n, "ipxe.echo", text=f"Could not kernel {KERNEL}: {NOT_FOUND}"),
        )
    ],
    boot(1187, "ipxe.echo", text="Exceeded max retries chainloading boot profile"),
    boot(1188, "ipxe.echo", text="Exiting in 5 seconds..."),
    boot(1194, "boot.outcome", kind="local", reason="script exited"),
    host(1195, "boot-outcome", kind="local", boot_device="pxe", kernel=None, reason="script exited"),
]


def test_a_missing_microkernel_file_is_named_with_its_url_and_the_local_boot_it_led_to() -> None:
    assert boot_trail("node01", NO_UBUNTU_MICROKERNEL) == [
        "node01 powered up 1 time(s) (boot device pxe)",
        f"node01 could not fetch the kernel {KERNEL}: {NOT_FOUND} (5x)",
        "node01's iPXE: Exceeded max retries chainloading boot profile",
        "node01's iPXE: Exiting in 5 seconds...",
        "node01's last boot ended local (script exited): no microkernel ran",
    ]


def test_a_microkernel_that_ran_tasks_and_exited() -> None:
    entries = [
        host(1, "boot", boot_device="pxe"),
        host(2, "boot-outcome", kind="kernel", kernel="http://172.31.128.1:9080/common/vmlinuz-1.2.0-rancher"),
        microkernel(3, "bootstrap", status=200),
        microkernel(4, "task", cmd="sudo dmidecode", exit_code=0),
        microkernel(5, "task", cmd="sudo /usr/sbin/lldpcli show neighbor -f keyvalue", exit_code=0),
        microkernel(6, "exit", code=1, action="reboot"),
    ]
    assert boot_trail("node01", entries)[-2:] == [
        "node01's last boot loaded the kernel http://172.31.128.1:9080/common/vmlinuz-1.2.0-rancher",
        "node01's microkernel ran 2 RackHD task(s), the last `sudo /usr/sbin/lldpcli show neighbor -f keyvalue`; "
        "it exited with code 1",
    ]


def test_a_kernel_booted_without_a_task_request_says_so() -> None:
    entries = [host(1, "boot", boot_device="pxe"), host(2, "boot-outcome", kind="kernel", kernel="k")]
    assert boot_trail("node01", entries)[-1] == "node01's microkernel never asked RackHD for a task"


def test_a_node_that_did_nothing_has_no_trail() -> None:
    assert boot_trail("node01", []) == []


class RunningForever:
    """RackHD's workflow API for a graph that stays running (what the real RackHD answered)."""

    def check_reachable(self) -> dict[str, Any]:
        return {}

    def workflow(self, instance_id: str) -> dict[str, Any]:
        return {"instanceId": instance_id, "status": "running"}

    def close(self) -> None:
        pass


class Journal:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    def mark(self) -> int:
        return 1000

    def events(self, since: int = 0, **filters: Any) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["seq"] > since and e["device"] == filters.get("device", e["device"])]


def test_the_timeout_of_a_graph_on_a_node_tells_what_the_node_did(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "connect", lambda config: RunningForever())
    rack = SimpleNamespace(nodes=lambda: [SimpleNamespace(name="node01")], journal=Journal(NO_UBUNTU_MICROKERNEL))
    suite = SuiteSession(SuiteConfig("http://127.72.0.9:8080"), rack)  # type: ignore[arg-type]
    run = GraphRun("node01", "6b12", "Graph.Refresh.Immediate.Discovery", "a38f", since=rack.journal.mark())
    with pytest.raises(WaitTimeout) as caught:
        suite.finish(run, timeout=0.05)
    message = str(caught.value)
    assert message.startswith("Graph.Refresh.Immediate.Discovery on node01 did not finish within 0.05 s")
    assert "RackHD says it is running\nmeanwhile, in the rack's journal:\n  node01 powered up" in message
    assert f"could not fetch the kernel {KERNEL}: {NOT_FOUND} (5x)" in message
    assert "last boot ended local (script exited): no microkernel ran" in message


def test_the_timeout_of_a_switch_graph_has_no_node_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "connect", lambda config: RunningForever())
    rack = SimpleNamespace(nodes=lambda: [SimpleNamespace(name="node01")], journal=Journal(NO_UBUNTU_MICROKERNEL))
    suite = SuiteSession(SuiteConfig("http://127.72.0.9:8080"), rack)  # type: ignore[arg-type]
    run = GraphRun("sw1", "7c01", "Graph.Switch.Discovery", "b49e", since=0)
    with pytest.raises(WaitTimeout) as caught:
        suite.finish(run, timeout=0.05)
    assert str(caught.value).endswith("RackHD says it is running")


def test_a_microkernel_stuck_without_its_os_image_says_which() -> None:
    basefs = "http://172.31.128.1:9080/common/base.trusty.3.16.0-25-generic.squashfs.img"
    entries = [
        host(1, "boot", boot_device="pxe"),
        host(2, "boot-outcome", kind="kernel", kernel=KERNEL),
        microkernel(3, "image", url=basefs, status=404, error="HTTP 404"),
        microkernel(4, "stuck", reason=f"could not download {basefs}: HTTP 404"),
    ]
    assert boot_trail("node01", entries)[-1] == (
        f"node01's microkernel is stuck: could not download {basefs}: HTTP 404; it never asks RackHD for a task"
    )
