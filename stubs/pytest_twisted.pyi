"""Types for the parts of pytest-twisted the tests use (the package ships no annotations)."""

from collections.abc import Callable, Generator
from typing import Any, ParamSpec, TypeVar

from twisted.internet.defer import Deferred

_P = ParamSpec("_P")
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])

def ensureDeferred(f: _F) -> _F: ...
def inlineCallbacks(f: Callable[_P, Generator[Any, Any, _T]]) -> Callable[_P, Deferred[_T]]: ...
def blockon(d: Deferred[_T]) -> _T: ...
