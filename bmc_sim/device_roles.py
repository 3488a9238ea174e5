"""What a BMC device offers its session layer: :class:`Device` (required) and the optional roles.

Declared as vrack's device roles are: a device class inherits the roles it plays (a missing member is a
type error at the class), and :class:`~bmc_sim.session.BmcEndpoint` asks :func:`is_serial_port`,
:func:`sends_alerts` and :func:`is_restartable` once, when it is built.  :class:`bmc_sim.device.Bmc` plays
all three; the session layer's test double plays none.

A class that inherits a role is answered from its MRO at once; anything else (a test double with the
members) by ``isinstance``, which on a runtime protocol costs 10-30 us on Python 3.11: 100,000 BMCs would pay
it three times each at a rack's start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeGuard, runtime_checkable

from bmc_sim.config import BmcConfig
from bmc_sim.console import HostConsole
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext
from bmc_sim.sol_config import SolConfig
from bmc_sim.users import UserStore

#: Sends one datagram to a peer from the BMC's own UDP socket.
Send = Callable[[bytes, tuple[str, int]], None]


class Device(Protocol):
    """What the session layer needs from a BMC (implemented by ``bmc_sim.device.Bmc``)."""

    config: BmcConfig
    users: UserStore

    @property
    def responsive(self) -> bool:
        """False while AC power is off, the BMC boots or is in mc reset: every packet is dropped."""
        ...

    def handle(self, request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        """Answer one request; never raises."""
        ...

    def command_name(self, netfn: int, cmd: int) -> str:
        """A stable name such as ``"chassis.get_status"``."""
        ...


class Clock(Protocol):
    """The part of ``IReactorTime`` the session layer uses (timers: the SOL payload's)."""

    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> Any: ...


class NoSerialPort:
    """For devices that are no :class:`SerialPort`: default SOL settings, no console attached."""

    def __init__(self, channel: int) -> None:
        self.sol_config = SolConfig(channel)
        self.console: HostConsole | None = None


@runtime_checkable
class SerialPort(Protocol):
    """A host serial port SOL can carry: its SOL configuration and the console on it (None: nothing attached)."""

    sol_config: SolConfig
    console: HostConsole | None


class AlertOutlet(Protocol):
    """Where PEF alerts (PET traps) go out: the session layer's socket, once it is bound."""

    send: Send | None


@runtime_checkable
class SendsAlerts(Protocol):
    """A BMC whose PEF alerts leave from its own UDP socket."""

    alerts: AlertOutlet


@runtime_checkable
class Restartable(Protocol):
    """A BMC that restarts (``mc reset``, AC loss) and says so, so that its sessions are forgotten."""

    def add_reset_listener(self, fn: Callable[[str], None]) -> None: ...


def _plays(device: object, role: Any) -> bool:
    """Declared by ``device``'s class (fast), else structurally (the members are there)."""
    return role in type(device).__mro__ or isinstance(device, role)


def is_serial_port(device: object) -> TypeGuard[SerialPort]:
    """``device`` is a :class:`SerialPort` (SOL can carry its console)."""
    return _plays(device, SerialPort)


def sends_alerts(device: object) -> TypeGuard[SendsAlerts]:
    """``device`` :class:`SendsAlerts` (PETs from the BMC's own socket)."""
    return _plays(device, SendsAlerts)


def is_restartable(device: object) -> TypeGuard[Restartable]:
    """``device`` is :class:`Restartable` (it tells when it restarts)."""
    return _plays(device, Restartable)
