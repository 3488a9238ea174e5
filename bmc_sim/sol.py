"""Serial over LAN (IPMI 2.0 section 15): the SOL payload of one BMC, one instance.

:class:`SolManager` answers the payload commands the session layer hands it (Activate Payload,
Deactivate Payload, Get Payload Activation Status, Get Payload Instance Info) and runs the active
payload: the host's console output (``bmc.console``) goes out in SOL packets, each numbered 1..15,
sent once the character accumulate interval passes or the send threshold fills, and sent again every
retry interval until the console acknowledges it (dropped after the retry count, as the spec says).
Characters from the console go to the host once per packet sequence number (a retransmission is
acknowledged again, not delivered twice), and every data packet is acknowledged with the number of
characters accepted.  The timings come from the SOL configuration parameters
(:mod:`bmc_sim.sol_config`).

Packets are signed and encrypted as the activation asked (the Activate Payload auxiliary data) within
what the session negotiated.  Deactivation, from this or another session, or the end of the session,
stops the payload; a deactivation from elsewhere sends the console one packet saying "SOL
deactivating".  SOL packets count as session activity.
"""

from __future__ import annotations

import dataclasses
import logging
import struct
from collections.abc import Callable
from typing import Any, Protocol

from bmc_sim import lanplus
from bmc_sim.crypto import AES_BLOCK
from bmc_sim.device_roles import Send, SerialPort
from bmc_sim.session_table import Session
from bmc_sim.sol_config import SolConfig
from bmc_sim.wire import PayloadType

log = logging.getLogger(__name__)

ACTIVATE_PAYLOAD, DEACTIVATE_PAYLOAD = 0x48, 0x49
GET_PAYLOAD_ACTIVATION_STATUS, GET_PAYLOAD_INSTANCE_INFO = 0x4A, 0x4B
COMMAND_NAMES = {
    ACTIVATE_PAYLOAD: "app.activate_payload",
    DEACTIVATE_PAYLOAD: "app.deactivate_payload",
    GET_PAYLOAD_ACTIVATION_STATUS: "app.get_payload_activation_status",
    GET_PAYLOAD_INSTANCE_INFO: "app.get_payload_instance_info",
}
SOL_PAYLOAD = 0x01
PAYLOAD_SIZE = 255  # bytes of SOL payload (4 header bytes + characters) either way
MAX_CHARACTERS = PAYLOAD_SIZE - 4
BACKLOG = 64 * 1024  # characters buffered for a slow console; older output is dropped (overrun)
# operation/status bits (IPMI 2.0 tables 15-2 and 15-3)
NACK = 0x40
DEACTIVATING = 0x10
OVERRUN = 0x08
CC_OK, CC_INVALID_DATA, CC_INSUFFICIENT_PRIVILEGE = 0x00, 0xCC, 0xD4
CC_ALREADY_ACTIVE, CC_DISABLED, CC_NOT_ACTIVE = 0x80, 0x81, 0x80
CC_ENCRYPTION_UNAVAILABLE, CC_ENCRYPTION_REQUIRED = 0x83, 0x84


class Clock(Protocol):
    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> Any: ...


@dataclasses.dataclass
class SolStats:
    packets_in: int = 0
    packets_out: int = 0
    retransmits: int = 0
    dropped_unacked: int = 0
    duplicates: int = 0
    characters_in: int = 0
    characters_out: int = 0
    overruns: int = 0


class ActivePayload:
    """The SOL payload while it is active under ``session``."""

    def __init__(self, manager: SolManager, session: Session, encrypted: bool) -> None:
        self.manager = manager
        self.session = session
        self.encrypted = encrypted
        self.backlog = bytearray()
        self.overrun = False
        self.next_sequence = 1
        self.outstanding: tuple[int, bytes] | None = None  # (sequence, packet payload)
        self.tries = 0
        self.last_inbound = 0
        self.timer: Any = None
        self.unsubscribe: Callable[[], None] = lambda: None

    # ---------------------------------------------------------------- host -> console

    def host_output(self, data: bytes) -> None:
        """The host wrote ``data`` on its serial port."""
        self.backlog += data
        if len(self.backlog) > BACKLOG:
            del self.backlog[: len(self.backlog) - BACKLOG]
            self.overrun = True
            self.manager.stats.overruns += 1
        if self.outstanding is None and self.timer is None:
            config = self.manager.config
            delay = 0.0 if len(self.backlog) >= config.send_threshold else config.accumulate_seconds
            self.timer = self.manager.clock.callLater(delay, self._send_next)

    def _send_next(self) -> None:
        self.timer = None
        if self.outstanding is not None or not self.backlog:
            return
        chunk = bytes(self.backlog[:MAX_CHARACTERS])
        del self.backlog[:MAX_CHARACTERS]
        sequence = self.next_sequence
        self.next_sequence = sequence % 15 + 1
        status = OVERRUN if self.overrun else 0
        self.overrun = False
        self.outstanding = (sequence, bytes([sequence, 0, 0, status]) + chunk)
        self.tries = 0
        self.manager.stats.characters_out += len(chunk)
        self._transmit()

    def _transmit(self) -> None:
        assert self.outstanding is not None
        self.manager.send_packet(self, self.outstanding[1])
        self.timer = self.manager.clock.callLater(self.manager.config.retry_seconds, self._retry)

    def _retry(self) -> None:
        self.timer = None
        if self.outstanding is None:
            return
        if self.tries >= self.manager.config.retry_count:
            self.manager.stats.dropped_unacked += 1
            self.outstanding = None
            self._send_next()
            return
        self.tries += 1
        self.manager.stats.retransmits += 1
        self._transmit()

    # ---------------------------------------------------------------- console -> host

    def packet_received(self, payload: bytes) -> bytes | None:
        """Handle one SOL packet from the console; return the acknowledgement to send, if any."""
        sequence, ack, accepted, operation = payload[0] & 0x0F, payload[1] & 0x0F, payload[2], payload[3]
        data = payload[4:]
        if ack and self.outstanding is not None and ack == self.outstanding[0]:
            self._acknowledged(accepted, bool(operation & NACK))
        if not sequence:
            return None
        if sequence == self.last_inbound:
            self.manager.stats.duplicates += 1  # a retransmission: acknowledged again, not delivered twice
        else:
            self.last_inbound = sequence
            self.manager.stats.characters_in += len(data)
            console = self.manager.device.console
            if data and console is not None:
                console.send(bytes(data))
        return bytes([0, sequence, len(data), 0])

    def _acknowledged(self, accepted: int, nack: bool) -> None:
        assert self.outstanding is not None
        characters = self.outstanding[1][4:]
        if nack:  # the console could not take it now: keep it and let the retry timer send it again
            return
        if 0 < accepted < len(characters):
            self.backlog[:0] = characters[accepted:]  # the rest goes out again in the next packet
        self.outstanding = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.backlog:
            self.timer = self.manager.clock.callLater(0, self._send_next)

    def stop(self) -> None:
        self.unsubscribe()
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
        self.outstanding = None


