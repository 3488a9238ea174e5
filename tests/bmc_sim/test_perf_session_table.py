"""SessionTable.expire looks at its sessions only when one can be due, and expires exactly what a full scan would."""

from __future__ import annotations

import random

import pytest

from bmc_sim.config import AuthType15
from bmc_sim.session_table import Challenge, Session, SessionState, SessionTable


def _session(sid: int, state: SessionState, at: float) -> Session:
    return Session(sid, sid, ("127.20.77.9", 1), "lanplus", state, at, at)


class FullScan:
    """The reference: every call looks at every session and challenge (what expire did before the bound)."""

    def __init__(self, timeout: float, handshake_timeout: float) -> None:
        self.timeout = timeout
        self.handshake_timeout = handshake_timeout
        self.sessions: dict[int, tuple[Session, bool]] = {}  # id -> (session, active)
        self.challenges: dict[int, float] = {}

    def expire(self, now: float) -> tuple[set[int], int]:
        limit, handshake_limit = now - self.timeout, now - self.handshake_timeout
        gone = {
            sid
            for sid, (s, active) in self.sessions.items()
            if s.last_activity <= (limit if active else handshake_limit)
        }
        active = {sid for sid in gone if self.sessions[sid][1]}
        for sid in gone:
            del self.sessions[sid]
        for cid in [cid for cid, created in self.challenges.items() if created <= handshake_limit]:
            del self.challenges[cid]
        return active, len(gone) - len(active)


@pytest.mark.parametrize("seed", range(12))
def test_expire_matches_a_full_scan_under_random_traffic(seed: int) -> None:
    """Random logins, handshakes, challenges, requests (touching last_activity) and time steps, mostly forward
    but sometimes back (wall-clock reactor time may jump): every expire call returns what a full scan returns."""
    rng = random.Random(seed)
    timeout = rng.choice([1.0, 5.0, 60.0])
    handshake_timeout = rng.choice([timeout, timeout / 6, 10.0])
    table = SessionTable(64, timeout, handshake_timeout=handshake_timeout, pending_limit=10_000)
    reference = FullScan(timeout, handshake_timeout)
    mirror: dict[int, Session] = {}  # the reference's own copies
    now, next_id = 1000.0, 1
    for _ in range(3000):
        if rng.random() > 0.03:
            now += rng.choice([0.0, 0.01, 0.3, timeout / 3, timeout])
        else:
            now -= rng.uniform(0, 2 * timeout)
        expired, abandoned = table.expire(now)
        expected_active, expected_abandoned = reference.expire(now)
        assert ({s.bmc_session_id for s in expired}, abandoned) == (expected_active, expected_abandoned)
        for sid in expected_active | {sid for sid in list(mirror) if sid not in reference.sessions}:
            mirror.pop(sid, None)
        action = rng.random()
        if action < 0.15:
            session = _session(next_id, SessionState.ACTIVE, now)
            table.activate(session)
            reference.sessions[next_id] = (_session(next_id, SessionState.ACTIVE, now), True)
            mirror[next_id] = session
            next_id += 1
        elif action < 0.25:
            table.add_pending(_session(next_id, SessionState.AWAIT_RAKP3, now))
            reference.sessions[next_id] = (_session(next_id, SessionState.AWAIT_RAKP3, now), False)
            next_id += 1
        elif action < 0.32:
            table.add_challenge(Challenge(next_id, b"c" * 16, AuthType15.MD5, 2, "admin", ("127.20.77.9", 1), now))
            reference.challenges[next_id] = now
            next_id += 1
        elif mirror:  # a request in a live session: the session layer sets last_activity to this datagram's now
            sid = rng.choice(sorted(mirror))
            if table.get(sid) is not None:
                table.get(sid).last_activity = now  # type: ignore[union-attr]
                reference.sessions[sid][0].last_activity = now
    assert {s.bmc_session_id for s in table} == set(reference.sessions)


def test_a_session_busy_until_just_before_the_timeout_is_kept_then_expires_on_time() -> None:
    table = SessionTable(4, 60.0)
    early, busy = _session(1, SessionState.ACTIVE, 0.0), _session(2, SessionState.ACTIVE, 0.0)
    table.activate(early)
    table.activate(busy)
    for now in (10.0, 30.0, 59.0):
        assert table.expire(now) == ([], 0)
        busy.last_activity = now
    assert table.expire(60.0) == ([early], 0)
    assert table.expire(118.9) == ([], 0)
    assert table.expire(119.0) == ([busy], 0) and list(table) == []


def test_time_stepping_back_does_not_delay_expiry() -> None:
    """After the clock steps back, a session touched at the earlier time still expires a timeout after it."""
    table = SessionTable(4, 10.0)
    session = _session(1, SessionState.ACTIVE, 100.0)
    table.activate(session)
    assert table.expire(50.0) == ([], 0)  # the reactor's wall clock went back 50 s
    session.last_activity = 50.0
    assert table.expire(59.9) == ([], 0)
    assert table.expire(60.0) == ([session], 0)


@pytest.mark.parametrize("kind", ["active", "pending", "challenge"])
def test_entries_added_without_an_expire_call_first_still_expire(kind: str) -> None:
    """The table learns the times of what is added to it, not only from expire's ``now``."""
    table = SessionTable(4, 10.0)
    if kind == "active":
        table.activate(_session(1, SessionState.ACTIVE, 5.0))
    elif kind == "pending":
        table.add_pending(_session(1, SessionState.AWAIT_RAKP1, 5.0))
    else:
        table.add_challenge(Challenge(1, b"c" * 16, AuthType15.MD5, 2, "admin", ("127.20.77.9", 1), 5.0))
    assert table.expire(14.9) == ([], 0) and (table.get(1) or table.challenge(1)) is not None
    table.expire(15.0)
    assert table.get(1) is None and table.challenge(1) is None
