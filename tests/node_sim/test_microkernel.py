"""The task runner in memory: bootstrap.js's loop against the southbound double, on a fake clock.

HTTP goes straight into the double's ``handle`` (no sockets); the node has a real Bmc.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionRefusedError

from node_sim.catalog import LldpNeighbor
from node_sim.microkernel import ExitAction, Microkernel, MicrokernelEvent, exit_action, exit_code
from tests.rackhd_double.graph import Batch
from tests.rackhd_double.nodes import SimNode, make_node
from tests.rackhd_double.southbound import Southbound

SERVER = "http://127.24.0.1:9030"


class DirectFetcher:
    """HTTP straight into the double; records (time, method, path); can refuse chosen requests."""

    def __init__(self, southbound: Southbound, clock: Any, client: str = "127.24.0.20") -> None:
        self.southbound = southbound
        self.clock = clock
        self.client = client
        self.log: list[tuple[float, str, str]] = []
        self.refuse: set[str] = set()  # "GET" / "POST" / "ALL" / "POLL" (GET of the node's tasks)
        self.refusals_left = 0

    def _refused(self, method: str, path: str) -> bool:
        poll = method == "GET" and "/tasks/" in path and not path.endswith("bootstrap.js")
        return bool(self.refuse & {method, "ALL"} or ("POLL" in self.refuse and poll))

    def _call(self, method: str, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        parts = urlparse(url)
        self.log.append((self.clock.seconds(), method, parts.path))
        if self.refusals_left and self._refused(method, parts.path):
            self.refusals_left -= 1
            return fail(ConnectionRefusedError())
        return succeed(self.southbound.handle(method, parts.path, parse_qs(parts.query), body, self.client))

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        return self._call("GET", url, b"")

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        return self._call("POST", url, body)


def runner(node: SimNode, southbound: Southbound, **kw: Any) -> tuple[Microkernel, DirectFetcher, list[Any]]:
    fetcher = DirectFetcher(southbound, node.clock)
    events: list[MicrokernelEvent] = []
    exits: list[int] = []
    mk = Microkernel(
        node.ctx, fetcher, node.clock, server=SERVER, mac=node.identity.nic_macs[0],
        on_exit=exits.append, observer=events.append, **kw,
    )  # fmt: skip
    return mk, fetcher, [events, exits]


def run_until_exit(mk: Microkernel, clock: Any, limit: float = 600.0) -> None:
    while mk.state not in ("exited", "stopped") and clock.seconds() < limit:
        clock.advance(1.0)


@pytest.mark.parametrize("model", ["quanta-d51", "dell-r630", "generic"])
def test_discovery_fills_rackhds_catalogs_and_creates_the_obm_user(model: str) -> None:
    switch = SimpleNamespace(mac="00:1c:73:00:00:01", chassis_name="tor", port_id="Ethernet3", port_descr="")
    node = make_node(model, neighbors=(LldpNeighbor.from_peer("eth0", switch),))
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    mk, _, (events, exits) = runner(node, southbound)
    done: list[int | None] = []
    mk.start().addCallback(done.append)
    run_until_exit(mk, node.clock)
    assert (mk.exit_code, exits, done) == (1, [1], [1]) and record.finished
    bmc = record.catalogs["bmc"]
    assert (bmc["IP Address"], bmc["MAC Address"]) == (node.identity.bmc_ip, node.identity.bmc_mac)
    assert {"ip": node.identity.bmc_ip, "mac": node.identity.bmc_mac} in record.lookups
    fru = record.catalogs["ipmi-fru"]["Builtin FRU Device (ID 0)"]
    assert fru["Board Mfg"] == node.bmc.config.fru.board_manufacturer
    assert record.catalogs["dmi"]["System Information"]["Serial Number"] == node.identity.system_serial
    assert record.catalogs["lldp"]["eth0"]["chassis"]["mac"] == "00:1c:73:00:00:01"
    assert record.catalogs["ohai"]["dmi"]["system"]["product_name"] == node.hardware.system.product_name
    user = node.bmc.users.find_by_name(b"__rackhd__")
    assert user is not None and user.enabled and user.password == record.credentials.password.encode()
    assert node.bmc.chassis.boot.get(5)[1] == 0x04  # set-boot-pxe
    assert [e.kind for e in events].count("task") == mk.tasks_run
    assert all(request.client == "127.24.0.20" for request in southbound.requests)


def test_the_journal_never_carries_the_bmc_password() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    mk, _, (events, _) = runner(node, southbound)
    mk.start()
    run_until_exit(mk, node.clock)
    assert record.credentials.password not in json.dumps([asdict(e) for e in events])


def test_no_task_waiting_means_asking_again_every_5_seconds() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    record.batches.clear()
    mk, fetcher, (events, _) = runner(node, southbound)
    mk.start()
    node.clock.advance(0)
    for _ in range(4):
        node.clock.advance(5.0)
    polls = [t for t, method, path in fetcher.log if path.endswith(record.node_id)]
    assert polls == [0.0, 5.0, 10.0, 15.0, 20.0] and mk.state == "polling"
    assert {e.kind for e in events} >= {"bootstrap", "no-tasks"}


def test_a_network_error_while_polling_is_retried() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    record.batches.clear()
    record.batches.append(Batch("one", [{"cmd": "echo hello"}], exit=127))
    mk, fetcher, (events, exits) = runner(node, southbound)
    fetcher.refuse, fetcher.refusals_left = {"POLL"}, 2
    mk.start()
    run_until_exit(mk, node.clock)
    polls = [t for t, method, path in fetcher.log if method == "GET" and path.endswith(record.node_id)]
    assert polls == [0.0, 5.0, 10.0] and exits == [127] and exit_action(127) is ExitAction.STAY_UP
    assert [e.kind for e in events].count("no-tasks") == 2
    assert record.posts[0]["tasks"][0]["stdout"] == "hello\n"


def test_unknown_mac_means_bootstrap_404_and_a_reboot() -> None:
    node = make_node()
    mk, _, (events, exits) = runner(node, Southbound("127.24.0.1", 9030))
    mk.start()
    assert (exits, mk.state) == ([1], "exited") and exit_action(1) is ExitAction.REBOOT
    assert events[0].kind == "bootstrap" and events[0].detail["status"] == 404


def test_unreachable_server_means_an_empty_script_and_a_reboot() -> None:
    node = make_node()
    mk, fetcher, (_, exits) = runner(node, Southbound("127.24.0.1", 9030))
    fetcher.refuse, fetcher.refusals_left = {"ALL"}, 1
    mk.start()
    assert exits == [0] and exit_action(0) is ExitAction.REBOOT


def one_batch(node: SimNode, batch: Batch) -> tuple[Microkernel, DirectFetcher, list[Any], Any]:
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    record.batches.clear()
    record.batches.append(batch)
    mk, fetcher, lists = runner(node, southbound)
    mk.start()
    run_until_exit(mk, node.clock, limit=60)
    return mk, fetcher, lists, record


def test_accepted_codes_continue_the_batch_others_stop_it() -> None:
    node = make_node()
    batch = Batch(
        "codes",
        [
            {"cmd": "sudo ipmitool lan print 2", "acceptedResponseCodes": [1]},
            {"cmd": "sudo ipmitool mc info"},
            {"cmd": "sudo frobnicate"},
            {"cmd": "echo never"},
        ],
        exit=127,
    )
    mk, _, _, record = one_batch(node, batch)
    posted = record.posts[0]["tasks"]
    assert posted[0]["error"]["code"] == 1 and "stdout" not in posted[0]  # exec error: bootstrap.js drops output
    assert posted[1]["error"] is None and posted[1]["stdout"].startswith("Device ID")
    assert posted[2]["error"] == {"killed": False, "code": 1, "signal": None, "cmd": "sudo frobnicate"}
    assert "stdout" not in posted[3] and "error" not in posted[3]
    assert mk.tasks_run == 3


def test_downloads_are_saved_by_base_name_and_keep_output_on_failure() -> None:
    node = make_node("dell-r630")
    batch = Batch(
        "dl",
        [
            {"cmd": "sudo bash get_smart.sh", "downloadUrl": "/api/current/templates/get_smart.sh?nodeId=x"},
            {"cmd": "sudo python nothing.py", "downloadUrl": "/api/current/templates/nothing.py"},
        ],
        exit=127,
    )
    _, _, (events, _), record = one_batch(node, batch)
    assert b"smartctl" in node.ctx.files["get_smart.sh"] and node.ctx.files["nothing.py"] == b"Not Found"
    smart, nothing = record.posts[0]["tasks"]
    assert smart["error"] is None and "####/dev/sda scsi" in smart["stdout"]
    assert nothing["error"]["code"] == 126 and "unknown content" in nothing["stderr"]
    assert [e.detail["file"] for e in events if e.kind == "download"] == ["get_smart.sh", "nothing.py"]


def test_post_is_retried_after_network_errors_with_growing_delays() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    record.batches.clear()
    record.batches.append(Batch("one", [{"cmd": "true"}], exit=127))
    mk, fetcher, (events, exits) = runner(node, southbound)
    fetcher.refuse, fetcher.refusals_left = {"POST"}, 2
    mk.start()
    run_until_exit(mk, node.clock)
    posts = [t for t, method, _ in fetcher.log if method == "POST"]
    assert posts == [0.0, 5.0, 15.0] and exits == [127]
    assert [e.detail["delay"] for e in events if e.kind == "post-retry"] == [5.0, 10.0]


def test_exit_2_power_cycles_through_the_bmc() -> None:
    node = make_node(initial_power_on=True)
    changes: list[tuple[bool, str]] = []
    node.bmc.add_power_listener(lambda on, cause: changes.append((on, cause)))
    _, _, (events, exits), _ = one_batch(node, Batch("reboot", [{"cmd": ""}], exit=2))
    assert exits == [2] and exit_action(2) is ExitAction.POWER_CYCLE
    assert [e.detail for e in events if e.kind == "power-cycle"] == [{"exit_code": 0}]
    assert changes and changes[0][0] is False


@pytest.mark.parametrize(
    ("field", "code"),
    [(1, 1), (2, 2), (127, 127), ({"code": 2}, 2), ({"code": 0}, 1), ({}, 0), (0, 0), (None, 1), (True, 1)],
)
def test_exit_field_as_bootstrap_js_reads_it(field: Any, code: int) -> None:
    assert exit_code(field) == code


def test_stop_cancels_the_wait_and_sends_nothing_more() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    southbound.add_node(node.identity.nic_macs[0]).batches.clear()
    mk, fetcher, _ = runner(node, southbound)
    result: list[int | None] = []
    mk.start().addCallback(result.append)
    mk.stop()
    sent = len(fetcher.log)
    node.clock.advance(60)
    assert len(fetcher.log) == sent and result == [None] and mk.state == "stopped"
    assert not node.clock.getDelayedCalls()


def test_cloud_config_path_takes_the_node_id_and_server_from_it() -> None:
    node = make_node()
    southbound = Southbound("127.24.0.1", 9030)
    record = southbound.add_node(node.identity.nic_macs[0])
    record.batches.clear()
    record.batches.append(Batch("one", [{"cmd": "true"}], exit=127))
    mk, fetcher, (_, exits) = runner(node, southbound)
    mk.start(cloud_config_url=f"{SERVER}/api/current/templates/cloud-config.yaml?nodeId={record.node_id}")
    run_until_exit(mk, node.clock)
    assert fetcher.log[0][2] == "/api/current/templates/cloud-config.yaml"
    assert fetcher.log[1][2] == "/api/current/tasks/bootstrap.js" and exits == [127]
    assert mk.node_id == record.node_id
