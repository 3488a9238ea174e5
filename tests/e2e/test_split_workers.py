"""One rack served by two worker processes (``vrack up --workers 2``, issue 17), driven by real clients.

node01 and node02 are served by worker 0, node03 and node04 by worker 1 (the UDP sockets belong to those
processes, not to ``vrack up``); the PDU, the control API and the journal stay in the coordinator.
ipmitool talks to BMCs on both workers, a power change through the control API is what ipmitool then
reads, an outlet switched off over SNMP darkens a worker's BMC, and the one journal holds both workers'
entries, numbered without gaps and each device's in the order they happened.  Addresses: 127.200.50.0/24.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import ipmitool, run
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

NET = "127.200.50"
SPEC = f"""\
rack: e2e-split
seed: e2e-split-seed
networks: {{management: {NET}.0/24}}
devices:
  - {{name: node01, kind: compute, model: generic, bmc: {{boot_time: 0}}}}
  - {{name: node02, kind: compute, model: generic, bmc: {{boot_time: 0}}}}
  - {{name: node03, kind: compute, model: quanta-d51, power_on: true, bmc: {{boot_time: 0.2}}}}
  - {{name: node04, kind: compute, model: dell-r630, bmc: {{boot_time: 0}}}}
  - {{name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}}
power:
  - {{outlet: pdu1/3, to: node03/psu1}}
"""
BMC = {f"node0{i}": f"{NET}.{i}" for i in range(1, 5)}
PDU1 = f"{NET}.5"
SENTRY_ACTION = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1"


@pytest.fixture(scope="module")
def split_rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    base = tmp_path_factory.mktemp("split-rack")
    spec = base / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, base / "state", "e2e-split", ("--workers", "2")).start()
    yield rack
    assert rack.stop() == 0, rack.output()


def socket_owner(address: str, port: int = 623) -> int:
    """The pid of the process whose UDP socket is bound to ``address``:``port``."""
    out = run(["ss", "-H", "-u", "-a", "-n", "-p", "src", f"{address}:{port}"]).ok().stdout
    pids = set(re.findall(r"pid=(\d+)", out))
    assert len(pids) == 1, out
    return int(pids.pop())


def power_status(node: str) -> str:
    return str(ipmitool(BMC[node], "chassis power status").ok().stdout).strip()


def bmc_answers(node: str) -> bool:
    return bool(ipmitool(BMC[node], "mc info", extra="-R 1 -N 1").returncode == 0)


def test_nodes_are_served_by_two_worker_processes(split_rack: RackProcess) -> None:
    coordinator = split_rack.info["pid"]
    owners = {node: socket_owner(address) for node, address in BMC.items()}
    assert owners["node01"] == owners["node02"] != owners["node03"] == owners["node04"]
    assert coordinator not in owners.values()
    for pid in set(owners.values()):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"vrack.split.worker" in cmdline
    assert split_rack.api("GET", "/api/v1/devices/node01")["worker"] == 0
    assert split_rack.api("GET", "/api/v1/devices/node04")["worker"] == 1
    assert socket_owner(PDU1, 161) == coordinator  # the PDU stays with the coordinator (SNMP, UDP 161)


def test_control_api_power_reaches_ipmitool_and_ipmitool_reaches_the_api(split_rack: RackProcess) -> None:
    wait_for(lambda: bmc_answers("node04") and bmc_answers("node01"), 20, "both workers' BMCs to answer")
    assert power_status("node04") == "Chassis Power is off"
    start = split_rack.last_seq()
    split_rack.api("POST", "/api/v1/devices/node04/power", {"action": "on"})
    wait_for(lambda: power_status("node04") == "Chassis Power is on", 20, "ipmitool to see node04 on")

    assert "Up/On" in ipmitool(BMC["node01"], "chassis power on").ok().stdout
    wait_for(lambda: split_rack.api("GET", "/api/v1/devices/node01")["power"], 20, "the API to see node01 on")
    assert split_rack.api("GET", "/api/v1/devices/node04")["power"] is True

    def both_logged() -> list[dict[str, object]] | None:
        events = split_rack.events(after=start)
        ops = [(e["device"], e["operation"]) for e in events]
        return events if ("node04", "host-power") in ops and ("node01", "chassis.control") in ops else None

    events = wait_for(both_logged, 20, "both workers' entries in the journal")
    ops = [(e["device"], e["operation"]) for e in events]
    assert ops.index(("node04", "power")) < ops.index(("node04", "host-power"))  # control API, then the host
    assert ops.index(("node01", "host-power")) < ops.index(("node01", "chassis.control"))  # as in one process
    control = next(e for e in events if (e["device"], e["operation"]) == ("node04", "power"))
    assert control["cause"] == "control API" and control["action"] == "on"


def test_outlet_off_over_snmp_darkens_a_workers_bmc(split_rack: RackProcess) -> None:
    wait_for(lambda: bmc_answers("node03"), 20, "node03's BMC to answer")
    start = split_rack.last_seq()
    run(["snmpset", "-v2c", "-c", "private", PDU1, f"{SENTRY_ACTION}.3", "i", "2"]).ok()
    wait_for(lambda: not bmc_answers("node03"), 20, "node03's BMC to go dark")
    ops = [(e["device"], e["operation"]) for e in split_rack.events(after=start)]
    assert ops.index(("pdu1", "outlet")) < ops.index(("node03", "ac-power"))
    assert split_rack.api("GET", "/api/v1/devices/node03")["ac_power"] is False
    run(["snmpset", "-v2c", "-c", "private", PDU1, f"{SENTRY_ACTION}.3", "i", "1"]).ok()
    wait_for(lambda: bmc_answers("node03"), 20, "node03's BMC back")
    assert split_rack.api("GET", "/api/v1/devices/pdu1")["name"] == "pdu1"


def test_one_journal_numbered_without_gaps(split_rack: RackProcess) -> None:
    for node in BMC:
        wait_for(functools.partial(bmc_answers, node), 20, f"{node} to answer")
    events = split_rack.events()
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert {e["device"] for e in events if e["protocol"] == "ipmi"} == set(BMC)
    run_dir = Path(split_rack.api("GET", "/api/v1/rack")["run"])
    files = list((split_rack.state_root / "e2e-split" / "runs" / run_dir.name).glob("events*.jsonl"))
    assert len(files) == 1

    def on_disk() -> list[int] | None:
        lines = [json.loads(line)["seq"] for line in files[0].read_text().splitlines() if line]
        return lines if lines[-1:] and lines[-1] >= seqs[-1] else None

    assert wait_for(on_disk, 10, "the journal file to catch up")[: len(seqs)] == seqs


def api_error(rack: RackProcess, method: str, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    """The status and JSON body of a request the control API refuses."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        rack.api(method, path, body)
    return refused.value.code, json.loads(refused.value.read())


