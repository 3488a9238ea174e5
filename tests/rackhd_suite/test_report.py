"""The suite's own logic without a RackHD: recording, JUnit XML, the summary, waiting, event parsing."""

from __future__ import annotations

import io
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rackhd_suite.events import parse_finished
from rackhd_suite.report import Report, group_of, write_junit, write_summary
from rackhd_suite.runner import run_suite
from rackhd_suite.traffic import describe_run, ipmi_runs
from rackhd_suite.waiting import WaitTimeout, wait_until


def run_fakes() -> Report:
    """Run two test classes standing in for groups (their module name decides the group, as for the suite's)."""

    class FakeSmoke(unittest.TestCase):
        def test_1_passes(self) -> None:
            pass

        def test_2_fails(self) -> None:
            self.fail("RackHD said no; BMC password s3cret-pw leaked")

        def test_3_subtest_fails(self) -> None:
            for n in (1, 2):
                with self.subTest(node=n):
                    self.assertEqual(n, 1, "node 2 is off")

    class FakeObm(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            raise RuntimeError("RackHD is not reachable at http://127.71.0.1:1: connection refused")

        def test_1(self) -> None:
            pass

        def test_2(self) -> None:
            pass

    FakeSmoke.__module__ = "rackhd_suite.test_smoke"
    FakeObm.__module__ = "rackhd_suite.test_obm"
    FakeSmoke.__qualname__, FakeObm.__qualname__ = "FakeSmoke", "FakeObm"
    loader = unittest.TestLoader()
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(FakeSmoke), loader.loadTestsFromTestCase(FakeObm)])
    return run_suite(suite, stream=io.StringIO())


def test_group_of() -> None:
    assert group_of("rackhd_suite.test_obm.Obm.test_2_power_on") == "obm"
    assert group_of("rackhd_suite.preflight.Preflight.reach_rackhd") == "other"


def test_outcomes_per_group_with_class_errors_counted_as_failures() -> None:
    report = run_fakes()
    by_name = {o.test_id.rsplit(".", 2)[-2] + "." + o.name: o for o in report.outcomes}
    assert by_name["FakeSmoke.test_1_passes"].status == "passed"
    assert by_name["FakeSmoke.test_2_fails"].status == "failed"
    assert by_name["FakeSmoke.test_3_subtest_fails"].status == "failed"
    assert "node 2 is off" in by_name["FakeSmoke.test_3_subtest_fails"].message
    assert "(node=2)" in by_name["FakeSmoke.test_3_subtest_fails"].message
    for name in ("FakeObm.test_1", "FakeObm.test_2"):  # setUpClass failed: both tests count, as failed
        assert by_name[name].status == "error"
        assert "RackHD is not reachable" in by_name[name].message
    assert report.counts("smoke") == {"passed": 1, "failed": 2, "skipped": 0}
    assert report.counts("obm") == {"passed": 0, "failed": 2, "skipped": 0}
    assert not report.ok


def test_junit_xml(tmp_path: Path) -> None:
    report = run_fakes()
    path = tmp_path / "out" / "junit.xml"
    write_junit(report, path, secrets=["s3cret-pw"])
    text = path.read_text()
    assert "s3cret-pw" not in text and "***" in text
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["rackhd.smoke", "rackhd.obm"]
    smoke = suites["rackhd.smoke"]
    assert (smoke.get("tests"), smoke.get("failures"), smoke.get("errors")) == ("3", "2", "0")
    cases = {c.get("name"): c for c in smoke.findall("testcase")}
    assert cases["test_1_passes"].find("failure") is None
    failure = cases["test_2_fails"].find("failure")
    assert failure is not None and failure.get("message", "").startswith("RackHD said no")
    obm_error = suites["rackhd.obm"].find("testcase/error")
    assert obm_error is not None and "setUpClass failed" in (obm_error.text or "")


def test_summary() -> None:
    out = io.StringIO()
    write_summary(run_fakes(), out, secrets=["s3cret-pw"], title="RackHD suite against http://x")
    text = out.getvalue()
    lines = text.splitlines()
    assert "RackHD suite against http://x" in lines
    assert any(line.split()[:3] == ["smoke", "1", "2"] for line in lines)
    assert any(line.split()[:3] == ["obm", "0", "2"] for line in lines)
    assert "  smoke/test_2_fails: RackHD said no; BMC password *** leaked" in lines
    assert "  obm/test_1: setUpClass failed: Traceback (most recent call last):" in lines
    assert lines[-1].startswith("1 passed, 4 failed, 0 skipped in ")
    assert "s3cret-pw" not in text


def test_wait_until_backs_off_and_explains_the_timeout() -> None:
    now = [0.0]
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    answers = iter([None, None, None, "done"])
    assert wait_until(lambda: next(answers), 10, "x", clock=lambda: now[0], pause=pause) == "done"
    assert pauses == [0.1, 0.2, 0.4]
    with pytest.raises(WaitTimeout, match=r"graph 42 to finish did not happen within 3 s; last seen: running"):
        wait_until(lambda: None, 3, "graph 42 to finish", seen=lambda: "running", clock=lambda: now[0], pause=pause)


@pytest.mark.parametrize(
    ("key", "body", "expected"),
    [
        (
            "graph.finished.5f1e2d3c-0000-4000-8000-000000000001",
            b'{"status":"succeeded"}',
            ("5f1e2d3c-0000-4000-8000-000000000001", "succeeded"),
        ),
        ("graph.finished.information.g1.n1", b'{"typeId":"g1","data":{"status":"failed"}}', ("g1", "failed")),
        ("graph.finished.abc", b'{"value":{"graphId":"abc","status":"cancelled"}}', ("abc", "cancelled")),
        ("graph.started.abc", b'{"status":"running"}', (None, None)),
        ("graph.finished.abc", b"not json", ("abc", None)),
    ],
)
def test_parse_finished(key: str, body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert parse_finished(key, body) == expected


def test_ipmi_runs_group_sessions_and_power_changes() -> None:
    def ipmi(seq: int, peer: str, op: str, user: str = "admin") -> dict[str, object]:
        return {"seq": seq, "protocol": "ipmi", "peer": peer, "operation": op, "user": user}

    entries = [
        ipmi(1, "127.0.0.1:5000", "app.get_channel_auth_capabilities", ""),
        ipmi(2, "127.0.0.1:5000", "chassis.get_status"),
        ipmi(3, "127.0.0.1:5001", "app.set_session_privilege"),
        ipmi(4, "127.0.0.1:5001", "netfn0x2c.cmd0x3e"),
        {"seq": 5, "protocol": "power", "operation": "host-power", "on": True, "cause": "ipmi"},
        ipmi(6, "127.0.0.1:5001", "chassis.control"),
    ]
    runs = ipmi_runs(entries)
    assert [describe_run(r) for r in runs] == [
        "127.0.0.1:5000 admin: chassis.get_status",
        "127.0.0.1:5001 admin: chassis.control -> host power on",
    ]
