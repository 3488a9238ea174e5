"""``RackTestCase``: a ``unittest.TestCase`` whose class shares one rack (pytest, nose2, ``python -m unittest``).

Set ``rack_spec`` (a path, YAML text or a dict) and optionally ``rack_mode``, ``rack_ports``,
``rack_timeout``.  ``setUpClass`` starts the rack as ``cls.rack``; it is stopped by a class cleanup,
which unittest runs after ``tearDownClass`` and also when ``setUpClass`` or a test fails, and when
the run is interrupted (the interpreter's exit stops any rack left).  When a test of the class failed,
the rack's temporary journal is kept and its path printed.
"""

from __future__ import annotations

import unittest
from pathlib import Path
from typing import Any, ClassVar

from vrack.testing.rack import Mode, RackHandle, start_rack
from vrack.testing.specinput import Ports


class RackTestCase(unittest.TestCase):
    """Base class: one rack per test class (``cls.rack``)."""

    rack_spec: ClassVar[str | Path | dict[str, Any] | None] = None
    rack_mode: ClassVar[Mode] = "process"
    rack_ports: ClassVar[Ports] = "auto"
    rack_timeout: ClassVar[float] = 120.0
    rack: ClassVar[RackHandle]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.rack_spec is None:
            raise (
                unittest.SkipTest(f"{cls.__name__} sets no rack_spec")
                if cls is RackTestCase
                else TypeError(f"{cls.__name__}.rack_spec is not set: give a spec path, YAML text or a dict")
            )
        cls.rack = start_rack(cls.rack_spec, mode=cls.rack_mode, ports=cls.rack_ports, timeout=cls.rack_timeout)
        cls.addClassCleanup(cls.rack.stop)

    def run(self, result: Any = None) -> Any:
        """Run the test; a failure or error marks the class's rack as failed (its journal is kept)."""
        if result is None:
            return super().run(result)
        return super().run(_FailureSpy(result, self._mark_failed))  # type: ignore[arg-type]

    def _mark_failed(self) -> None:
        rack = getattr(type(self), "rack", None)
        if rack is not None:
            rack.failed = True


class _FailureSpy:
    """Passes everything to the runner's result (unittest's, nose2's, pytest's) and notices failures."""

    def __init__(self, result: Any, on_failure: Any) -> None:
        self._result = result
        self._on_failure = on_failure

    def addFailure(self, test: Any, err: Any) -> None:
        self._on_failure()
        self._result.addFailure(test, err)

    def addError(self, test: Any, err: Any) -> None:
        self._on_failure()
        self._result.addError(test, err)

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            self._on_failure()
        self._result.addSubTest(test, subtest, err)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)
