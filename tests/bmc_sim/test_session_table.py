"""bmc_sim.session_table: the replay window, session IDs, limits and expiry."""

from __future__ import annotations

import itertools

import pytest

from bmc_sim.session_table import Challenge, ReplayWindow, Session, SessionState, SessionTable


def test_replay_window_accepts_each_number_once() -> None:
    window = ReplayWindow()
    assert [window.accept(n) for n in (5, 6, 6, 8, 7, 7, 5)] == [True, True, False, True, True, False, False]


def test_replay_window_limits() -> None:
    """Behind by the window size or more, ahead by more than it, or zero: rejected (IPMI 2.0 6.12.13)."""
    window = ReplayWindow(size=16)
    assert window.accept(100)
    assert not window.accept(0)
    assert not window.accept(84)  # 16 behind
    assert window.accept(85)  # 15 behind, never seen
    assert not window.accept(117)  # 17 ahead
    assert window.accept(116)  # 16 ahead


def test_replay_window_wraps_at_32_bits() -> None:
    window = ReplayWindow()
    assert window.accept(0xFFFFFFFE) and window.accept(0xFFFFFFFF) and window.accept(1)
    assert not window.accept(0xFFFFFFFF)


def test_replay_window_with_an_expected_start() -> None:
    """IPMI 1.5: the BMC names the first inbound number; the window opens just below it."""
    window = ReplayWindow(size=8, expected=1000)
    assert not window.accept(990)
    assert window.accept(1000) and window.accept(1001) and not window.accept(1000)


def _session(sid: int, state: SessionState = SessionState.ACTIVE, at: float = 0.0) -> Session:
    return Session(sid, sid + 1, ("127.20.0.9", 1), "lanplus", state, at, at)


def test_new_session_ids_are_non_zero_and_unused() -> None:
    ids = itertools.chain([0, 7, 7, 0x1_0000_0000], itertools.count(8))
    table = SessionTable(4, 60.0, id_source=lambda: next(ids))
    first = table.new_session_id()
    assert first == 7
    table.add_pending(_session(first, SessionState.AWAIT_RAKP1))
    assert table.new_session_id() == 8  # 7 is taken, 2**32 wraps to 0


def test_pending_handshakes_are_capped_without_touching_active_sessions() -> None:
    table = SessionTable(2, 60.0, pending_limit=2)
    table.activate(_session(1))
    for sid, at in ((2, 1.0), (3, 2.0), (4, 3.0)):
        table.add_pending(_session(sid, SessionState.AWAIT_RAKP1, at))
    assert table.get(2) is None and table.get(3) is not None and table.get(4) is not None
    assert table.active_count() == 1 and not table.is_full()


def test_pending_handshakes_are_capped_at_twice_the_session_limit_by_default() -> None:
    table = SessionTable(2, 60.0)
    for sid in range(1, 6):
        table.add_pending(_session(sid, SessionState.AWAIT_RAKP3, float(sid)))
    assert [s.bmc_session_id for s in table] == [2, 3, 4, 5]


def test_handshakes_and_challenges_expire_after_the_handshake_timeout_sessions_after_theirs() -> None:
    table = SessionTable(4, 60.0, handshake_timeout=5.0)
    table.activate(_session(1, at=0.0))
    table.add_pending(_session(2, SessionState.AWAIT_RAKP1, at=0.0))
    refused = _session(3, SessionState.REFUSED, at=1.0)
    table.add_pending(refused)
    table.add_challenge(Challenge(9, b"c" * 16, 2, 2, "admin", ("127.20.0.9", 1), 0.0))  # type: ignore[arg-type]
    assert table.expire(4.9) == ([], 0)
    assert table.expire(5.0) == ([], 1) and table.challenge(9) is None and table.get(3) is refused
    assert table.expire(6.0) == ([], 1) and [s.bmc_session_id for s in table] == [1]
    expired, abandoned = table.expire(60.0)
    assert [s.bmc_session_id for s in expired] == [1] and abandoned == 0


def test_active_sessions_get_distinct_handles() -> None:
    table = SessionTable(3, 60.0)
    for sid in (10, 11, 12):
        table.activate(_session(sid))
    handles = [s.handle for s in table.active()]
    assert handles == [1, 2, 3] and table.is_full()


def test_expiry_drops_idle_sessions_and_challenges() -> None:
    table = SessionTable(4, 60.0)
    table.activate(_session(1, at=0.0))
    table.activate(_session(2, at=30.0))
    table.add_pending(_session(3, SessionState.AWAIT_RAKP3, at=0.0))
    table.add_challenge(Challenge(9, b"c" * 16, 2, 2, "admin", ("127.20.0.9", 1), 0.0))  # type: ignore[arg-type]
    expired, abandoned = table.expire(59.9)
    assert (expired, abandoned) == ([], 0)
    expired, abandoned = table.expire(60.0)
    assert [s.bmc_session_id for s in expired] == [1] and abandoned == 1
    assert table.challenge(9) is None and table.get(2) is not None


@pytest.mark.parametrize(("start", "expected"), [(1, 2), (0xFFFFFFFF, 1)])
def test_outbound_sequence_skips_zero(start: int, expected: int) -> None:
    session = _session(1)
    session.outbound_sequence = start
    assert session.next_outbound_sequence() == expected
