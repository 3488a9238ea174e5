"""Reading the JUnit XML a suite wrote: the test cases with their outcome and duration.

Accepts what pytest, nose2, Jenkins and ``vrack test rackhd`` write: a ``<testsuites>`` root or a single
``<testsuite>``, ``<testcase>`` elements with ``<failure>``, ``<error>`` or ``<skipped>`` children.
A file that is missing or not JUnit raises :class:`JunitError` saying which file and why, so the cycle
records the suite as an error instead of crashing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]
MAX_JUNIT_BYTES = 64 << 20
MAX_MESSAGE = 2000


class JunitError(Exception):
    """The suite's JUnit file is missing, too large or not JUnit XML."""


@dataclass(frozen=True)
class TestResult:
    """One test case: ``classname`` + ``name`` identify it across cycles."""

    classname: str
    name: str
    outcome: Outcome
    duration: float
    message: str = ""

    @property
    def test_id(self) -> str:
        return f"{self.classname}::{self.name}" if self.classname else self.name


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _case(element: ET.Element) -> TestResult:
    outcome: Outcome = "passed"
    message = ""
    for child in element:
        if child.tag in ("failure", "error", "skipped"):
            outcome = "failed" if child.tag == "failure" else ("error" if child.tag == "error" else "skipped")
            message = (child.get("message") or child.text or "").strip()[:MAX_MESSAGE]
            break
    return TestResult(
        classname=element.get("classname", ""),
        name=element.get("name", "?"),
        outcome=outcome,
        duration=_seconds(element.get("time")),
        message=message,
    )


def read_junit(path: Path) -> list[TestResult]:
    """Every ``<testcase>`` of the file at ``path``, in document order."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise JunitError(f"{path}: the suite wrote no JUnit file") from None
    if size > MAX_JUNIT_BYTES:
        raise JunitError(f"{path}: {size} bytes, more than {MAX_JUNIT_BYTES >> 20} MiB of JUnit")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise JunitError(f"{path}: not XML ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JunitError(f"{path}: the root element is <{root.tag}>, JUnit has <testsuites> or <testsuite>")
    return [_case(case) for case in root.iter("testcase")]


def summarize(results: list[TestResult]) -> dict[str, int]:
    """Counts per outcome (every outcome present, zero when absent)."""
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for result in results:
        counts[result.outcome] += 1
    return counts
