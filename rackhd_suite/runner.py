"""Loading the groups and running them with a :class:`~rackhd_suite.report.Recorder`."""

from __future__ import annotations

import importlib
import sys
import time
import unittest
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from rackhd_suite.config import GROUPS
from rackhd_suite.report import Recorder, Report


def group_suite(groups: Iterable[str] = GROUPS, loader: unittest.TestLoader | None = None) -> unittest.TestSuite:
    """The tests of ``groups`` in the suite's run order (module ``rackhd_suite.test_<group>`` each)."""
    loader = loader or unittest.TestLoader()
    wanted = set(groups)
    suite = unittest.TestSuite()
    for group in GROUPS:
        if group in wanted:
            suite.addTests(loader.loadTestsFromModule(importlib.import_module(f"rackhd_suite.test_{group}")))
    return suite


def _tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _tests(item)
        else:
            yield item


def run_suite(suite: unittest.TestSuite, stream: TextIO | None = None, verbosity: int = 2) -> Report:
    """Run ``suite``, printing progress to ``stream``; the recorded :class:`Report`."""
    runner = unittest.TextTestRunner(stream=stream or sys.stderr, verbosity=verbosity, resultclass=Recorder)
    class_tests: dict[str, list[str]] = {}
    for test in _tests(suite):
        cls = type(test)
        class_tests.setdefault(f"{cls.__module__}.{cls.__qualname__}", []).append(test.id())
    original = runner._makeResult

    def make() -> Any:
        result: Any = original()
        result.class_tests = class_tests
        return result

    runner._makeResult = make  # type: ignore[method-assign]
    started = time.monotonic()
    result: Any = runner.run(suite)
    report: Report = result.report
    report.seconds = time.monotonic() - started
    return report
