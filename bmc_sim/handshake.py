"""RMCP+ session establishment: Open Session, RAKP 1/2 and RAKP 3/4 (IPMI 2.0 sections 13.17-13.31).

:class:`RmcpPlusHandshake` turns each handshake payload into the reply payload
plus an outcome string (``"ok"`` or why it was refused) for the session
layer's records.  Refusals are answered with a status code so clients fail
fast (unknown user: RAKP 2 status 0x0D; bad RAKP 3 auth code: RAKP 4 status
0x0F) and the half-open session is kept only as that refusal.

Retransmissions are answered as real BMCs do: a request repeating one already
answered (the same bytes after the message tag, which clients such as FreeIPMI
count up on every send) gets the same reply again under its own tag, and
changes nothing.  That holds for an Open Session Request again from the same
console address and console session ID while that handshake is under way, a
RAKP 1 again (same session, console random number, role and name), a RAKP 3
again after it activated the session, and a refused RAKP 1 or RAKP 3 again
(the same refusal, until the handshake timeout).  So a reply lost or slowed
down by load costs the client a retransmission, never its login.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bmc_sim.config import BmcConfig, Privilege
from bmc_sim.crypto import (
    AuthAlgorithm,
    CipherSuite,
    ConfidentialityAlgorithm,
    IntegrityAlgorithm,
    derive_session_keys,
    enabled_suites,
    rakp2_auth_code,
    rakp3_auth_code,
    rakp4_integrity_check_value,
    session_integrity_key,
)
from bmc_sim.rmcpplus import (
    RANDOM_NUMBER_LENGTH,
    ROLE_NAME_ONLY_LOOKUP,
    ROLE_PRIVILEGE_MASK,
    OpenSessionResponse,
    Rakp2,
    Rakp4,
    RakpStatus,
    decode_open_session_request,
    decode_rakp1,
    decode_rakp3,
    encode_open_session_response,
    encode_rakp2,
    encode_rakp4,
)
from bmc_sim.session_table import Exchange, ReplayWindow, Session, SessionState, SessionTable
from bmc_sim.users import NAME_LENGTH, UserStore
from bmc_sim.wire import PayloadType


@dataclass(frozen=True, slots=True)
class StepResult:
    """The reply to one handshake message (``None``: send nothing) and what happened."""

    reply: bytes | None
    reply_type: PayloadType
    outcome: str
    user_name: str = ""
    session: Session | None = None
    opened: bool = False
    repeated: bool = False  # the reply to a retransmission, answered again


_AUTH_VALUES = frozenset(a.value for a in AuthAlgorithm)
_INTEGRITY_VALUES = frozenset(i.value for i in IntegrityAlgorithm)
_CONFIDENTIALITY_VALUES = frozenset(c.value for c in ConfidentialityAlgorithm)


def choose_suite(
    suites: Sequence[CipherSuite], auth: int | None, integrity: int | None, confidentiality: int | None
) -> CipherSuite | RakpStatus:
    """The enabled suite matching a proposal (``None`` = any), or the status explaining why none does.

    Among several matches (wildcards) the strongest wins: encryption, then
    integrity, then the stronger RAKP hash.
    """
    if auth is not None and auth not in _AUTH_VALUES:
        return RakpStatus.INVALID_AUTHENTICATION_ALGORITHM
    if integrity is not None and integrity not in _INTEGRITY_VALUES:
        return RakpStatus.INVALID_INTEGRITY_ALGORITHM
    if confidentiality is not None and confidentiality not in _CONFIDENTIALITY_VALUES:
        return RakpStatus.INVALID_CONFIDENTIALITY_ALGORITHM
    matches = [s for s in suites if auth is None or s.auth == auth]
    if not matches:
        return RakpStatus.NO_MATCHING_AUTHENTICATION_PAYLOAD
    matches = [s for s in matches if integrity is None or s.integrity == integrity]
    if not matches:
        return RakpStatus.NO_MATCHING_INTEGRITY_PAYLOAD
    matches = [s for s in matches if confidentiality is None or s.confidentiality == confidentiality]
    if not matches:
        return RakpStatus.NO_CIPHER_SUITE_MATCH
    return max(matches, key=lambda s: (s.confidentiality != 0, s.integrity != 0, s.auth))


def _name(username: bytes) -> str:
    return username.decode("utf-8", errors="replace")


class RmcpPlusHandshake:
    """Runs the RMCP+ handshake for one BMC against its user table and session table."""

    def __init__(
        self,
        config: BmcConfig,
        users: UserStore,
        table: SessionTable,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._config = config
        self._users = users
        self._table = table
        self._random = random_bytes
        self._suites = enabled_suites(config.cipher_suites)
        self._guid = config.identity.system_guid.bytes_le

    @property
    def suites(self) -> tuple[CipherSuite, ...]:
        return self._suites

    # ------------------------------------------------------------------ Open Session

    def open_session(self, payload: bytes, peer: tuple[str, int], now: float) -> StepResult:
        """Answer an Open Session Request; on success a pending session awaits RAKP 1."""
        request = decode_open_session_request(payload)
        earlier = self._table.find_opened(peer, request.console_session_id)
        if earlier is not None and earlier.state not in _DONE:  # a console reusing its ID later gets a new session
            again = _answer_again(earlier, "open", payload, now)
            if again is not None:
                return StepResult(again, PayloadType.OPEN_SESSION_RESPONSE, "ok", session=earlier, repeated=True)
            self._table.remove(earlier)  # the console started over with other parameters

        def refuse(status: RakpStatus, outcome: str) -> StepResult:
            response = OpenSessionResponse(request.tag, status, 0, request.console_session_id)
            return StepResult(encode_open_session_response(response), PayloadType.OPEN_SESSION_RESPONSE, outcome)

        if request.console_session_id == 0:
            return refuse(RakpStatus.ILLEGAL_PARAMETER, "invalid-session")
        if request.requested_privilege > Privilege.OEM:
            return refuse(RakpStatus.INVALID_ROLE, "invalid-role")
        suite = choose_suite(
            self._suites, request.auth_algorithm, request.integrity_algorithm, request.confidentiality_algorithm
        )
        if isinstance(suite, RakpStatus):
            return refuse(suite, "no-matching-cipher")
        if self._table.is_full():
            return refuse(RakpStatus.INSUFFICIENT_RESOURCES, "session-limit")
        max_privilege = Privilege(request.requested_privilege or Privilege.ADMINISTRATOR)
        session = Session(
            bmc_session_id=self._table.new_session_id(),
            console_session_id=request.console_session_id,
            peer=peer,
            interface="lanplus",
            state=SessionState.AWAIT_RAKP1,
            created=now,
            last_activity=now,
            suite=suite,
            max_privilege=max_privilege,
            open_tag=request.tag,
        )
        response = OpenSessionResponse(
            request.tag,
            RakpStatus.NO_ERRORS,
            max_privilege,
            request.console_session_id,
            session.bmc_session_id,
            suite.auth,
            suite.integrity,
            suite.confidentiality,
        )
        reply = encode_open_session_response(response)
        session.exchanges["open"] = Exchange.of(payload, reply)
        self._table.add_pending(session)
        return StepResult(reply, PayloadType.OPEN_SESSION_RESPONSE, "ok", session=session)

    # ------------------------------------------------------------------ RAKP 1 -> 2

    def rakp1(self, payload: bytes, peer: tuple[str, int], now: float) -> StepResult:
        """Answer RAKP 1 with RAKP 2: the user is looked up and the BMC proves it knows the password."""
        message = decode_rakp1(payload)
        name = _name(message.username)
        session = self._table.get(message.bmc_session_id)
        if session is not None and session.interface == "lanplus":
            again = _answer_again(session, "rakp1", payload, now)
            if again is not None:
                return StepResult(again, PayloadType.RAKP2, _outcome_again(session), name, session, repeated=True)
        if session is None or session.interface != "lanplus" or session.state in _DONE:
            reply = encode_rakp2(Rakp2(message.tag, RakpStatus.INVALID_SESSION_ID, 0))
            return StepResult(reply, PayloadType.RAKP2, "invalid-session", name)

        def refuse(status: RakpStatus, outcome: str) -> StepResult:
            return self._refuse(pending, "rakp1", payload, now, status, outcome, name)

        pending = session
        assert session.suite is not None
        role_privilege = message.role & ROLE_PRIVILEGE_MASK
        if len(message.username) > NAME_LENGTH:
            return refuse(RakpStatus.INVALID_NAME_LENGTH, "invalid-name-length")
        if not Privilege.CALLBACK <= role_privilege <= Privilege.OEM:
            return refuse(RakpStatus.INVALID_ROLE, "invalid-role")
        user = self._users.find_by_name(bytes(message.username))
        if user is None:
            return refuse(RakpStatus.UNAUTHORIZED_NAME, "unknown-user")
        if not user.enabled:
            return refuse(RakpStatus.INVALID_ROLE, "user-disabled")
        limit = user.privilege_limit(self._config.channel)
        if limit == Privilege.NO_ACCESS or role_privilege > limit or role_privilege > session.max_privilege:
            return refuse(RakpStatus.INVALID_ROLE, "privilege-exceeded")
        if not message.role & ROLE_NAME_ONLY_LOOKUP and role_privilege != limit:
            # Username/privilege lookup: no user has this name at exactly this privilege.
            return refuse(RakpStatus.UNAUTHORIZED_NAME, "unknown-user")
        bmc_random = self._random(RANDOM_NUMBER_LENGTH)
        code = rakp2_auth_code(
            session.suite.auth,
            user.padded_password(),
            console_session_id=session.console_session_id,
            bmc_session_id=session.bmc_session_id,
            console_random=message.console_random,
            bmc_random=bmc_random,
            guid=self._guid,
            role=message.role,
            username=message.username,
        )
        reply = encode_rakp2(
            Rakp2(message.tag, RakpStatus.NO_ERRORS, session.console_session_id, bmc_random, self._guid, code)
        )
        session.state = SessionState.AWAIT_RAKP3
        session.console_random, session.bmc_random = message.console_random, bmc_random
        session.role, session.username = message.role, bytes(message.username)
        session.user_id, session.user_name = user.user_id, name
        session.max_privilege = Privilege(role_privilege)
        session.last_activity = now
        session.exchanges["rakp1"] = Exchange.of(payload, reply)
        return StepResult(reply, PayloadType.RAKP2, "ok", name, session)

    # ------------------------------------------------------------------ RAKP 3 -> 4

    def rakp3(self, payload: bytes, peer: tuple[str, int], now: float) -> StepResult:
        """Check RAKP 3 (the console proves it knows the password) and activate the session with RAKP 4."""
        message = decode_rakp3(payload)
        session = self._table.get(message.bmc_session_id)
        if session is None or session.interface != "lanplus":
            reply = encode_rakp4(Rakp4(message.tag, RakpStatus.INVALID_SESSION_ID, 0))
            return StepResult(reply, PayloadType.RAKP4, "invalid-session")
        name = session.user_name
        again = _answer_again(session, "rakp3", payload, now)
        if again is not None:
            return StepResult(again, PayloadType.RAKP4, _outcome_again(session), name, session, repeated=True)
        if session.state in _DONE:
            reply = encode_rakp4(Rakp4(message.tag, RakpStatus.INVALID_SESSION_ID, session.console_session_id))
            return StepResult(reply, PayloadType.RAKP4, "invalid-session", name)

        def refuse(status: RakpStatus, outcome: str) -> StepResult:
            return self._refuse(pending, "rakp3", payload, now, status, outcome, name)

        pending = session
        if session.state != SessionState.AWAIT_RAKP3:
            return refuse(RakpStatus.INVALID_SESSION_ID, "invalid-session")
        if message.status != RakpStatus.NO_ERRORS:
            self._table.remove(session)
            return StepResult(None, PayloadType.RAKP4, "client-aborted", name)
        assert session.suite is not None
        auth = session.suite.auth
        user = self._users.get(session.user_id)
        if not user.enabled:
            return refuse(RakpStatus.INVALID_ROLE, "user-disabled")
        kuid = user.padded_password()
        expected = rakp3_auth_code(
            auth,
            kuid,
            bmc_random=session.bmc_random,
            console_session_id=session.console_session_id,
            role=session.role,
            username=session.username,
        )
        if not hmac.compare_digest(expected, bytes(message.auth_code)):
            return refuse(RakpStatus.INVALID_INTEGRITY_CHECK_VALUE, "bad-password")
        if self._table.is_full():
            return refuse(RakpStatus.INSUFFICIENT_RESOURCES, "session-limit")
        sik = session_integrity_key(
            auth,
            kuid,
            console_random=session.console_random,
            bmc_random=session.bmc_random,
            role=session.role,
            username=session.username,
        )
        icv = rakp4_integrity_check_value(
            auth, sik, console_random=session.console_random, bmc_session_id=session.bmc_session_id, guid=self._guid
        )
        reply = encode_rakp4(Rakp4(message.tag, RakpStatus.NO_ERRORS, session.console_session_id, icv))
        session.keys = derive_session_keys(auth, sik)
        session.privilege = min(Privilege.USER, session.max_privilege)
        session.inbound = ReplayWindow()
        session.last_activity = now
        session.exchanges["rakp3"] = Exchange.of(payload, reply)
        self._table.activate(session)
        return StepResult(reply, PayloadType.RAKP4, "ok", name, session, opened=True)

    def _refuse(
        self, session: Session, step: str, payload: bytes, now: float, status: RakpStatus, outcome: str, name: str
    ) -> StepResult:
        """Answer ``step`` ("rakp1" or "rakp3") with the short error form of RAKP 2 or 4.

        The half-open ``session`` becomes a refusal: it can never become active,
        and a retransmission of ``payload`` gets this answer again until the
        handshake timeout drops it.
        """
        tag = payload[0]
        if step == "rakp1":
            reply_type, reply = PayloadType.RAKP2, encode_rakp2(Rakp2(tag, status, session.console_session_id))
        else:
            reply_type, reply = PayloadType.RAKP4, encode_rakp4(Rakp4(tag, status, session.console_session_id))
        session.state = SessionState.REFUSED
        session.refused_as = outcome
        session.last_activity = now
        session.exchanges[step] = Exchange.of(payload, reply)
        return StepResult(reply, reply_type, outcome, name, session)


_DONE = frozenset({SessionState.ACTIVE, SessionState.REFUSED})


def _answer_again(session: Session, step: str, payload: bytes, now: float) -> bytes | None:
    """The reply ``session`` already gave to ``step`` if ``payload`` repeats that request (it counts as activity)."""
    exchange = session.exchanges.get(step)
    if exchange is None:
        return None
    again = exchange.answer(payload)
    if again is not None:
        session.last_activity = now
    return again


def _outcome_again(session: Session) -> str:
    return session.refused_as if session.state == SessionState.REFUSED else "ok"
