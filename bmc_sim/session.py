"""The IPMI session layer of one BMC: datagram in, replies out.

:class:`BmcEndpoint` owns the sessions of one simulated BMC.  It decodes each
datagram (RMCP, ASF presence ping, IPMI 1.5 or RMCP+), runs the session
handshakes, checks integrity, confidentiality and sequence numbers, answers
the session-management commands itself and hands every other in-session
request to the :class:`Device` (both through :mod:`bmc_sim.session_requests`,
which also holds the fast path of a signed and encrypted RMCP+ request).  It has no sockets and takes time only from
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
from bmc_sim.device_roles import Clock, Device, NoSerialPort, SerialPort, is_restartable, is_serial_port, sends_alerts
from bmc_sim.endpoint_records import EndpointStats, RequestReporter
from bmc_sim.handshake import RmcpPlusHandshake, StepResult
from bmc_sim.ivpool import IVS, IvPool
from bmc_sim.lan15 import Lan15
from bmc_sim.message import RequestRecord
from bmc_sim.session_commands import ACTIVATE_SESSION, APP
from bmc_sim.session_requests import AUTH_FAILURES, SEALED_PREFIX, SessionRequests
from bmc_sim.session_table import SessionState, SessionTable
from bmc_sim.sol import SolManager
from bmc_sim.wire import (
    ASF_IANA,
    ASF_PRESENCE_PING,
    AUTH_TYPE_RMCPPLUS,
    RMCP_HEADER_LENGTH,
    RMCP_VERSION_1,
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
    encode_rmcp,
    encode_rmcpplus,
    encode_session15,
    presence_pong,
)

log = logging.getLogger(__name__)

HANDSHAKE_NAMES = {
    PayloadType.OPEN_SESSION_REQUEST: "rmcpplus.open_session",
    PayloadType.RAKP1: "rmcpplus.rakp1",
    PayloadType.RAKP3: "rmcpplus.rakp3",
}
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
        self.requests = SessionRequests(
            device, self.sessions, self.stats, self.records, self._handshake.suites, self._lan15, self.sol, self._iv
        )
        self._sealed = self.requests.sealed

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
        if now >= self.sessions.check_after:  # else nothing can be due yet (SessionTable.check_after)
            self._expire(now)
        if not self.device.responsive:
            self.stats.dropped_unresponsive += 1
            return []
        try:
            data = bytes(data)  # the same object when it is already bytes
            replies = self._sealed(data, peer, now) if data[:6] == SEALED_PREFIX else None
            if replies is None:
                replies = self._route(data, peer, now)
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
            reply = self.requests.sessionless(decode_lan_message(packet.payload), peer, now)
            return [encode_rmcp(RmcpClass.IPMI, encode_rmcpplus(PayloadType.IPMI, 0, 0, encode_lan_message(reply)))]
        session = self.sessions.get(packet.session_id)
        if session is None or session.state != SessionState.ACTIVE or session.interface != "lanplus":
            self.stats.unknown_session += 1
            return []
        payload = lanplus.open_packet(session, body, packet)
        if isinstance(payload, str):
            self.requests.drop(session, peer, now, payload)
            return []
        return self.requests.in_session(session, decode_lan_message(payload), peer, now)

    def _sol_packet(self, body: bytes, packet: RmcpPlusPacket, peer: tuple[str, int], now: float) -> list[bytes]:
        """An SOL packet: verified like any in-session packet, then handed to the SOL payload."""
        session = self.sessions.get(packet.session_id)
        active = self.sol.active
        if session is None or active is None or active.session is not session:
            self.stats.unknown_session += 1
            return []
        payload = lanplus.open_packet(session, body, packet, encrypted=active.encrypted)
        if isinstance(payload, str):
            self.requests.drop(session, peer, now, payload)
            return []
        ack = self.sol.packet_received(session, payload, now)
        return [] if ack is None else [ack]

    def _ipmi15(self, body: bytes, peer: tuple[str, int], now: float) -> list[bytes]:
        header, raw_message = decode_session15(body)
        if header.session_id == 0:
            if header.auth_type != 0:
                raise MalformedPacket("session.auth_type", "sessionless messages use authentication type NONE")
            reply = encode_lan_message(self.requests.sessionless(decode_lan_message(raw_message), peer, now))
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
                self.requests.drop(session, peer, now, "replayed")
                return []
            return [again]
        if not self._lan15.verify(session, header, raw_message):
            self.requests.drop(session, peer, now, "bad-integrity")
            return []
        if not session.inbound.accept(header.sequence):
            self.requests.drop(session, peer, now, "replayed")
            return []
        return self.requests.in_session(session, decode_lan_message(raw_message), peer, now)

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
