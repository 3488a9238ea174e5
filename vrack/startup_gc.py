"""Python's cyclic garbage collector while a rack starts.

Building a rack makes millions of objects that live as long as the rack.  Left alone, the collector's
full passes rescan all of them each time the heap has grown by a quarter, so the passes grow with the
rack: at 10,000 nodes they were half of start-up (9.9 s against 4.8 s with the collector off).

While a rack builds and binds its devices, :class:`StartupCollector` turns automatic collection off.
Every ``batch`` devices it collects the objects made since the last batch (the young generation only,
so each object is looked at once: the cycles a batch left behind, such as pysnmp's exceptions, are freed)
and freezes the survivors (:func:`gc.freeze`), so no later pass scans them again.  When the last of the
collectors of racks starting at once exits, automatic collection is back as the first one found it.
:func:`release_frozen` (called when a rack stops) makes the frozen objects collectable again, so a process
that starts and stops many racks (a test session) does not keep them.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

BATCH = 250  # devices (each counted when built and when bound) between collections

_lock = threading.Lock()
_active = 0  # collectors inside their context (racks starting at once, e.g. in-process racks on threads)
_was_enabled = True  # the collector's state when the first of them entered


class StartupCollector:
    """Batch collections while a rack starts; use as a context manager and call :meth:`device_done`."""

    def __init__(self, batch: int = BATCH) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self.batch = batch
        self.collections = 0
        self._since = 0

    def __enter__(self) -> StartupCollector:
        global _active, _was_enabled
        with _lock:
            if _active == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _active += 1
        return self

    def device_done(self) -> None:
        """One device built or bound: every ``batch`` of them, collect the young objects and freeze."""
        self._since += 1
        if self._since >= self.batch:
            self._settle()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        global _active
        self._settle()
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:  # the last one out restores what the first one found
                gc.enable()

    def _settle(self) -> None:
        gc.collect(0)
        gc.freeze()
        self.collections += 1
        self._since = 0


def release_frozen() -> None:
    """Return every frozen object to the collector (a rack stopped: its objects may now be garbage)."""
    gc.unfreeze()
