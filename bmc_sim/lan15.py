"""IPMI 1.5 LAN sessions: Get Session Challenge, Activate Session and per-message authentication.

The flow is IPMI 2.0 section 6.12: a sessionless Get Session Challenge names
the user and the authentication type and gets a temporary session ID (which
becomes the session ID) and a 16-byte challenge; Activate Session, sent
inside that session and authenticated with the password, starts the session
at User privilege.  Every later message carries the session's auth code
(per-message authentication is always on): MD5 over password, session ID,
message, sequence number and password, or the straight password.

An Activate Session whose auth code does not verify (wrong password) is
dropped without a reply, as the specification requires and FreeIPMI expects
("password verification timeout").
"""

from __future__ import annotations

import hmac
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

from bmc_sim.config import AuthType15, BmcConfig, Privilege
from bmc_sim.crypto import AUTH_TYPES_15_IMPLEMENTED, auth_code_15
from bmc_sim.session_commands import ACTIVATE_SESSION, APP, CC_INVALID_DATA, CC_LENGTH_INVALID, CC_OK
from bmc_sim.session_table import (
    REPLAY_WINDOW_15,
    Activation,
    Challenge,
    ReplayWindow,
    Session,
    SessionState,
    SessionTable,
)
from bmc_sim.users import UserStore
from bmc_sim.wire import (
    LanMessage,
    RmcpClass,
    Session15Header,
    encode_lan_message,
    encode_rmcp,
    encode_session15,
    response_to,
)

CHALLENGE_LENGTH = 16
CC_INVALID_USER_NAME = 0x81
CC_NULL_USER_DISABLED = 0x82
CC_NO_SESSION_SLOT = 0x81
CC_PRIVILEGE_EXCEEDS_LIMIT = 0x86


@dataclass(frozen=True, slots=True)
class ChallengeResult:
    completion_code: int
    data: bytes
    outcome: str
    user_name: str


@dataclass(frozen=True, slots=True)
class ActivateResult:
    """The framed reply to Activate Session (``None``: drop) and what happened."""

    reply: bytes | None
    outcome: str
    user_name: str
    completion_code: int | None = None
    session: Session | None = None


