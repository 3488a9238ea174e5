"""The command table: one decorator registers a handler for (netfn, cmd).

Handlers are plain functions ``handler(bmc, data, ctx) -> bytes`` that return
the response data (without the completion code) or raise one of the typed
errors of :mod:`bmc_sim.errors`.  The table is filled once, at import time of
the area modules (:mod:`bmc_sim.commands`), and never changes afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bmc_sim.config import Privilege
from bmc_sim.message import RequestContext

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

Handler = Callable[["Bmc", bytes, RequestContext], bytes]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One registered command: its identity, privilege and accepted lengths."""

    netfn: int
    cmd: int
    name: str
    privilege: Privilege
    handler: Handler
    min_len: int = 0
    max_len: int | None = None

    def length_ok(self, length: int) -> bool:
        """True when a request body of ``length`` bytes is acceptable."""
        return length >= self.min_len and (self.max_len is None or length <= self.max_len)


COMMANDS: dict[tuple[int, int], CommandSpec] = {}

# Names of commands that the session layer answers itself; they never reach
# the device, but the journal still wants a readable name for them.
SESSION_COMMAND_NAMES: dict[tuple[int, int], str] = {
    (0x06, 0x38): "app.get_channel_auth_capabilities",
    (0x06, 0x39): "app.get_session_challenge",
    (0x06, 0x3A): "app.activate_session",
    (0x06, 0x3B): "app.set_session_privilege",
    (0x06, 0x3C): "app.close_session",
    (0x06, 0x3D): "app.get_session_info",
    (0x06, 0x54): "app.get_channel_cipher_suites",
}


def command(
    *,
    netfn: int,
    cmd: int,
    name: str,
    privilege: Privilege,
    min_len: int = 0,
    max_len: int | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``(netfn, cmd)``.

    ``min_len``/``max_len`` bound the request body; the dispatcher answers
    0xC7 outside them before calling the handler.  Registering the same
    command twice is a programming error.
    """

    def register(handler: Handler) -> Handler:
        key = (netfn, cmd)
        if key in COMMANDS:
            raise RuntimeError(f"command {name} registered twice ({COMMANDS[key].name})")
        COMMANDS[key] = CommandSpec(netfn, cmd, name, privilege, handler, min_len, max_len)
        return handler

    return register


def lookup(netfn: int, cmd: int) -> CommandSpec | None:
    """Return the registered command, or None."""
    return COMMANDS.get((netfn, cmd))


def command_name(netfn: int, cmd: int) -> str:
    """A stable, readable name such as ``chassis.get_status``.

    Unknown commands are named ``netfn0x2e.cmd0x01``.
    """
    spec = COMMANDS.get((netfn, cmd))
    if spec is not None:
        return spec.name
    known = SESSION_COMMAND_NAMES.get((netfn, cmd))
    if known is not None:
        return known
    return f"netfn{netfn:#04x}.cmd{cmd:#04x}"