def test_faults_sel_and_sensors_of_worker_served_nodes(split_rack: RackProcess) -> None:
    """Faults, SEL and sensors reach the nodes in the workers: the API, ipmitool and the journal agree."""
    status, body = api_error(
        split_rack,
        "POST",
        "/api/v1/faults",
        {"kind": "sensor-value", "target": "node01", "params": {"sensor": "Nope", "value": 95}},
    )
    assert status == 400 and body["parameter"] == "sensor" and "CPU1 Temp" in body["valid"]  # type: ignore[operator]

    wait_for(lambda: bmc_answers("node01"), 20, "node01's BMC to answer")
    if not split_rack.api("GET", "/api/v1/devices/node01")["power"]:
        split_rack.api("POST", "/api/v1/devices/node01/power", {"action": "on"})
    wait_for(lambda: power_status("node01") == "Chassis Power is on", 20, "node01 on")
    start = split_rack.last_seq()
    sel_before = len(split_rack.api("GET", "/api/v1/devices/node01/sel"))
    fault = split_rack.api(
        "POST",
        "/api/v1/faults",
        {"kind": "sensor-value", "target": "node01", "params": {"sensor": "CPU1 Temp", "value": 95}},
    )
    cpu = next(r for r in split_rack.api("GET", "/api/v1/devices/node01/sensors") if r["name"] == "CPU1 Temp")
    assert cpu["value"] == 95
    sdr = ipmitool(BMC["node01"], 'sdr get "CPU1 Temp"').ok().stdout
    assert re.search(r"Sensor Reading\s*:\s*95 ", sdr), sdr
    assert "Upper Critical going high" in ipmitool(BMC["node01"], "sel elist").ok().stdout

    added = split_rack.api(
        "POST", "/api/v1/devices/node01/sel", {"sensor_type": 0x05, "sensor_number": 11, "offset": 0}
    )["id"]
    entries = split_rack.api("GET", "/api/v1/devices/node01/sel")
    assert added in [e["id"] for e in entries] and len(entries) > sel_before + 1
    split_rack.api("DELETE", f"/api/v1/faults/{fault['id']}")

    split_rack.api("POST", "/api/v1/faults", {"kind": "bmc-hang", "target": "node04"})
    wait_for(lambda: not bmc_answers("node04"), 20, "node04's BMC to hang")
    split_rack.api("DELETE", "/api/v1/faults")
    wait_for(lambda: bmc_answers("node04"), 20, "node04's BMC back")

    ops = [(e["device"], e["protocol"], e["operation"]) for e in split_rack.events(after=start)]
    # the worker's SEL entries follow the coordinator's "injected" (in one process they precede it)
    assert ("node01", "fault", "injected") in ops and ("node01", "bmc", "sel-event") in ops
    assert ("node04", "fault", "cleared") in ops and ("node01", "control", "op-failed") not in ops


