"""The requests a BMC's session layer answers: outside a session, inside one, and the sealed RMCP+ fast path.

:class:`SessionRequests` answers a decoded request: the session-management and SOL payload commands
itself, every other in-session request by asking the device.  Each handled request gives the observer
one record (:class:`~bmc_sim.endpoint_records.RequestReporter`) and each in-session reply is framed in
its session (signed, encrypted, next outbound sequence number).

:meth:`SessionRequests.sealed` is the path of nearly every datagram a loaded BMC sees: an IPMI request in
an active RMCP+ session that signs and encrypts (what ipmitool ``-I lanplus`` and FreeIPMI send with the
default cipher suites 3 and 17).  It checks, drops and answers exactly as the general route does
(:mod:`bmc_sim.session` through :func:`bmc_sim.lanplus.open_packet`) but reads the fixed header fields in
one step, checks the integrity trailer in place and writes the reply header in one step.  Anything it does
not recognise at once (another class or sequence byte, an unknown session, a malformed or wrongly signed
trailer) it leaves to the general route before changing any state, and that route decides.
"""

from __future__ import annotations

import hmac
import logging
import struct
from collections.abc import Callable

from bmc_sim import lanplus
from bmc_sim.crypto import CipherSuite
from bmc_sim.device_roles import Device
from bmc_sim.endpoint_records import EndpointStats, RequestReporter
from bmc_sim.errors import completion_code_for
from bmc_sim.lan15 import Lan15
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext
from bmc_sim.request_detail import DECODERS
from bmc_sim.session_commands import (
    APP,
    CC_INSUFFICIENT_PRIVILEGE,
    COMMAND_NAMES,
    GET_CHANNEL_AUTH_CAPABILITIES,
    GET_CHANNEL_CIPHER_SUITES,
    GET_SESSION_CHALLENGE,
    GET_SYSTEM_GUID,
    channel_auth_capabilities,
    channel_cipher_suites,
    session_command,
)
from bmc_sim.session_table import Session, SessionState, SessionTable
from bmc_sim.sol import COMMAND_NAMES as SOL_COMMAND_NAMES
from bmc_sim.sol import SolManager
from bmc_sim.wire import LanMessage, MalformedPacket, decode_lan_message, encode_response, response_to

log = logging.getLogger("bmc_sim.session")

AUTH_FAILURES = frozenset({"unknown-user", "bad-password", "user-disabled"})

# RMCP version 1, reserved, no ACK, IPMI class; RMCP+ auth type; payload type IPMI, encrypted and signed
SEALED_PREFIX = b"\x06\x00\xff\x07\x06\xc0"
_SEALED_FIELDS = struct.Struct("<IIH")  # session ID, session sequence number, payload length
_SEALED_HEADER = struct.Struct("<6sIIH")  # the prefix, then the same three fields: a reply's first 16 bytes
_SEALED_MINIMUM = 16 + 32 + 2 + 12  # headers, IV and one AES block, pad length and next header, shortest AuthCode
_FF_PADS = (b"", b"\xff", b"\xff\xff", b"\xff\xff\xff")
_TRAILERS = tuple(pad + bytes((len(pad), 0x07)) for pad in _FF_PADS)  # integrity pad, pad length, next header
_OWN_COMMANDS = frozenset(COMMAND_NAMES) | frozenset(SOL_COMMAND_NAMES)  # APP commands the session layer answers
_DECODED = frozenset(netfn << 8 | cmd for netfn, cmd in DECODERS)  # requests whose data the record describes
_ACTIVE = SessionState.ACTIVE
_REPLY_HEAD = struct.Struct("7B")  # a response's rqAddr, netFn/rqLUN, checksum, rsAddr, rqSeq/rsLUN, command, code
_BYTES = tuple(bytes((value,)) for value in range(256))
_new = tuple.__new__  # a named tuple built from its fields without the keyword-handling constructor


