"""A run's outcomes: recorded per test while it runs, written as JUnit XML and as a short summary.

:class:`Recorder` is a ``unittest.TextTestResult`` (so the run prints its usual progress) that also
keeps one :class:`Outcome` per test, with its group, time and message.  A group whose ``setUpClass``
failed (RackHD not reachable, ...) records that error against every test of the group, so the
summary and the JUnit file count them as failed, never as passed or skipped.  Every known secret
(BMC passwords, RackHD's and AMQP's) is replaced by ``***`` in what is written.
"""

from __future__ import annotations

import re
import time
import traceback
import unittest
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rackhd_suite.config import GROUPS

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
_CLASS_FIXTURE = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((?P<where>[\w.]+)\)$")


def group_of(test_id: str) -> str:
    """``rackhd_suite.test_obm.Obm.test_2_power_on`` -> ``obm`` (``other`` for a test outside the suite)."""
    for part in test_id.split("."):
        if part.startswith("test_") and part[5:] in GROUPS:
            return part[5:]
    return "other"


@dataclass
class Outcome:
    test_id: str
    status: str
    seconds: float = 0.0
    message: str = ""

    @property
    def group(self) -> str:
        return group_of(self.test_id)

    @property
    def name(self) -> str:
        return self.test_id.rsplit(".", 1)[-1]

    @property
    def classname(self) -> str:
        return self.test_id.rsplit(".", 1)[0]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self, group: str | None = None) -> dict[str, int]:
        found = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for o in self.outcomes:
            if group is None or o.group == group:
                found[FAILED if o.status == ERROR else o.status] += 1
        return found

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and self.counts()[FAILED] == 0

    def groups(self) -> list[str]:
        present = {o.group for o in self.outcomes}
        return [g for g in (*GROUPS, "other") if g in present]


class Recorder(unittest.TextTestResult):
    """Progress on the stream, plus one :class:`Outcome` per test in :attr:`report`."""

    def __init__(self, stream: Any, descriptions: bool, verbosity: int, *, durations: Any = None) -> None:
        super().__init__(stream, descriptions, verbosity)
        self.report = Report()
        self.class_tests: dict[str, list[str]] = {}  # "module.Class" -> its test ids (filled by the runner)
        self._started: dict[str, float] = {}
        self._failed_sub: dict[str, list[str]] = {}

    def startTest(self, test: unittest.TestCase) -> None:
        self._started[test.id()] = time.monotonic()
        super().startTest(test)

    def _elapsed(self, test: Any) -> float:
        return time.monotonic() - self._started.get(test.id(), time.monotonic())

    def _add(self, test: Any, status: str, message: str = "") -> None:
        self.report.outcomes.append(Outcome(test.id(), status, self._elapsed(test), message))

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        if test.id() not in self._failed_sub:  # with failed subtests the test failed (recorded at stopTest)
            self._add(test, PASSED)

    def stopTest(self, test: unittest.TestCase) -> None:
        failures = self._failed_sub.pop(test.id(), None)
        if failures:
            earlier = next((o for o in self.report.outcomes if o.test_id == test.id()), None)
            if earlier is None:
                self._add(test, FAILED, "\n\n".join(failures))
            else:
                earlier.message = "\n\n".join([*failures, earlier.message])
        super().stopTest(test)

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._failed_sub.setdefault(test.id(), []).append(f"{subtest._subDescription()} {self._text(err)}")

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._add(test, FAILED, self._text(err))

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        fixture = _CLASS_FIXTURE.match(str(test))
        if fixture is None:
            self._add(test, ERROR, self._text(err))
            return
        where, message = fixture.group("where"), f"{fixture.group(1)} failed: {self._text(err)}"
        affected = self.class_tests.get(where) or [
            t for c, ts in self.class_tests.items() if c.startswith(where) for t in ts
        ]
        for test_id in affected or [f"{where}.{fixture.group(1)}"]:
            self.report.outcomes.append(Outcome(test_id, ERROR, 0.0, message))

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        fixture = _CLASS_FIXTURE.match(str(test))
        ids = self.class_tests.get(fixture.group("where"), []) if fixture else [test.id()]
        for test_id in ids:
            self.report.outcomes.append(Outcome(test_id, SKIPPED, 0.0, reason))

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._add(test, PASSED)

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._add(test, FAILED, "unexpected success")

    def _text(self, err: Any) -> str:
        exc = err[1]
        if isinstance(exc, AssertionError):
            return str(exc)  # the suite's messages explain themselves; the traceback is noise
        return "".join(traceback.format_exception(*err))


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def write_junit(report: Report, path: Path, secrets: Iterable[str] = (), name: str = "rackhd") -> None:
    """JUnit XML: one ``<testsuite name="rackhd.<group>">`` per group, one ``<testcase>`` per test."""
    secrets = list(secrets)
    root = ET.Element("testsuites", name=name, time=f"{report.seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for group in report.groups():
        outcomes = [o for o in report.outcomes if o.group == group]
        counts = {
            "tests": len(outcomes),
            "failures": sum(o.status == FAILED for o in outcomes),
            "errors": sum(o.status == ERROR for o in outcomes),
            "skipped": sum(o.status == SKIPPED for o in outcomes),
        }
        suite = ET.SubElement(
            root,
            "testsuite",
            {"name": f"{name}.{group}", **{k: str(v) for k, v in counts.items()}},
            time=f"{sum(o.seconds for o in outcomes):.3f}",
        )
        for o in outcomes:
            case = ET.SubElement(suite, "testcase", classname=o.classname, name=o.name, time=f"{o.seconds:.3f}")
            if o.status in (FAILED, ERROR, SKIPPED):
                tag = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}[o.status]
                text = redact(o.message, secrets)
                element = ET.SubElement(case, tag, message=text.strip().splitlines()[0][:200] if text.strip() else tag)
                element.text = text
        for key in totals:
            totals[key] += counts[key]
    root.attrib.update({k: str(v) for k, v in totals.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_summary(report: Report, out: TextIO, secrets: Iterable[str] = (), title: str = "RackHD suite") -> None:
    """Per group: passed, failed, time; then the first line of every failure; then the totals line."""
    out.write(f"\n{title}\n  {'group':<11}{'passed':>7}{'failed':>7}{'skipped':>8}{'time':>9}\n")
    for group in report.groups():
        counts = report.counts(group)
        seconds = sum(o.seconds for o in report.outcomes if o.group == group)
        out.write(f"  {group:<11}{counts[PASSED]:>7}{counts[FAILED]:>7}{counts[SKIPPED]:>8}{seconds:>8.1f}s\n")
    failed = [o for o in report.outcomes if o.status in (FAILED, ERROR)]
    if failed:
        out.write("failures:\n")
        for o in failed:
            first = redact(o.message, secrets).strip().splitlines()
            out.write(f"  {o.group}/{o.name}: {first[0] if first else o.status}\n")
    total = report.counts()
    out.write(f"{total[PASSED]} passed, {total[FAILED]} failed, {total[SKIPPED]} skipped in {report.seconds:.1f}s\n")
