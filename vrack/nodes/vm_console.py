"""A VM node's serial port as the BMC's SOL sees it: relayed from QEMU's UNIX socket.

The domain's first serial port is a UNIX socket QEMU listens on (``vm_xml``), and QEMU also keeps
everything it prints in the node's console log.  :class:`VmConsole` connects to the socket once the
domain runs (:meth:`attach`, again after every power on), hands what the guest prints (SeaBIOS,
iPXE, the kernel) to every subscriber, and writes keystrokes from SOL back to the guest.  The guest
prints its own POST, so the power hooks the rack calls on a simulated node's console do nothing
here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.protocol import ClientFactory, Protocol
from twisted.python.failure import Failure

from node_sim.console import SerialConsole

ATTACH_TRIES = 50  # QEMU may create the socket a moment after libvirt reports the domain running
ATTACH_INTERVAL = 0.1


class _Relay(Protocol):
    def __init__(self, console: VmConsole) -> None:
        self.console = console

    def connectionMade(self) -> None:
        self.console.connected(self)

    def dataReceived(self, data: bytes) -> None:
        self.console.write(data)

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:  # noqa: B008
        self.console.disconnected(self)


class _RelayFactory(ClientFactory):
    def __init__(self, console: VmConsole, tries: int) -> None:
        self.console = console
        self.tries = tries

    def buildProtocol(self, addr: Any) -> _Relay:
        return _Relay(self.console)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if self.tries > 1 and self.console.wanted:
            self.console.retry(self.tries - 1)


class VmConsole(SerialConsole):
    """The serial console of a VM node, relayed from ``socket_path`` on the rack's reactor."""

    def __init__(self, socket_path: Path, reactor: Any) -> None:
        super().__init__(None)
        self.socket_path = socket_path
        self._reactor = reactor
        self._relay: _Relay | None = None
        self.wanted = False
        self.on_input = self._to_guest

    # the hooks a simulated node's console uses; a VM prints its own firmware and boot messages
    def power_on(self, boot: str, post_seconds: float = 0.0, boot_mode: str = "uefi") -> None:
        """Nothing to print: the guest's firmware does."""

    def post_done(self) -> None:
        """Nothing to print: the guest's firmware does."""

    def power_off(self) -> None:
        """The guest is gone; its socket closes by itself."""
        self.wanted = False

    def attach(self) -> None:
        """Connect to the running domain's serial socket (retrying briefly while QEMU creates it)."""
        self.wanted = True
        if self._relay is None:
            self.retry(ATTACH_TRIES, delay=0.0)

    def retry(self, tries: int, delay: float = ATTACH_INTERVAL) -> None:
        factory = _RelayFactory(self, tries)
        self._reactor.callLater(delay, self._reactor.connectUNIX, str(self.socket_path), factory, timeout=5)

    def connected(self, relay: _Relay) -> None:
        if self._relay is not None or not self.wanted:
            transport: Any = relay.transport
            transport.loseConnection()
            return
        self._relay = relay

    def disconnected(self, relay: _Relay) -> None:
        if self._relay is relay:
            self._relay = None

    def _to_guest(self, data: bytes) -> None:
        transport: Any = None if self._relay is None else self._relay.transport
        if transport is not None:
            transport.write(data)

    def close(self) -> None:
        self.wanted = False
        transport: Any = None if self._relay is None else self._relay.transport
        self._relay = None
        if transport is not None:
            transport.loseConnection()
        super().close()
