"""vrack.testing against real racks: in-process and child process, as root and without privilege.

Racks use 127.62.0.0/16 and names starting with ``testkit``; real clients (ipmitool, net-snmp) drive them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import Result, ipmitool
from tests.support.waiting import wait_for
from vrack.testing import JournalTimeout, PortsUnavailable, RackHandle, start_rack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def spec(name: str, subnet: int) -> str:
    return textwrap.dedent(
        f"""\
        rack: {name}
        networks: {{management: 127.62.{subnet}.0/24}}
        devices:
          - name: node01
            kind: compute
            bmc:
              users:
                - {{name: admin, password: s3cret-{subnet}}}
                - {{name: ops, password: ops-pw, privilege: operator}}
          - {{name: node02, kind: compute}}
          - {{name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}}
          - {{name: sw1, kind: switch, model: arista-7050, ports: 8}}
        power:
          - {{outlet: pdu1/2, to: node01/psu1}}
        cables:
          - {{a: node01/nic0, b: sw1/3}}
        """
    )


def ipmi(rack: RackHandle, node: str, command: str, user: str = "admin", extra: str = "") -> Result:
    handle = rack.node(node)
    password = next(u.password for u in handle.bmc.users if u.name == user)
    return ipmitool(handle.bmc.address, command, user=user, password=password, extra=f"-p {handle.bmc.port} {extra}")


def leaves_nothing(rack: RackHandle) -> None:
    assert rack.stopped and not rack.state_dir.exists(), "a passing test's temporary state dir must be removed"


@pytest.mark.parametrize("mode", ["inprocess", "process"])
def test_handles_drive_the_rack_and_the_journal_explains(mode: str) -> None:
    rack = start_rack(spec(f"testkit-{mode}", 20 if mode == "process" else 21), mode=mode)  # type: ignore[arg-type]
    with rack:
        node = rack.node("node01")
        assert rack.mode == mode and rack.run_id and rack.info()["run"] == rack.run_id
        assert {u.name: (u.password, u.privilege) for u in node.bmc.users}["ops"] == ("ops-pw", "operator")
        assert "s3cret" not in repr(node.bmc.users)
        assert rack.endpoints()["pdu1"] == ("snmp", rack.pdu("pdu1").address, rack.pdu("pdu1").port)
        mark = rack.journal.mark()
        assert "Chassis Power Control: Up/On" in ipmi(rack, "node01", "chassis power on").ok().stdout
        found = rack.journal.wait_for(
            device="node01", protocol="ipmi", operation="chassis.control", user="admin", since=mark, timeout=30
        )
        assert found["completion_code"] == 0 and node.power_state() == "on"
        rack.journal.assert_none(device="node02", protocol="ipmi", since=mark)

        rack.pdu("pdu1").outlet(2).set("off")  # the outlet really cuts the node: its BMC goes dark
        rack.journal.assert_order(
            [dict(device="pdu1", operation="outlet"), dict(device="node01", operation="ac-power", on=False)],
            since=mark,
            timeout=10,
        )
        assert ipmi(rack, "node01", "chassis power status", extra="-R 1 -N 1").returncode != 0
        assert rack.switch("sw1").port_state(3)["oper_up"] is False
        rack.pdu("pdu1").outlet(2).set("on")

        record = node.sel_add(0x01, 0x30, 1)
        assert node.sel()[-1]["id"] == record and node.sel()[-1]["sensor_number"] == 0x30
        wait_for(lambda: node.describe()["bmc"]["responsive"], 10, "node01's BMC to boot after AC is back")
        node.power("on")  # a forced reading shows while the host runs
        name = next(s["name"] for s in node.sensors() if "threshold_bits" in s)
        logged = len(node.sel())
        assert node.set_sensor(name, 91.0)["value"] == pytest.approx(91.0, abs=1.0)
        assert len(node.sel()) > logged  # the thresholds it crossed are SEL events

        with pytest.raises(JournalTimeout) as failure:
            rack.journal.wait_for(device="node02", operation="chassis.control", since=mark, timeout=0.5)
        message = str(failure.value)
        assert "no journal event matched device='node02'" in message and "nearest of" in message
        assert "differs: device='node01'" in message and "s3cret" not in message
    leaves_nothing(rack)


def test_a_failed_test_keeps_the_journal_and_nothing_else(tmp_path: Path) -> None:
    rack = start_rack(spec("testkit-failed", 22), mode="inprocess")
    with pytest.raises(AssertionError), rack:
        rack.node("node01").power("on")
        raise AssertionError("the test failed")
    assert rack.journal_dir is not None and (rack.journal_dir / "events.jsonl").read_text().count("host-power")
    assert not (rack.state_dir / rack.name / "control.json").exists()
    assert rack.state_dir.name.startswith("vrack-testkit-failed")
    shutil.rmtree(rack.state_dir)


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A directory nobody (uid 65534) can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="testkit-nopriv-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


UNPRIVILEGED = textwrap.dedent(
    """\
    import json, sys
    from vrack.testing import PortsUnavailable, start_rack
    spec, mode = sys.argv[1], sys.argv[2]
    try:
        start_rack(spec, mode=mode, ports="standard")
    except PortsUnavailable as exc:
        refused = str(exc)
    else:
        refused = ""
    with start_rack(spec, mode=mode, ports="auto") as rack:
        node = rack.node("node01")
        print(json.dumps({"refused": refused, "moved": rack.moved_ports, "endpoints": rack.endpoints(),
                          "state_dir": str(rack.state_dir), "password": node.bmc.users[0].password}), flush=True)
        sys.stdin.readline()  # the test drives the rack meanwhile
        rack.journal.wait_for(device="node01", protocol="ipmi", operation="chassis.get_status", timeout=30)
    print("stopped", flush=True)
    """
)


@pytest.mark.parametrize(
    ("mode", "setpriv"),
    [
        # root without CAP_NET_BIND_SERVICE (--reuid=65534 cannot exec this venv's interpreter under /root)
        ("process", ["--bounding-set", "-net_bind_service"]),
        ("inprocess", ["--bounding-set", "-net_bind_service"]),
    ],
)
def test_without_privilege_auto_moves_ports_and_standard_says_why(
    readable_dir: Path, mode: str, setpriv: list[str]
) -> None:
    subnet = 23 if mode == "process" else 24
    tmp_path = readable_dir
    path = tmp_path / "rack.yaml"
    path.write_text(spec(f"testkit-nopriv-{mode}", subnet))
    script = tmp_path / "run.py"
    script.write_text(UNPRIVILEGED)
    proc = subprocess.Popen(
        ["setpriv", *setpriv, sys.executable, str(script), str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, HOME=str(tmp_path)),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        report = json.loads(line)
        assert (
            "ports='standard' needs ports below 1024" in report["refused"]
            and "CAP_NET_BIND_SERVICE" in report["refused"]
        )
        assert set(report["moved"]) == {"ipmi", "snmp", "redfish"} and all(
            port >= 1024 for port in report["moved"].values()
        )
        proto, address, port = report["endpoints"]["node01"]
        assert (proto, address, port) == ("ipmi", f"127.62.{subnet}.1", report["moved"]["ipmi"])
        status = ipmitool(address, "chassis power status", password=report["password"], extra=f"-p {port}")
        assert "Chassis Power is off" in status.ok().stdout
        snmp_proto, snmp_address, snmp_port = report["endpoints"]["pdu1"]
        got = subprocess.run(
            ["snmpget", "-v2c", "-c", "public", f"{snmp_address}:{snmp_port}", "1.3.6.1.2.1.1.5.0"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert snmp_proto == "snmp" and "pdu1" in got.stdout, got.stdout + got.stderr
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "stopped"
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not Path(report["state_dir"]).exists()


def test_standard_ports_as_root_are_the_specs() -> None:
    with start_rack(spec("testkit-standard", 25), mode="inprocess", ports="standard") as rack:
        assert rack.moved_ports == {} and rack.endpoints()["node01"] == ("ipmi", "127.62.25.1", 623)


def test_ports_unavailable_is_an_assertion_free_error_type() -> None:
    assert issubclass(PortsUnavailable, RuntimeError) and not issubclass(PortsUnavailable, AssertionError)


@pytest.mark.parametrize("mode", ["inprocess", "process"])
def test_a_rack_whose_api_needs_a_token_is_driven_with_it(mode: str) -> None:
    import urllib.error
    import urllib.request

    text = spec(f"testkit-token-{mode}", 24 if mode == "process" else 25) + "control: {allow_remote: true}\n"
    with start_rack(text, mode=mode) as rack:  # type: ignore[arg-type]
        assert [d["name"] for d in rack.devices()][:2] == ["node01", "node02"]
        assert rack.node("node01").power("on") == "on"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rack.api_url + "/api/v1/rack", timeout=10)
        assert refused.value.code == 401