class Lan15:
    """IPMI 1.5 session setup and framing for one BMC."""

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
        self.auth_types = frozenset(t for t in config.auth_types_15 if t in AUTH_TYPES_15_IMPLEMENTED)

    def challenge(self, data: bytes, peer: tuple[str, int], now: float) -> ChallengeResult:
        """Get Session Challenge: auth type byte plus a 16-byte user name (zero padded)."""
        if len(data) != 17:
            return ChallengeResult(CC_LENGTH_INVALID, b"", "invalid-request", "")
        name = bytes(data[1:17]).rstrip(b"\x00")
        user_name = name.decode("utf-8", errors="replace")
        auth_type = data[0] & 0x0F
        if auth_type not in self.auth_types:
            return ChallengeResult(CC_INVALID_DATA, b"", "auth-type-unavailable", user_name)
        user = self._users.find_by_name(name)
        if user is None:
            code = CC_INVALID_USER_NAME if name else CC_NULL_USER_DISABLED
            return ChallengeResult(code, b"", "unknown-user", user_name)
        if not user.enabled:
            return ChallengeResult(CC_INVALID_USER_NAME, b"", "user-disabled", user_name)
        session_id = self._table.new_session_id()
        challenge = self._random(CHALLENGE_LENGTH)
        self._table.add_challenge(
            Challenge(session_id, challenge, AuthType15(auth_type), user.user_id, user_name, peer, now)
        )
        return ChallengeResult(CC_OK, struct.pack("<I", session_id) + challenge, "ok", user_name)

    def activate(self, header: Session15Header, raw_message: bytes, request: LanMessage, now: float) -> ActivateResult:
        """Activate Session for the challenge named by the header's session ID."""
        challenge = self._table.challenge(header.session_id)
        assert challenge is not None, "the caller routes only challenged session IDs here"
        name = challenge.user_name
        if request.netfn != APP or request.cmd != ACTIVATE_SESSION:
            return ActivateResult(None, "no-session", name)
        if header.auth_type != challenge.auth_type:
            self._table.pop_challenge(header.session_id)
            return ActivateResult(None, "auth-type-mismatch", name)
        user = self._users.get(challenge.user_id)
        expected = auth_code_15(
            header.auth_type,
            user.password,
            session_id=header.session_id,
            message=raw_message,
            sequence=header.sequence,
        )
        if not hmac.compare_digest(expected, header.auth_code):
            self._table.pop_challenge(header.session_id)
            return ActivateResult(None, "bad-password", name)
        data = request.data
        if len(data) != 22:
            return self._refuse(challenge, request, CC_LENGTH_INVALID, "invalid-request")
        if not hmac.compare_digest(bytes(data[2:18]), challenge.challenge):
            self._table.pop_challenge(header.session_id)
            return ActivateResult(None, "bad-challenge", name)
        max_privilege = data[1] & 0x0F
        (initial_outbound,) = struct.unpack_from("<I", data, 18)
        refusal = None
        if data[0] & 0x0F != challenge.auth_type or not Privilege.CALLBACK <= max_privilege <= Privilege.OEM:
            refusal = CC_INVALID_DATA, "invalid-request"
        elif not user.enabled:
            refusal = CC_PRIVILEGE_EXCEEDS_LIMIT, "user-disabled"
        elif max_privilege > user.privilege_limit(self._config.channel):
            refusal = CC_PRIVILEGE_EXCEEDS_LIMIT, "privilege-exceeded"
        elif self._table.is_full():
            refusal = CC_NO_SESSION_SLOT, "session-limit"
        if refusal is not None:
            return self._refuse(challenge, request, *refusal, sequence=initial_outbound)
        initial_inbound = secrets.randbits(32) or 1
        session = Session(
            bmc_session_id=header.session_id,
            console_session_id=header.session_id,
            peer=challenge.peer,
            interface="lan",
            state=SessionState.ACTIVE,
            created=now,
            last_activity=now,
            auth_type_15=challenge.auth_type,
            user_id=user.user_id,
            user_name=name,
            max_privilege=Privilege(max_privilege),
            privilege=min(Privilege.USER, Privilege(max_privilege)),
            inbound=ReplayWindow(REPLAY_WINDOW_15, expected=initial_inbound),
            outbound_sequence=initial_outbound,
        )
        reply_data = bytes([challenge.auth_type]) + struct.pack("<II", header.session_id, initial_inbound)
        reply_data += bytes([max_privilege])
        session.activation = Activation(challenge.challenge, reply_data, initial_outbound)
        reply = self._frame(session, response_to(request, CC_OK, reply_data), initial_outbound)
        self._table.pop_challenge(header.session_id)
        self._table.activate(session)
        return ActivateResult(reply, "ok", name, CC_OK, session)

    def _refuse(
        self, challenge: Challenge, request: LanMessage, code: int, outcome: str, *, sequence: int = 0
    ) -> ActivateResult:
        """An authenticated Activate Session that cannot be granted: answer with ``code``.

        The reply carries the console's initial outbound sequence number like a
        successful one (FreeIPMI starts its window there).
        """
        self._table.pop_challenge(challenge.session_id)
        stand_in = Session(
            bmc_session_id=challenge.session_id,
            console_session_id=challenge.session_id,
            peer=challenge.peer,
            interface="lan",
            state=SessionState.AWAIT_RAKP1,
            created=challenge.created,
            last_activity=challenge.created,
            auth_type_15=challenge.auth_type,
            user_id=challenge.user_id,
        )
        reply = self._frame(stand_in, response_to(request, code), sequence)
        return ActivateResult(reply, outcome, challenge.user_name, code)

    def reactivate(
        self, session: Session, header: Session15Header, raw_message: bytes, request: LanMessage
    ) -> bytes | None:
        """Answer a retransmitted Activate Session (sequence number 0) exactly as the first one was.

        Clients retransmit it when the reply was lost or, like FreeIPMI, did not
        verify; anything else with sequence number 0 gets ``None`` (drop).
        """
        activation = session.activation
        if (
            activation is None
            or request.netfn != APP
            or request.cmd != ACTIVATE_SESSION
            or not self.verify(session, header, raw_message)
            or bytes(request.data[2:18]) != activation.challenge
        ):
            return None
        return self._frame(session, response_to(request, CC_OK, activation.reply_data), activation.sequence)

    def verify(self, session: Session, header: Session15Header, raw_message: bytes) -> bool:
        """Whether an in-session packet carries the session's auth type and a valid auth code."""
        if header.auth_type != session.auth_type_15:
            return False
        expected = auth_code_15(
            header.auth_type,
            self._users.get(session.user_id).password,
            session_id=header.session_id,
            message=raw_message,
            sequence=header.sequence,
        )
        return hmac.compare_digest(expected, header.auth_code)

    def frame(self, session: Session, message: LanMessage) -> bytes:
        """Frame a reply in ``session`` with the next outbound sequence number and its auth code."""
        return self._frame(session, message, session.next_outbound_sequence())

    def _frame(self, session: Session, message: LanMessage, sequence: int) -> bytes:
        encoded = encode_lan_message(message)
        code = auth_code_15(
            session.auth_type_15,
            self._users.get(session.user_id).password,
            session_id=session.bmc_session_id,
            message=encoded,
            sequence=sequence,
        )
        header = Session15Header(session.auth_type_15, sequence, session.bmc_session_id, code)
        return encode_rmcp(RmcpClass.IPMI, encode_session15(header, encoded))
