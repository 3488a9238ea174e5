"""How much an unauthenticated sender may write to the journal (issue 14 finding 5).

Every refused handshake or dropped packet is a journal line, and a sender needs no password to cause
one.  :class:`RefusalLimiter` lets the first ``burst`` refusals from one peer address per ``window``
seconds through as they are, counts the rest, and when the window ends writes one summary line per
peer (``ipmi``/``refusals-suppressed`` with the count per outcome).  User names from refused requests
are cut to what IPMI allows (16 bytes), so a sender chooses at most a few bytes of each line.
Windows run on the rack's clock, so the same traffic gives the same journal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

MAX_NAME = 16  # IPMI user names are at most 16 bytes; longer ones are cut in the journal
BURST = 10
WINDOW = 10.0


def shown_name(name: str) -> str:
    """A refused request's user name as the journal shows it: at most 16 characters, marked when cut."""
    return name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"


class RefusalLimiter:
    """Per peer address: ``burst`` refusals per ``window`` seconds journalled, the rest summarised."""

    def __init__(
        self,
        reactor: Any,
        summarise: Callable[[str, int, dict[str, int]], None],
        burst: int = BURST,
        window: float = WINDOW,
    ) -> None:
        self._reactor = reactor
        self._summarise = summarise
        self.burst = burst
        self.window = window
        self._seen: dict[str, int] = {}
        self._suppressed: dict[str, Counter[str]] = {}
        self._timer: Any = None

    def admit(self, address: str, outcome: str) -> bool:
        """True when this refusal from ``address`` is journalled as it is; False when it is only counted."""
        if self._timer is None:
            self._timer = self._reactor.callLater(self.window, self._window_ended)
        seen = self._seen.get(address, 0) + 1
        self._seen[address] = seen
        if seen <= self.burst:
            return True
        self._suppressed.setdefault(address, Counter())[outcome] += 1
        return False

    def _window_ended(self) -> None:
        self._timer = None
        suppressed, self._suppressed = self._suppressed, {}
        self._seen.clear()
        for address in sorted(suppressed):
            counts = suppressed[address]
            self._summarise(address, sum(counts.values()), dict(sorted(counts.items())))

    def flush(self) -> None:
        """Write the pending summaries now (the device stops)."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._window_ended()
