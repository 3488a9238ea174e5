"""The pytest plugin (entry point ``pytest11: vrack``): racks as fixtures, torn down whatever happens.

Three ways, from the simplest:

* ``vrack_rack``: a rack from the ``vrack_spec`` fixture (override it in a test module or conftest),
  with the scope given by ``--vrack-scope`` or the ini option ``vrack_scope`` (default ``module``),
  the mode by ``--vrack-mode`` / ``vrack_mode`` (default ``process``) and the ports by
  ``vrack_ports`` (default ``auto``)::

      @pytest.fixture(scope="module")
      def vrack_spec() -> str:
          return "rack.yaml"

      def test_power(vrack_rack: RackHandle) -> None: ...

* :func:`rack_fixture`: a named fixture with its own spec, scope and mode::

      lab = rack_fixture("rack.yaml", scope="session", mode="inprocess")

* ``vrack_racks``: a factory for racks started inside a test (``vrack_racks.start(spec, ...)``),
  all stopped at the end of the test.

Teardown always stops the rack (pytest runs finalizers after failures and after Ctrl-C; a SIGTERM
to pytest is turned into the same interrupt).  A rack used by a failed test keeps its journal.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, Literal, cast

import pytest

from vrack.testing.rack import Mode, RackHandle, start_rack
from vrack.testing.specinput import Ports

ScopeName = Literal["function", "class", "module", "package", "session"]
SCOPES = ("function", "class", "module", "package", "session")
_KEY = pytest.StashKey[list[RackHandle]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vrack", "vrack racks for tests")
    group.addoption("--vrack-scope", choices=SCOPES, help="scope of the vrack_rack fixture (default: module)")
    group.addoption("--vrack-mode", choices=("process", "inprocess"), help="how vrack_rack runs (default: process)")
    parser.addini("vrack_scope", "scope of the vrack_rack fixture", default="module")
    parser.addini("vrack_mode", "process (a child vrack up) or inprocess", default="process")
    parser.addini("vrack_ports", "auto (free high ports without privilege) or standard", default="auto")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vrack: uses a vrack rack (informational)")
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, _frame: Any) -> None:
    """SIGTERM -> KeyboardInterrupt, so pytest unwinds and every rack fixture's teardown runs."""
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    """While a test that uses a rack runs, SIGTERM interrupts it (a running Twisted reactor, e.g.
    pytest-twisted's, would otherwise take SIGTERM for itself and never get to stop: the test blocks it)."""
    uses_rack = any(isinstance(v, RackHandle | RackFactory) for v in getattr(item, "funcargs", {}).values())
    previous = signal.getsignal(signal.SIGTERM) if uses_rack else None
    if uses_rack:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _scope(fixture_name: str, config: pytest.Config) -> ScopeName:
    scope = config.getoption("--vrack-scope") or config.getini("vrack_scope")
    if scope not in SCOPES:
        raise pytest.UsageError(f"vrack_scope must be one of {', '.join(SCOPES)} (got {scope!r})")
    return cast(ScopeName, scope)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A failed test marks every rack it used as failed, so stopping it keeps its journal."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            racks = [value] if isinstance(value, RackHandle) else list(getattr(value, "racks", []))
            for rack in racks:
                if isinstance(rack, RackHandle):
                    rack.failed = True


@pytest.fixture(scope="session")
def vrack_spec() -> str | Path | dict[str, Any]:
    """The spec of ``vrack_rack``: override this fixture (any scope at least as wide as the rack's)."""
    raise pytest.UsageError("vrack_rack needs a spec: define a fixture named vrack_spec returning a path, YAML or dict")


@pytest.fixture(scope=_scope)
def vrack_rack(request: pytest.FixtureRequest, vrack_spec: Any) -> Iterator[RackHandle]:
    """A rack from ``vrack_spec`` (see the module docstring for scope, mode and ports)."""
    config = request.config
    mode: Mode = config.getoption("--vrack-mode") or config.getini("vrack_mode")
    ports: Ports = config.getini("vrack_ports")
    rack = start_rack(vrack_spec, mode=mode, ports=ports)
    try:
        yield rack
    finally:
        rack.stop()


def rack_fixture(
    spec: str | Path | dict[str, Any],
    *,
    scope: str = "module",
    mode: Mode = "process",
    ports: Ports = "auto",
    timeout: float = 120.0,
) -> Any:
    """A pytest fixture that starts a rack from ``spec`` once per ``scope``; assign it to a module name."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)} (got {scope!r})")

    def fixture() -> Iterator[RackHandle]:
        rack = start_rack(spec, mode=mode, ports=ports, timeout=timeout)
        try:
            yield rack
        finally:
            rack.stop()

    return pytest.fixture(scope=scope)(fixture)  # type: ignore[call-overload]


class RackFactory:
    """``vrack_racks``: start racks inside a test; all are stopped when it ends."""

    def __init__(self) -> None:
        self.racks: list[RackHandle] = []

    def start(self, spec: str | Path | dict[str, Any], **options: Any) -> RackHandle:
        rack = start_rack(spec, **options)
        self.racks.append(rack)
        return rack

    def stop_all(self) -> None:
        errors: list[BaseException] = []
        for rack in reversed(self.racks):
            try:
                rack.stop()
            except Exception as exc:  # stop the others, then report
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def vrack_racks() -> Iterator[RackFactory]:
    """A factory for racks started inside the test (``vrack_racks.start(spec, mode=..., ports=...)``)."""
    factory = RackFactory()
    try:
        yield factory
    finally:
        factory.stop_all()


StartRack = Callable[..., RackHandle]
