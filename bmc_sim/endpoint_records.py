"""What one BMC endpoint counts and tells its observer.

:class:`EndpointStats` are the endpoint's counters (every dropped packet under exactly one reason);
:class:`RequestReporter` turns each request the session layer handled or refused into one
:class:`~bmc_sim.message.RequestRecord` for the observer, naming the command (remembered per netFn and
command) and never letting an observer's failure reach the session layer.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from bmc_sim.device_roles import Device
from bmc_sim.message import RequestRecord
from bmc_sim.session_commands import APP, COMMAND_NAMES
from bmc_sim.sol import COMMAND_NAMES as SOL_COMMAND_NAMES

log = logging.getLogger("bmc_sim.session")
_new_record = tuple.__new__  # a named tuple built from its fields without the keyword-handling constructor


@dataclasses.dataclass
class EndpointStats:
    """Counters of one endpoint; dropped packets are counted under exactly one reason."""

    received: int = 0
    replies: int = 0
    malformed: int = 0
    dropped_unresponsive: int = 0
    unsupported: int = 0
    unknown_session: int = 0
    auth_failures: int = 0
    handshake_refusals: int = 0
    integrity_failures: int = 0
    replayed: int = 0
    sessions_opened: int = 0
    sessions_closed: int = 0
    sessions_expired: int = 0
    handshakes_abandoned: int = 0
    handshake_retransmits: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class RequestReporter:
    """One endpoint's request records: built in field order on the request path, handed to ``observer``."""

    def __init__(self, device: Device, observer: Callable[[RequestRecord], None] | None, stats: EndpointStats) -> None:
        self.device = device
        self.observer = observer
        self._stats = stats
        self._command_names: dict[int, str] = {}  # by netFn << 8 | command: at most 64 netFns x 256 commands

    @property
    def name(self) -> str:
        return self.device.config.name

    def report(
        self,
        now: float,
        peer: tuple[str, int],
        user_name: str,
        *,
        netfn: int = 0,
        cmd: int = 0,
        code: int | None = None,
        outcome: str = "ok",
        session_id: int = 0,
        interface: str = "lanplus",
        command: str | None = None,
        detail: str = "",
    ) -> None:
        """Give the observer one record; the command name is looked up unless given ("" for unreadable packets)."""
        if self.observer is None:
            return
        if command is None:
            command = self._command_names.get(netfn << 8 | cmd) or self.command_name(netfn, cmd)
        # positional arguments in field order: time, peer, user_name, netfn, cmd, command, completion_code,
        # outcome, session_id, interface, detail (keywords cost a third more in this per-request path)
        record = _new_record(
            RequestRecord, (now, peer, user_name, netfn, cmd, command, code, outcome, session_id, interface, detail)
        )
        try:
            self.observer(record)
        except Exception:
            self._stats.errors += 1
            log.debug("%s: request observer failed", self.name, exc_info=True)

    def request(
        self,
        now: float,
        peer: tuple[str, int],
        user_name: str,
        netfn: int,
        cmd: int,
        code: int,
        session_id: int,
        interface: str,
        detail: str,
    ) -> None:
        """:meth:`report` of a handled in-session request (outcome "ok"), its arguments in field order.

        The session layer's per-request call: positional arguments, and the record built as the tuple it is.
        """
        observer = self.observer
        if observer is None:
            return
        command = self._command_names.get(netfn << 8 | cmd) or self.command_name(netfn, cmd)
        record = _new_record(
            RequestRecord, (now, peer, user_name, netfn, cmd, command, code, "ok", session_id, interface, detail)
        )
        try:
            observer(record)
        except Exception:
            self._stats.errors += 1
            log.debug("%s: request observer failed", self.name, exc_info=True)

    def command_name(self, netfn: int, cmd: int) -> str:
        """The command's name from the session commands or the device, remembered per (netFn, command)."""
        if netfn == APP and cmd in COMMAND_NAMES:
            name = COMMAND_NAMES[cmd]
        elif netfn == APP and cmd in SOL_COMMAND_NAMES:
            name = SOL_COMMAND_NAMES[cmd]
        else:
            try:
                name = self.device.command_name(netfn, cmd)
            except Exception:
                return f"netfn{netfn:02x}.cmd{cmd:02x}"
        self._command_names[netfn << 8 | cmd] = name
        return name