class SessionRequests:
    """Answers one BMC's requests outside and inside sessions, one record each."""

    def __init__(
        self,
        device: Device,
        sessions: SessionTable,
        stats: EndpointStats,
        records: RequestReporter,
        suites: tuple[CipherSuite, ...],
        lan15: Lan15,
        sol: SolManager,
        iv: Callable[[], bytes],
    ) -> None:
        self.device = device
        self.sessions = sessions
        self.stats = stats
        self.records = records
        self._suites = suites
        self._lan15 = lan15
        self.sol = sol
        self._iv = iv
        self._report = records.report
        self._request_record = records.request  # the in-session request path's positional form
        self._session_of = sessions.get

    # ------------------------------------------------------------------ the sealed fast path

    def sealed(self, data: bytes, peer: tuple[str, int], now: float) -> list[bytes] | None:
        """Answer a datagram that starts with :data:`SEALED_PREFIX`; ``None``: take the general route instead.

        ``None`` comes before any state changed (replay window, counters, records), so the general route
        sees the datagram as if this had not looked at it.
        """
        if len(data) < _SEALED_MINIMUM:
            return None
        session_id, sequence, length = _SEALED_FIELDS.unpack_from(data, 6)
        session = self._session_of(session_id)
        if session is None or session.state is not _ACTIVE or session.interface != "lanplus":
            return None
        crypto = session.crypto
        code_length = crypto.auth_code_length
        if not code_length or not crypto.encrypted:
            return None
        end = 16 + length
        signed_end = len(data) - code_length
        pad = signed_end - 2 - end
        if not 0 <= pad < 4 or data[end:signed_end] != _TRAILERS[pad]:
            return None
        if not hmac.compare_digest(data[signed_end:], crypto.auth_code(data[4:signed_end])):
            return None
        if not session.inbound.accept(sequence):
            self.drop(session, peer, now, "replayed")
            return []
        message = crypto.decrypt(data[16:end])
        # A request for the device (not a response netFn, not a command the session layer answers) with both
        # LAN message checksums right; anything else as in_session decides (and raises).
        if len(message) < 7 or message[1] & 0x04 or sum(message[:3]) & 0xFF or sum(message[3:]) & 0xFF:
            return self.in_session(session, decode_lan_message(message), peer, now)
        netfn, cmd = message[1] >> 2, message[5]
        if netfn == APP and cmd in _OWN_COMMANDS:
            return self.in_session(session, decode_lan_message(message), peer, now)
        session.last_activity = now
        ctx = session.context
        channel = self.device.config.channel
        if ctx is None or ctx.peer != peer or ctx.privilege != session.privilege or ctx.channel != channel:
            ctx = session.context = self._context(session, peer, channel)
        request_data = message[6:-1]
        code, reply = self.call_device(_new(IpmiRequest, (netfn, cmd, request_data, message[1] & 0x03)), ctx)
        self._request_record(
            now,
            peer,
            session.user_name,
            netfn,
            cmd,
            code,
            session.bmc_session_id,
            "lanplus",
            DECODERS[netfn, cmd](request_data) if netfn << 8 | cmd in _DECODED else "",
        )
        # encode_response from the request's bytes: addresses and LUNs swapped, netFn | 1, same rqSeq and command
        source, target = message[3], message[0]
        netfn_lun = message[1] & 0xFC | 0x04 | message[4] & 0x03
        sequence_lun = message[4] & 0xFC | message[1] & 0x03
        code &= 0xFF
        answer = _REPLY_HEAD.pack(source, netfn_lun, -(source + netfn_lun) & 0xFF, target, sequence_lun, cmd, code)
        answer += reply + _BYTES[-(target + sequence_lun + cmd + code + sum(reply)) & 0xFF]
        payload = crypto.encrypt(answer, self._iv())
        sealed = _SEALED_HEADER.pack(
            SEALED_PREFIX, session.console_session_id, session.next_outbound_sequence(), len(payload)
        )
        sealed += payload + _TRAILERS[(4 - (len(payload) + 14) % 4) % 4]
        return [sealed + crypto.auth_code(sealed[4:])]

    @staticmethod
    def _context(session: Session, peer: tuple[str, int], channel: int) -> RequestContext:
        """What the device is told about who asks in ``session`` (reused while none of it changes)."""
        return RequestContext(
            peer=peer,
            channel=channel,
            user_id=session.user_id,
            user_name=session.user_name,
            privilege=session.privilege,
            session_id=session.bmc_session_id,
        )

    # ------------------------------------------------------------------ requests

    def sessionless(self, request: LanMessage, peer: tuple[str, int], now: float) -> LanMessage:
        """Answer a request outside any session (channel capabilities, cipher suites, challenge, GUID)."""
        _check_request(request)
        config, outcome, user_name = self.device.config, "ok", ""
        if request.netfn == APP and request.cmd == GET_CHANNEL_AUTH_CAPABILITIES:
            code, data = channel_auth_capabilities(config, self.device.users, request.data)
        elif request.netfn == APP and request.cmd == GET_CHANNEL_CIPHER_SUITES:
            code, data = channel_cipher_suites(config, self._suites, request.data)
        elif request.netfn == APP and request.cmd == GET_SESSION_CHALLENGE:
            challenge = self._lan15.challenge(request.data, peer, now)
            code, data, outcome, user_name = (
                challenge.completion_code,
                challenge.data,
                challenge.outcome,
                challenge.user_name,
            )
            if outcome in AUTH_FAILURES:
                self.stats.auth_failures += 1
        elif request.netfn == APP and request.cmd == GET_SYSTEM_GUID:
            ctx = RequestContext(peer=peer, channel=config.channel)
            code, data = self.call_device(
                IpmiRequest(request.netfn, request.cmd, request.data, request.target_lun), ctx
            )
        else:
            code, data, outcome = CC_INSUFFICIENT_PRIVILEGE, b"", "no-session"
        self._report(
            now,
            peer,
            user_name,
            netfn=request.netfn,
            cmd=request.cmd,
            code=code,
            outcome=outcome,
            interface="sessionless",
        )
        return response_to(request, code, data)

    def in_session(self, session: Session, request: LanMessage, peer: tuple[str, int], now: float) -> list[bytes]:
        """Dispatch an authenticated request and frame the reply in ``session``."""
        netfn, cmd, data = request.netfn, request.cmd, request.data
        if netfn & 0x01:
            raise MalformedPacket("message.netfn", f"{netfn:#04x} is a response network function")
        session.last_activity = now
        closing: Session | None = None
        interface = session.interface
        if netfn == APP and cmd in _OWN_COMMANDS and (cmd in COMMAND_NAMES or interface == "lanplus"):
            if cmd in COMMAND_NAMES:
                config = self.device.config
                code, reply, closing = session_command(
                    session, self.sessions, config, self.device.users, self._suites, request
                )
            else:
                code, reply = self.sol.command(session, cmd, data)
        else:
            ctx = session.context
            channel = self.device.config.channel
            if ctx is None or ctx.peer != peer or ctx.privilege != session.privilege or ctx.channel != channel:
                ctx = session.context = self._context(session, peer, channel)
            code, reply = self.call_device(IpmiRequest(netfn, cmd, data, request.target_lun), ctx)
        self._request_record(
            now,
            peer,
            session.user_name,
            netfn,
            cmd,
            code,
            session.bmc_session_id,
            interface,
            DECODERS[netfn, cmd](data) if netfn << 8 | cmd in _DECODED else "",
        )
        if interface == "lan":
            datagram = self._lan15.frame(session, response_to(request, code, reply))
        else:
            datagram = self._seal(session, encode_response(request, code, reply))
        if closing is not None:
            self.sol.session_gone(closing)
            self.sessions.remove(closing)
            self.stats.sessions_closed += 1
        return [datagram]

    def _seal(self, session: Session, message: bytes) -> bytes:
        """An IPMI payload datagram in an RMCP+ session, encrypted and signed as the session negotiated.

        The same bytes as :func:`bmc_sim.lanplus.frame`; a session that signs and encrypts (nearly every
        one) gets its header in one ``struct`` call and its trailer from a table.
        """
        crypto = session.crypto
        if not crypto.auth_code_length or not crypto.encrypted:
            return lanplus.frame(session, message, self._iv())
        payload = crypto.encrypt(message, self._iv())
        sequence = session.next_outbound_sequence()
        head = _SEALED_HEADER.pack(SEALED_PREFIX, session.console_session_id, sequence, len(payload))
        signed = head + payload + _TRAILERS[(4 - (len(payload) + 14) % 4) % 4]
        return signed + crypto.auth_code(signed[4:])

    def call_device(self, request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        """The device's answer; an exception escaping the device (it promises none) becomes a completion code."""
        try:
            return self.device.handle(request, ctx)
        except Exception as exc:
            self.stats.errors += 1
            log.debug(
                "%s: device raised on %#04x/%#04x", self.device.config.name, request.netfn, request.cmd, exc_info=True
            )
            return IpmiResponse(completion_code_for(exc))

    def drop(self, session: Session, peer: tuple[str, int], now: float, outcome: str) -> None:
        """Count and report an in-session packet dropped for ``outcome``."""
        if outcome == "replayed":
            self.stats.replayed += 1
        else:
            self.stats.integrity_failures += 1
        self._report(
            now,
            peer,
            session.user_name,
            outcome=outcome,
            session_id=session.bmc_session_id,
            interface=session.interface,
            command="",
        )


def _check_request(request: LanMessage) -> None:
    if request.netfn & 0x01:
        raise MalformedPacket("message.netfn", f"{request.netfn:#04x} is a response network function")
