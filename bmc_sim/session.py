"""The IPMI session layer of one BMC: datagram in, replies out.

:class:`BmcEndpoint` owns the sessions of one simulated BMC.  It decodes each
datagram (RMCP, ASF presence ping, IPMI 1.5 or RMCP+), runs the session
handshakes, checks integrity, confidentiality and sequence numbers, answers
the session-management commands itself and hands every other in-session
request to the :class:`Device`.  It has no sockets and takes time only from
the injected clock, so it runs unchanged under ``twisted.internet.task.Clock``.

Every handled request produces one :class:`~bmc_sim.message.RequestRecord`
for the observer (:mod:`bmc_sim.endpoint_records`); refused handshakes and
dropped in-session packets produce records with an ``outcome`` and no
completion code.  What the session layer asks of a device: :mod:`bmc_sim.device_roles`.  Passwords and keys never
reach records or logs.  Sessions idle for ``config.session_timeout`` seconds
expire, half-open handshakes after ``config.handshake_timeout``, checked
lazily whenever a datagram arrives.  Handshake retransmissions are answered
again (see :mod:`bmc_sim.handshake`), counted, and not recorded twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from bmc_sim import lanplus
from bmc_sim.crypto import IVS, IvPool
from bmc_sim.device_roles import Clock, Device, NoSerialPort, SerialPort, is_restartable, is_serial_port, sends_alerts
from bmc_sim.endpoint_records import EndpointStats, RequestReporter
from bmc_sim.errors import completion_code_for
from bmc_sim.handshake import RmcpPlusHandshake, StepResult
from bmc_sim.lan15 import Lan15
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext, RequestRecord
from bmc_sim.request_detail import DECODERS, request_detail
from bmc_sim.session_commands import (
    ACTIVATE_SESSION,
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
from bmc_sim.wire import (
    ASF_IANA,
    ASF_PRESENCE_PING,
    AUTH_TYPE_RMCPPLUS,
    RMCP_HEADER_LENGTH,
    RMCP_VERSION_1,
    LanMessage,
    MalformedPacket,
    PayloadType,
    RmcpClass,
    RmcpPlusPacket,
    Session15Header,
    decode_asf,
    decode_lan_message,
    decode_rmcp,
    decode_rmcpplus,
    decode_session15,
    encode_lan_message,
    encode_response,
    encode_rmcp,
    encode_rmcpplus,
    encode_session15,
    presence_pong,
    response_to,
)

log = logging.getLogger(__name__)

HANDSHAKE_NAMES = {
    PayloadType.OPEN_SESSION_REQUEST: "rmcpplus.open_session",
    PayloadType.RAKP1: "rmcpplus.rakp1",
    PayloadType.RAKP3: "rmcpplus.rakp3",
}
AUTH_FAILURES = frozenset({"unknown-user", "bad-password", "user-disabled"})
ABANDONED_DETAIL = (
    "the client sent no RAKP 3 after RAKP 2 (lanplus clients check the BMC's RAKP 2 HMAC with their password "
    "and stop there: most likely a wrong password)"
)
_IPMI_CLASS = int(RmcpClass.IPMI)


class BmcEndpoint:
    """The session layer of one BMC: ``datagram_received`` returns the datagrams to send back."""

    def __init__(
        self,
        device: Device,
        clock: Clock,
        observer: Callable[[RequestRecord], None] | None = None,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.device = device
        self.stats = EndpointStats()
        config = device.config
        self.sessions = SessionTable(
            config.session_limit, config.session_timeout, handshake_timeout=config.handshake_timeout
        )
        self._clock = clock
        self.records = RequestReporter(device, observer, self.stats)
        self._report = self.records.report  # the request path calls it once per request
        self._random = random_bytes
        # the IV of every encrypted reply: the process's pool of OS randomness, or the injected source's own
        self._iv: Callable[[], bytes] = IVS.take if random_bytes is os.urandom else IvPool(random_bytes).take
        self._handshake = RmcpPlusHandshake(config, device.users, self.sessions, random_bytes)
        self._lan15 = Lan15(config, device.users, self.sessions, random_bytes)
        # Where datagrams the BMC sends on its own (SOL output) go; the transport sets it when bound.
        self.sender: Callable[[bytes, tuple[str, int]], None] | None = None
        serial: SerialPort = device if is_serial_port(device) else NoSerialPort(config.channel)
        self.sol = SolManager(serial, clock, self._send, random_bytes)
        if sends_alerts(device):  # PEF alerts leave from the BMC's own socket
            device.alerts.send = self._send
        self._sweep: object | None = None  # the pending handshake sweep timer, if any
        if is_restartable(device):  # a restarting BMC forgets its sessions
            device.add_reset_listener(self._device_reset)

    @property
    def name(self) -> str:
        return self.device.config.name

    def _device_reset(self, kind: str) -> None:
        """The BMC restarted (``mc reset cold|warm`` or AC loss): every session is gone."""
        self.sol.deactivate()
        self.stats.sessions_expired += self.sessions.clear()

    def _send(self, datagram: bytes, peer: tuple[str, int]) -> None:
        sender = self.sender
        if sender is not None:
            sender(datagram, peer)

    def datagram_received(self, data: bytes, peer: tuple[str, int]) -> list[bytes]:
        """Handle one datagram from ``peer``; malformed packets are counted and dropped."""
        now = self._clock.seconds()
        self.stats.received += 1
        self._expire(now)
        if not self.device.responsive:
            self.stats.dropped_unresponsive += 1
            return []
        try:
            replies = self._route(bytes(data), peer, now)
        except MalformedPacket as exc:
            self.stats.malformed += 1
            log.debug("%s: dropped malformed packet from %s:%s: %s", self.name, peer[0], peer[1], exc)
            return []
        self.stats.replies += len(replies)
        return replies

    # ------------------------------------------------------------------ routing

    def _route(self, data: bytes, peer: tuple[str, int], now: float) -> list[bytes]:
        if len(data) > RMCP_HEADER_LENGTH and data[0] == RMCP_VERSION_1 and data[3] == _IPMI_CLASS:
            body = data[RMCP_HEADER_LENGTH:]  # the common case, checked as decode_rmcp would: IPMI class, no ACK
            if body[0] == AUTH_TYPE_RMCPPLUS:
                return self._rmcpplus(body, peer, now)
            return self._ipmi15(body, peer, now)
        header, body = decode_rmcp(data)
        if header.is_ack:
            return []
        if header.message_class == RmcpClass.ASF:
            message = decode_asf(body)
            if message.iana != ASF_IANA or message.message_type != ASF_PRESENCE_PING:
                self.stats.unsupported += 1
                return []
            return [presence_pong(message.tag)]
        if header.message_class != RmcpClass.IPMI:
            raise MalformedPacket("rmcp.class", f"unsupported message class {header.message_class:#04x}")
        if not body:
            raise MalformedPacket("session.auth_type", "missing")
        if body[0] == AUTH_TYPE_RMCPPLUS:
            return self._rmcpplus(body, peer, now)
        return self._ipmi15(body, peer, now)

    def _rmcpplus(self, body: bytes, peer: tuple[str, int], now: float) -> list[bytes]:
        packet = decode_rmcpplus(body)
        if packet.payload_type in HANDSHAKE_NAMES:
            return self._handshake_step(packet, peer, now)
        if packet.payload_type == PayloadType.SOL:
            return self._sol_packet(body, packet, peer, now)
        if packet.payload_type != PayloadType.IPMI:
            self.stats.unsupported += 1
            return []
        if packet.session_id == 0:
            if packet.encrypted or packet.authenticated:
                raise MalformedPacket("session.payload_type", "a sessionless payload is neither signed nor encrypted")
            reply = self._sessionless(decode_lan_message(packet.payload), peer, now)
            return [encode_rmcp(RmcpClass.IPMI, encode_rmcpplus(PayloadType.IPMI, 0, 0, encode_lan_message(reply)))]
        session = self.sessions.get(packet.session_id)
        if session is None or session.state != SessionState.ACTIVE or session.interface != "lanplus":
            self.stats.unknown_session += 1
            return []
        payload = lanplus.open_packet(session, body, packet)
        if isinstance(payload, str):
            self._drop(session, peer, now, payload)
            return []
        return self._in_session(session, decode_lan_message(payload), peer, now)

    def _sol_packet(self, body: bytes, packet: RmcpPlusPacket, peer: tuple[str, int], now: float) -> list[bytes]:
        """An SOL packet: verified like any in-session packet, then handed to the SOL payload."""
        session = self.sessions.get(packet.session_id)
        active = self.sol.active
        if session is None or active is None or active.session is not session:
            self.stats.unknown_session += 1
            return []
        payload = lanplus.open_packet(session, body, packet, encrypted=active.encrypted)
        if isinstance(payload, str):
            self._drop(session, peer, now, payload)
            return []
        ack = self.sol.packet_received(session, payload, now)
        return [] if ack is None else [ack]

    def _ipmi15(self, body: bytes, peer: tuple[str, int], now: float) -> list[bytes]:
        header, raw_message = decode_session15(body)
        if header.session_id == 0:
            if header.auth_type != 0:
                raise MalformedPacket("session.auth_type", "sessionless messages use authentication type NONE")
            reply = encode_lan_message(self._sessionless(decode_lan_message(raw_message), peer, now))
            return [encode_rmcp(RmcpClass.IPMI, encode_session15(Session15Header(0, 0, 0), reply))]
        if self.sessions.challenge(header.session_id) is not None:
            return self._activate(header, raw_message, peer, now)
        session = self.sessions.get(header.session_id)
        if session is None or session.interface != "lan":
            self.stats.unknown_session += 1
            return []
        if header.sequence == 0:
            again = self._lan15.reactivate(session, header, raw_message, decode_lan_message(raw_message))
            if again is None:
                self._drop(session, peer, now, "replayed")
                return []
            return [again]
        if not self._lan15.verify(session, header, raw_message):
            self._drop(session, peer, now, "bad-integrity")
            return []
        if not session.inbound.accept(header.sequence):
            self._drop(session, peer, now, "replayed")
            return []
        return self._in_session(session, decode_lan_message(raw_message), peer, now)

    # ------------------------------------------------------------------ session setup

    def _handshake_step(self, packet: RmcpPlusPacket, peer: tuple[str, int], now: float) -> list[bytes]:
        steps: dict[int, Callable[[bytes, tuple[str, int], float], StepResult]] = {
            PayloadType.OPEN_SESSION_REQUEST: self._handshake.open_session,
            PayloadType.RAKP1: self._handshake.rakp1,
            PayloadType.RAKP3: self._handshake.rakp3,
        }
        step = steps[packet.payload_type](packet.payload, peer, now)
        if step.repeated:  # answered again as before; the first answer was counted and recorded
            self.stats.handshake_retransmits += 1
        elif step.outcome != "ok":
            self.stats.handshake_refusals += 1
            if step.outcome in AUTH_FAILURES:
                self.stats.auth_failures += 1
            command = HANDSHAKE_NAMES[PayloadType(packet.payload_type)]
            self._report(now, peer, step.user_name, cmd=packet.payload_type, outcome=step.outcome, command=command)
        if step.opened:
            self.stats.sessions_opened += 1
        if packet.payload_type == PayloadType.RAKP1 and step.outcome == "ok":
            self._sweep_later()  # RAKP 2 goes out: if RAKP 3 never comes, say so when the handshake times out
        if step.reply is None:
            return []
        return [encode_rmcp(RmcpClass.IPMI, encode_rmcpplus(step.reply_type, 0, 0, step.reply))]

    def _activate(self, header: Session15Header, raw_message: bytes, peer: tuple[str, int], now: float) -> list[bytes]:
        request = decode_lan_message(raw_message)
        result = self._lan15.activate(header, raw_message, request, now)
        if result.session is not None:
            self.stats.sessions_opened += 1
        elif result.outcome in AUTH_FAILURES:
            self.stats.auth_failures += 1
        self._report(
            now,
            peer,
            result.user_name,
            netfn=APP,
            cmd=ACTIVATE_SESSION,
            code=result.completion_code,
            outcome=result.outcome,
            session_id=result.session.bmc_session_id if result.session else 0,
            interface="lan",
        )
        return [result.reply] if result.reply else []

    # ------------------------------------------------------------------ requests

    def _sessionless(self, request: LanMessage, peer: tuple[str, int], now: float) -> LanMessage:
        """Answer a request outside any session (channel capabilities, cipher suites, challenge, GUID)."""
        _check_request(request)
        config, outcome, user_name = self.device.config, "ok", ""
        if request.netfn == APP and request.cmd == GET_CHANNEL_AUTH_CAPABILITIES:
            code, data = channel_auth_capabilities(config, self.device.users, request.data)
        elif request.netfn == APP and request.cmd == GET_CHANNEL_CIPHER_SUITES:
            code, data = channel_cipher_suites(config, self._handshake.suites, request.data)
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
            response = self._call_device(IpmiRequest(request.netfn, request.cmd, request.data, request.target_lun), ctx)
            code, data = response.completion_code, response.data
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

    def _in_session(self, session: Session, request: LanMessage, peer: tuple[str, int], now: float) -> list[bytes]:
        """Dispatch an authenticated request and frame the reply in ``session``."""
        _check_request(request)
        session.last_activity = now
        config, users = self.device.config, self.device.users
        closing: Session | None = None
        if request.netfn == APP and request.cmd in COMMAND_NAMES:
            code, reply, closing = session_command(
                session, self.sessions, config, users, self._handshake.suites, request
            )
        elif request.netfn == APP and request.cmd in SOL_COMMAND_NAMES and session.interface == "lanplus":
            code, reply = self.sol.command(session, request.cmd, request.data)
        else:
            ctx = session.context
            if ctx is None or ctx.peer != peer or ctx.privilege != session.privilege or ctx.channel != config.channel:
                ctx = session.context = RequestContext(
                    peer=peer,
                    channel=config.channel,
                    user_id=session.user_id,
                    user_name=session.user_name,
                    privilege=session.privilege,
                    session_id=session.bmc_session_id,
                )
            response = self._call_device(IpmiRequest(request.netfn, request.cmd, request.data, request.target_lun), ctx)
            code, reply = response.completion_code, response.data
        self._report(
            now,
            peer,
            session.user_name,
            netfn=request.netfn,
            cmd=request.cmd,
            code=code,
            session_id=session.bmc_session_id,
            interface=session.interface,
            detail=request_detail(request.netfn, request.cmd, request.data)
            if (request.netfn, request.cmd) in DECODERS
            else "",
        )
        if session.interface == "lan":
            datagram = self._lan15.frame(session, response_to(request, code, reply))
        else:
            datagram = lanplus.frame(session, encode_response(request, code, reply), self._iv())
        if closing is not None:
            self.sol.session_gone(closing)
            self.sessions.remove(closing)
            self.stats.sessions_closed += 1
        return [datagram]

    def _call_device(self, request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        try:
            return self.device.handle(request, ctx)
        except Exception as exc:  # the device promises never to raise; map whatever escapes anyway
            self.stats.errors += 1
            log.debug("%s: device raised on %#04x/%#04x", self.name, request.netfn, request.cmd, exc_info=True)
            return IpmiResponse(completion_code_for(exc))

    # ------------------------------------------------------------------ bookkeeping

    def _expire(self, now: float) -> None:
        expired, abandoned = self.sessions.expire(now)
        for session in expired:
            self.sol.session_gone(session)
        self.stats.sessions_expired += len(expired)
        self.stats.handshakes_abandoned += abandoned
        after_rakp2 = self.sessions.abandoned_after_rakp2
        while after_rakp2:
            session = after_rakp2.pop()
            name = session.user_name or session.username.decode("utf-8", "replace")
            self._report(
                now,
                session.peer,
                name,
                cmd=PayloadType.RAKP3,
                outcome="abandoned-after-rakp2",
                command=HANDSHAKE_NAMES[PayloadType.RAKP3],
                detail=ABANDONED_DETAIL,
            )

    def _sweep_later(self) -> None:
        """Expire handshakes on time even if no datagram arrives (one timer per BMC, only while one waits)."""
        if self._sweep is not None:
            return
        self._sweep = self._clock.callLater(self.sessions.handshake_timeout + 0.001, self._swept)

    def _swept(self) -> None:
        self._sweep = None
        self._expire(self._clock.seconds())
        if any(s.state == SessionState.AWAIT_RAKP3 for s in self.sessions):
            self._sweep_later()

    def _drop(self, session: Session, peer: tuple[str, int], now: float, outcome: str) -> None:
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