class SolManager:
    """The SOL payload of one BMC: its commands and its one active instance."""

    def __init__(self, device: SerialPort, clock: Clock, send: Send, random_bytes: Callable[[int], bytes]) -> None:
        self.device = device
        self.clock = clock
        self.send = send
        self.random = random_bytes
        self.stats = SolStats()
        self.active: ActivePayload | None = None

    @property
    def config(self) -> SolConfig:
        return self.device.sol_config

    # ---------------------------------------------------------------- commands

    def command(self, session: Session, cmd: int, data: bytes) -> tuple[int, bytes]:
        """Answer one payload command (``cmd`` of :data:`COMMAND_NAMES`) from ``session``."""
        if not data or data[0] & 0x3F != SOL_PAYLOAD:
            return CC_INVALID_DATA, b""
        if cmd == GET_PAYLOAD_ACTIVATION_STATUS:
            return CC_OK, bytes([0x01, 0x01 if self.active else 0x00, 0x00])
        if len(data) < 2 or data[1] != 1:
            return CC_INVALID_DATA, b""  # one instance, number 1
        if cmd == GET_PAYLOAD_INSTANCE_INFO:
            owner = self.active.session.bmc_session_id if self.active else 0
            return CC_OK, struct.pack("<I", owner) + bytes([0x01]) + bytes(7)
        if len(data) != 6:
            return 0xC7, b""
        if cmd == ACTIVATE_PAYLOAD:
            return self._activate(session, data[2])
        return self._deactivate(session)

    def _activate(self, session: Session, aux: int) -> tuple[int, bytes]:
        config = self.config
        if not config.enabled or self.device.console is None:
            return CC_DISABLED, b""
        if session.privilege < config.privilege:
            return CC_INSUFFICIENT_PRIVILEGE, b""
        if self.active is not None:
            return CC_ALREADY_ACTIVE, b""
        crypto = session.crypto
        wants_encryption = bool(aux & 0x80)
        if wants_encryption and not crypto.encrypted:
            return CC_ENCRYPTION_UNAVAILABLE, b""
        if config.force_encryption and not wants_encryption:
            return CC_ENCRYPTION_REQUIRED, b""
        payload = ActivePayload(self, session, wants_encryption)
        self.active = payload
        payload.unsubscribe = self.device.console.subscribe(payload.host_output)
        reply = bytes(4) + struct.pack("<HHHH", PAYLOAD_SIZE, PAYLOAD_SIZE, config.port, 0xFFFF)
        return CC_OK, reply

    def _deactivate(self, session: Session) -> tuple[int, bytes]:
        active = self.active
        if active is None:
            return CC_NOT_ACTIVE, b""
        if session.privilege < self.config.privilege:
            return CC_INSUFFICIENT_PRIVILEGE, b""
        if active.session is not session:  # tell the console it is being cut off
            packet = bytes([active.next_sequence, 0, 0, DEACTIVATING])
            self.send_packet(active, packet)
        self.deactivate()
        return CC_OK, b""

    def deactivate(self) -> None:
        """Stop the active payload, if any (its session ended, or the BMC restarted)."""
        active, self.active = self.active, None
        if active is not None:
            active.stop()

    def session_gone(self, session: Session) -> None:
        if self.active is not None and self.active.session is session:
            self.deactivate()

    # ---------------------------------------------------------------- packets

    def packet_received(self, session: Session, payload: bytes, now: float) -> bytes | None:
        """A SOL packet from ``session``'s console (already verified); the datagram to answer with, if any."""
        active = self.active
        if active is None or active.session is not session or len(payload) < 4:
            return None
        self.stats.packets_in += 1
        session.last_activity = now
        ack = active.packet_received(payload)
        return None if ack is None else self._frame(active, ack)

    def send_packet(self, active: ActivePayload, payload: bytes) -> None:
        try:
            self.send(self._frame(active, payload), active.session.peer)
        except Exception:  # a send failure must never break the reactor's timers
            log.debug("SOL packet to %s failed", active.session.peer, exc_info=True)

    def _frame(self, active: ActivePayload, payload: bytes) -> bytes:
        self.stats.packets_out += 1
        return lanplus.frame(
            active.session, payload, self.random(AES_BLOCK), payload_type=PayloadType.SOL, encrypted=active.encrypted
        )
