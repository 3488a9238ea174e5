"""Session state of one BMC: sessions, pending handshakes, IPMI 1.5 challenges, replay windows.

No I/O and no clock of its own: callers pass ``now`` (reactor seconds) so
expiry is deterministic under a fake clock.  Session IDs and challenges come
from :mod:`secrets` (security, not behaviour).  Passwords and keys are not
stored here except the derived session keys, which never appear in ``repr``.
"""

from __future__ import annotations

import enum
import math
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bmc_sim.config import AuthType15, Privilege
from bmc_sim.crypto import CipherSuite, SessionCrypto, SessionKeys
from bmc_sim.message import RequestContext

REPLAY_WINDOW_20 = 16  # IPMI 2.0 section 6.12.13
REPLAY_WINDOW_15 = 8  # IPMI 1.5 section 6.12.12
_U32 = 1 << 32
EARLY = 0.001  # SessionTable.check_after is this much before the first time something can be due


class ReplayWindow:
    """Sliding window over inbound session sequence numbers.

    A number is accepted once if it is ahead of the highest seen by at most
    ``size``, or behind it by less than ``size`` and not seen before.  Zero is
    never accepted (it is reserved for pre-session messages).  With no
    ``expected`` start the first non-zero number opens the window.
    """

    def __init__(self, size: int = REPLAY_WINDOW_20, expected: int | None = None) -> None:
        self.size = size
        self._highest: int | None = None if expected is None else (expected - 1) % _U32
        self._seen = 0  # bit i set: highest - i was received

    def accept(self, sequence: int) -> bool:
        """Record ``sequence`` and say whether the packet carrying it may be processed."""
        if sequence == 0:
            return False
        if self._highest is None:
            self._highest, self._seen = sequence, 1
            return True
        delta = (sequence - self._highest + _U32 // 2) % _U32 - _U32 // 2
        if 0 < delta <= self.size:
            self._highest = sequence
            self._seen = ((self._seen << delta) | 1) & ((1 << self.size) - 1)
            return True
        if -self.size < delta <= 0:
            bit = 1 << -delta
            if self._seen & bit:
                return False
            self._seen |= bit
            return True
        return False


class SessionState(enum.Enum):
    AWAIT_RAKP1 = "await-rakp1"
    AWAIT_RAKP3 = "await-rakp3"
    ACTIVE = "active"
    # A handshake answered with an error status, kept until the handshake timeout so that the
    # client's retransmissions get the same refusal (not "invalid session ID").
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One handshake request (its bytes after the message tag) and the reply the BMC sent for it.

    Clients retransmit Open Session, RAKP 1 and RAKP 3 with a new message tag
    (FreeIPMI counts the tag up on every send), so a retransmission is the same
    request with any tag; it is answered with the same reply under its own tag
    (IPMI 2.0 section 13.17: the BMC echoes the tag so the console can match
    replies to requests).  Every handshake payload starts with the tag.
    """

    request: bytes
    reply: bytes

    @classmethod
    def of(cls, payload: bytes, reply: bytes) -> Exchange:
        return cls(payload[1:], reply)

    def answer(self, payload: bytes) -> bytes | None:
        """The reply again, under ``payload``'s tag, if ``payload`` repeats this request; else None."""
        if payload[1:] != self.request:
            return None
        return payload[:1] + self.reply[1:]


@dataclass(frozen=True, slots=True)
class Activation:
    """What an IPMI 1.5 Activate Session was answered with, to answer its retransmissions alike."""

    challenge: bytes
    reply_data: bytes
    sequence: int


@dataclass(eq=False)
class Session:
    """One IPMI session (``interface`` "lanplus" for RMCP+, "lan" for IPMI 1.5) or pending handshake.

    ``bmc_session_id`` is the ID the console puts in its packets;
    ``console_session_id`` the one the BMC puts in replies (equal for 1.5).
    """

    bmc_session_id: int
    console_session_id: int
    peer: tuple[str, int]
    interface: str
    state: SessionState
    created: float
    last_activity: float
    handle: int = 0
    suite: CipherSuite | None = None
    auth_type_15: AuthType15 = AuthType15.NONE
    user_id: int = 0
    user_name: str = ""
    max_privilege: Privilege = Privilege.USER
    privilege: Privilege = Privilege.USER
    open_tag: int = 0
    console_random: bytes = b""
    bmc_random: bytes = b""
    role: int = 0
    username: bytes = b""
    keys: SessionKeys | None = field(default=None, repr=False)
    inbound: ReplayWindow = field(default_factory=ReplayWindow, repr=False)
    outbound_sequence: int = 0
    # Each handshake step's request and reply ("open", "rakp1", "rakp3"), to answer retransmissions alike.
    exchanges: dict[str, Exchange] = field(default_factory=dict, repr=False)
    refused_as: str = ""  # the outcome a REFUSED handshake was answered with
    activation: Activation | None = field(default=None, repr=False)
    # Per-session caches of the request path (rebuilt when what they derive from changes).
    _crypto: tuple[SessionKeys, SessionCrypto] | None = field(default=None, init=False, repr=False)
    context: RequestContext | None = field(default=None, init=False, repr=False)

    @property
    def crypto(self) -> SessionCrypto:
        """The keyed integrity/confidentiality transforms of an RMCP+ session with ``suite`` and ``keys`` set."""
        cached, keys = self._crypto, self.keys
        if cached is not None and cached[0] is keys:
            return cached[1]
        assert self.suite is not None and keys is not None, "only RMCP+ sessions with keys have session crypto"
        crypto = SessionCrypto(self.suite, keys)
        self._crypto = (keys, crypto)
        return crypto

    def next_outbound_sequence(self) -> int:
        """Advance and return the BMC's outbound session sequence number (never 0)."""
        self.outbound_sequence = (self.outbound_sequence + 1) % _U32 or 1
        return self.outbound_sequence


@dataclass(eq=False)
class Challenge:
    """An IPMI 1.5 Get Session Challenge awaiting its Activate Session."""

    session_id: int
    challenge: bytes
    auth_type: AuthType15
    user_id: int
    user_name: str
    peer: tuple[str, int]
    created: float


def _random_session_id() -> int:
    return secrets.randbits(32)


class SessionTable:
    """Active sessions (at most ``limit``), pending handshakes and 1.5 challenges of one BMC.

    Pending handshakes (and refused ones kept for retransmissions) are kept
    apart from the limit but capped at ``pending_limit`` (default twice
    ``limit``; the least recently used is dropped), and challenges at ``limit``,
    so stale half-open logins never lock users out.  Active sessions expire
    after ``timeout`` seconds idle; handshakes and challenges after
    ``handshake_timeout`` (default ``timeout``), as real BMCs time out a
    session setup sooner than a session.

    Sessions' ``last_activity`` may only be set to the ``now`` of the latest
    :meth:`expire` call or later (the session layer calls ``expire(now)`` first
    for every datagram): the table keeps a lower bound of the times when
    something can be due so that :meth:`expire` looks at the sessions only then.
    :attr:`check_after` is that time less a millisecond: before it a caller
    may skip :meth:`expire` altogether (the session layer does, per datagram).
    """

    def __init__(
        self,
        limit: int,
        timeout: float,
        id_source: Callable[[], int] = _random_session_id,
        *,
        handshake_timeout: float | None = None,
        pending_limit: int | None = None,
    ) -> None:
        self.limit = limit
        self.refuse_new = False  # a fault: every slot held elsewhere, new sessions refused
        # handshakes dropped by expire() while waiting for RAKP 3: the client stopped after RAKP 2 (it checks
        # the BMC's HMAC with its password, so most likely the password was wrong); the endpoint drains it
        self.abandoned_after_rakp2: list[Session] = []
        self.timeout = timeout
        self.handshake_timeout = timeout if handshake_timeout is None else handshake_timeout
        self.pending_limit = 2 * limit if pending_limit is None else pending_limit
        self._shortest = min(self.timeout, self.handshake_timeout)
        self._id_source = id_source
        self._sessions: dict[int, Session] = {}
        self._challenges: dict[int, Challenge] = {}
        self._next_handle = 1
        # lower bounds of the last_activity of active sessions, and of pending handshakes' and challenges' times
        self._oldest_active = math.inf
        self._oldest_handshake = math.inf
        self.check_after = math.inf

    def _bounds_changed(self) -> None:
        """Recompute :attr:`check_after` (a millisecond early: expire() itself compares exactly as it always did)."""
        self.check_after = min(self._oldest_active + self.timeout, self._oldest_handshake + self.handshake_timeout)
        self.check_after -= EARLY

    # ------------------------------------------------------------------ ids

    def new_session_id(self) -> int:
        """A fresh non-zero session ID unused by any session or challenge."""
        while True:
            candidate = self._id_source() % _U32
            if candidate and candidate not in self._sessions and candidate not in self._challenges:
                return candidate

    def _new_handle(self) -> int:
        used = {s.handle for s in self._sessions.values()}
        for _ in range(255):
            handle, self._next_handle = self._next_handle, self._next_handle % 255 + 1
            if handle not in used:
                return handle
        raise RuntimeError("no free session handle")  # unreachable: the limit is far below 255

    # ------------------------------------------------------------------ sessions

    def add_pending(self, session: Session) -> None:
        """Add a session still in its handshake, evicting the least recently used pending one if at the cap."""
        pending = [s for s in self._sessions.values() if s.state != SessionState.ACTIVE]
        if len(pending) >= self.pending_limit:
            oldest = min(pending, key=lambda s: s.last_activity)
            del self._sessions[oldest.bmc_session_id]
        self._sessions[session.bmc_session_id] = session
        self._oldest_handshake = min(self._oldest_handshake, session.last_activity)
        self._bounds_changed()

    def activate(self, session: Session) -> None:
        """Mark ``session`` active (it must already be in the table or is added) and give it a handle."""
        session.state = SessionState.ACTIVE
        session.handle = self._new_handle()
        self._sessions[session.bmc_session_id] = session
        self._oldest_active = min(self._oldest_active, session.last_activity)
        self._bounds_changed()

    def get(self, session_id: int) -> Session | None:
        return self._sessions.get(session_id)

    def remove(self, session: Session) -> None:
        self._sessions.pop(session.bmc_session_id, None)

    def clear(self) -> int:
        """Forget every session and challenge (the BMC restarted); return how many sessions were dropped."""
        dropped = len(self._sessions)
        self._sessions.clear()
        self._challenges.clear()
        return dropped

    def find_opened(self, peer: tuple[str, int], console_session_id: int) -> Session | None:
        """The newest RMCP+ session or handshake that ``peer`` opened with ``console_session_id``, if any."""
        found: Session | None = None
        for session in self._sessions.values():
            if (
                session.console_session_id == console_session_id
                and session.peer == peer
                and session.interface == "lanplus"
                and (found is None or session.created >= found.created)
            ):
                found = session
        return found

    def active(self) -> list[Session]:
        """Active sessions ordered by handle."""
        return sorted((s for s in self._sessions.values() if s.state == SessionState.ACTIVE), key=lambda s: s.handle)

    def active_count(self) -> int:
        return sum(1 for s in self._sessions.values() if s.state == SessionState.ACTIVE)

    def is_full(self) -> bool:
        """No slot for another session: the limit is reached, or slots are held elsewhere (``refuse_new``)."""
        return self.refuse_new or self.active_count() >= self.limit

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    # ------------------------------------------------------------------ IPMI 1.5 challenges

    def add_challenge(self, challenge: Challenge) -> None:
        if len(self._challenges) >= self.limit:
            oldest = min(self._challenges.values(), key=lambda c: c.created)
            del self._challenges[oldest.session_id]
        self._challenges[challenge.session_id] = challenge
        self._oldest_handshake = min(self._oldest_handshake, challenge.created)
        self._bounds_changed()

    def challenge(self, session_id: int) -> Challenge | None:
        return self._challenges.get(session_id)

    def pop_challenge(self, session_id: int) -> Challenge | None:
        return self._challenges.pop(session_id, None)

    # ------------------------------------------------------------------ expiry

    def expire(self, now: float) -> tuple[list[Session], int]:
        """Drop what is idle too long; returns expired active sessions and the count of dropped handshakes.

        Handshakes dropped while waiting for RAKP 3 are also appended to :attr:`abandoned_after_rakp2`.

        Looks at the sessions only when the oldest activity time it knows of is
        due, so a datagram costs O(1) here in the common case.
        """
        active_limit, handshake_limit = now - self.timeout, now - self.handshake_timeout
        if self._oldest_active > active_limit and self._oldest_handshake > handshake_limit:
            # times set until the next call are at least ``now``
            self._oldest_active = min(self._oldest_active, now)
            self._oldest_handshake = min(self._oldest_handshake, now)
            self._bounds_changed()
            return [], 0
        expired = [
            s
            for s in self._sessions.values()
            if s.last_activity <= (active_limit if s.state == SessionState.ACTIVE else handshake_limit)
        ]
        for session in expired:
            del self._sessions[session.bmc_session_id]
            if session.state == SessionState.AWAIT_RAKP3:
                self.abandoned_after_rakp2.append(session)
        for challenge in [c for c in self._challenges.values() if c.created <= handshake_limit]:
            del self._challenges[challenge.session_id]
        active_times = [s.last_activity for s in self._sessions.values() if s.state == SessionState.ACTIVE]
        handshake_times = [s.last_activity for s in self._sessions.values() if s.state != SessionState.ACTIVE]
        handshake_times += [c.created for c in self._challenges.values()]
        self._oldest_active = min(now, min(active_times, default=now))
        self._oldest_handshake = min(now, min(handshake_times, default=now))
        self._bounds_changed()
        active = [s for s in expired if s.state == SessionState.ACTIVE]
        return active, len(expired) - len(active)
