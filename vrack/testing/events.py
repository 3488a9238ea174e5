"""Where the test kit's journal assertions read from (:class:`vrack.testing.assertions.EventSource`).

* :class:`ApiEventSource`: the control API; waiting is its long poll (``wait=``), answered as soon
  as a matching entry is flushed (within 50 ms), so nothing sleeps.
* :class:`JournalEventSource`: an in-process rack's :class:`vrack.journal.Journal`, read in the
  rack's reactor thread; waiting blocks on a condition the journal's listener signals at every
  append.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any
from urllib.parse import urlencode

from twisted.internet.threads import blockingCallFromThread

from vrack.testing.handle import ControlClient

Entry = dict[str, Any]
PAGE = 5000
MAX_POLL = 60


class ApiEventSource:
    """Reads the journal of a rack through its control API."""

    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def last_seq(self) -> int:
        return int(self._client.get("/api/v1/rack")["journal_last_seq"])

    def _query(self, after: int, device: str | None, protocol: str | None, **extra: Any) -> str:
        params: dict[str, Any] = {"after": after, "limit": PAGE, **extra}
        if device is not None:
            params["device"] = device
        if protocol is not None:
            params["protocol"] = protocol
        return "/api/v1/events?" + urlencode(params)

    def read(self, after: int, device: str | None, protocol: str | None) -> list[Entry]:
        entries: list[Entry] = []
        while True:
            page: list[Entry] = self._client.get(self._query(after, device, protocol))["events"]
            entries += page
            if len(page) < PAGE:
                return entries
            after = int(page[-1]["seq"])

    def wait(self, after: int, device: str | None, protocol: str | None, timeout: float) -> list[Entry]:
        wait = min(MAX_POLL, math.ceil(timeout)) if timeout > 0 else 0
        path = self._query(after, device, protocol, wait=wait)
        found: list[Entry] = self._client.call("GET", path, timeout=wait + 30)["events"]
        return found


class JournalEventSource:
    """Reads an in-process rack's journal (which lives in the rack's reactor thread)."""

    def __init__(self, reactor: Any, journal: Any) -> None:
        self._reactor = reactor
        self._journal = journal
        self._appended = threading.Condition()
        self._remove = blockingCallFromThread(reactor, journal.add_listener, self._on_entry)

    def _on_entry(self, _entry: Entry) -> None:
        with self._appended:
            self._appended.notify_all()

    def close(self) -> None:
        self._reactor.callFromThread(self._remove)

    def last_seq(self) -> int:
        return int(self._journal.last_seq)

    def read(self, after: int, device: str | None, protocol: str | None) -> list[Entry]:
        entries: list[Entry] = blockingCallFromThread(
            self._reactor, self._journal.entries, after, device, None, protocol
        )
        return entries

    def wait(self, after: int, device: str | None, protocol: str | None, timeout: float) -> list[Entry]:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.last_seq()
            found = self.read(after, device, protocol)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0:
                return found
            self._wait_past(seen, remaining)

    def _wait_past(self, seen: int, timeout: float) -> None:
        """Block until an entry after ``seen`` is appended, at most ``timeout`` seconds."""
        with self._appended:
            self._appended.wait_for(lambda: self.last_seq() > seen, timeout=timeout)