def test_a_fan_fails_on_a_worker_served_node_whose_host_never_changed_power(split_rack: RackProcess) -> None:
    """fan-fail without a sensor picks the node's first fan, as in one process, also before the worker has
    sent the node's ``describe()`` (node02's host was never powered: its listed state is the plan's)."""
    fault = split_rack.api("POST", "/api/v1/faults", {"kind": "fan-fail", "target": "node02"})
    forced = [r["name"] for r in split_rack.api("GET", "/api/v1/devices/node02/sensors") if r.get("forced")]
    split_rack.api("DELETE", f"/api/v1/faults/{fault['id']}")
    assert forced == ["FAN1"]  # the generic model's first fan (FAN1, FAN2)
    assert not any(r.get("forced") for r in split_rack.api("GET", "/api/v1/devices/node02/sensors"))


def test_a_worker_served_bmcs_refusal_and_live_state_reach_the_api(split_rack: RackProcess) -> None:
    """A reset of an off host is refused by the node's BMC (0xD5) with the API's 409, as in one process, and
    ``GET /devices/NAME`` shows the worker's counters now, not the snapshot of the last power change."""
    wait_for(lambda: bmc_answers("node02"), 20, "node02's BMC to answer")
    if split_rack.api("GET", "/api/v1/devices/node02")["power"]:
        split_rack.api("POST", "/api/v1/devices/node02/power", {"action": "off"})
    status, body = api_error(split_rack, "POST", "/api/v1/devices/node02/power", {"action": "reset"})
    assert status == 409 and "0xd5" in str(body["error"]) and body["valid"] == ["on"], body

    described = split_rack.api("POST", "/api/v1/devices/node02/power", {"action": "on"})
    assert described["power"] is True and described["worker"] == 0  # answered once the worker's BMC took it
    before = split_rack.api("GET", "/api/v1/devices/node02")["stats"]["received"]
    assert power_status("node02") == "Chassis Power is on"
    after = split_rack.api("GET", "/api/v1/devices/node02")["stats"]["received"]
    assert after >= before + 4, (before, after)  # a lanplus login and a command: at least 4 datagrams


def test_stopping_the_rack_stops_its_workers(tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC.replace("e2e-split", "e2e-split-stop").replace(f"{NET}.", "127.200.51."))
    rack = RackProcess(spec, tmp_path / "state", "e2e-split-stop", ("--workers", "2")).start()
    workers = {socket_owner("127.200.51.1"), socket_owner("127.200.51.4")}
    assert len(workers) == 2
    assert rack.stop() == 0, rack.output()
    for pid in workers:
        wait_for(functools.partial(_gone, pid), 15, f"worker {pid} to exit")


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] if Path(f"/proc/{pid}").exists() else ""
    return state not in ("Z", "")
