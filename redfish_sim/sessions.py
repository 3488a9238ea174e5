"""SessionService state: X-Auth-Token sessions with a limit and an idle expiry, on an injected clock.

Tokens come from ``secrets`` (security, not device behaviour, so not derived from the rack seed); session
ids are a counter so URIs are the same on every run.  A session ends when it is deleted, when it has been
idle for ``timeout`` seconds, when its account is deleted, disabled or renamed, or when the BMC restarts.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

DEFAULT_TIMEOUT = 1800.0
MIN_TIMEOUT, MAX_TIMEOUT = 30, 86400


class Clock(Protocol):
    def seconds(self) -> float: ...


@dataclass
class Session:
    session_id: str
    token: str
    user: str
    slot: int
    created: float
    last_used: float


class SessionStore:
    """At most ``limit`` live sessions; ``timeout`` seconds of inactivity end one."""

    def __init__(self, clock: Clock, limit: int = 16, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._clock = clock
        self.limit = limit
        self.timeout = timeout
        self._sessions: dict[str, Session] = {}
        self._next_id = 1

    def _purge(self) -> None:
        now = self._clock.seconds()
        for sid in [s.session_id for s in self._sessions.values() if now - s.last_used > self.timeout]:
            del self._sessions[sid]

    def full(self) -> bool:
        self._purge()
        return len(self._sessions) >= self.limit

    def create(self, user: str, slot: int) -> Session:
        """A new session; callers check :meth:`full` first."""
        now = self._clock.seconds()
        session = Session(str(self._next_id), secrets.token_hex(16), user, slot, now, now)
        self._next_id += 1
        self._sessions[session.session_id] = session
        return session

    def by_token(self, token: str) -> Session | None:
        """The live session holding ``token`` (its idle timer restarts), else None."""
        self._purge()
        found = None
        for session in self._sessions.values():
            if hmac.compare_digest(session.token, token):
                found = session
        if found is not None:
            found.last_used = self._clock.seconds()
        return found

    def get(self, session_id: str) -> Session | None:
        self._purge()
        return self._sessions.get(session_id)

    def delete(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    def drop_slot(self, slot: int) -> None:
        """End every session of the account in user slot ``slot``."""
        for sid in [s.session_id for s in self._sessions.values() if s.slot == slot]:
            del self._sessions[sid]

    def clear(self) -> None:
        self._sessions.clear()

    def __iter__(self) -> Iterator[Session]:
        self._purge()
        return iter(list(self._sessions.values()))

    def __len__(self) -> int:
        self._purge()
        return len(self._sessions)
