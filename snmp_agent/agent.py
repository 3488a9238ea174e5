"""The public agent API: :class:`SnmpAgent` and its Twisted :class:`SnmpAgentService`.

An agent serves one :class:`MibSource` on one UDP address.  It binds its
socket itself in :meth:`SnmpAgent.start` (so a port in use fails right there,
with a message naming device and address, instead of pysnmp's silent bind in
a future) and hands the bound socket to a shared pysnmp engine
(:mod:`snmp_agent.hub`) running on the asyncio loop of Twisted's asyncio
reactor.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Iterable

from twisted.application.service import Service

from .config import (
    ALL_VERSIONS,
    AgentBindError,
    AgentConfigError,
    AgentStats,
    Clock,
    CommunityConfig,
    UsmUserConfig,
)
from .controller import DeviceController, Observer
from .endpoint import AgentEndpoint, Gate
from .hub import AgentBinding, EngineHub, HubPool
from .reactor import reactor_loop
from .source import MibSource

DEFAULT_COMMUNITIES = (CommunityConfig("public", "ro"), CommunityConfig("private", "rw"))


class SnmpAgent:
    """One SNMP agent (v1, v2c and v3 by default) for one device.

    ``communities`` and ``v3_users`` say who may read (``ro``) or also SET
    (``rw``); a request with an unknown community gets no answer at all.
    ``observer`` receives a :class:`snmp_agent.config.SnmpRecord` for every SET
    and every read of a live object.  ``clock`` (the rack's reactor, or a test
    clock: never a global fallback) stamps those records; ``loop`` is the asyncio loop (default: the loop of
    the installed asyncio reactor).  ``port=0`` binds an ephemeral port, readable
    from :attr:`port` after :meth:`start`.  ``fast_path=False`` sends v1/v2c
    requests through the pysnmp engine too (:mod:`snmp_agent.fastpath` answers
    them by default, with the same answers at a fraction of the CPU).
    """

    def __init__(
        self,
        source: MibSource,
        *,
        address: str,
        port: int = 161,
        communities: Iterable[CommunityConfig] = DEFAULT_COMMUNITIES,
        v3_users: Iterable[UsmUserConfig] = (),
        versions: Iterable[str] = ALL_VERSIONS,
        observer: Observer | None = None,
        name: str,
        clock: Clock,
        loop: asyncio.AbstractEventLoop | None = None,
        fast_path: bool = True,
    ) -> None:
        self.name = name
        self.fast_path = fast_path
        self.address = address
        self._requested_port = port
        self.communities = tuple(communities)
        self.v3_users = tuple(v3_users)
        self.versions = frozenset(versions)
        self._validate()
        self.source = source
        self.stats = AgentStats()
        self._clock = clock
        self._loop = loop
        self._observer = observer
        self._hub: EngineHub | None = None
        self._domain: tuple[int, ...] | None = None
        self._port: int | None = None
        self._gate: Gate | None = None

    @property
    def gate(self) -> Gate | None:
        """What every datagram passes before it is answered (a lossy or slow link); ``None``: nothing."""
        return self._gate

    @gate.setter
    def gate(self, gate: Gate | None) -> None:
        self._gate = gate
        endpoint = self.endpoint
        if endpoint is not None:
            endpoint.gate = gate

    def send_datagram(self, datagram: bytes, address: tuple[str, int]) -> None:
        """Send a datagram of the agent's own (a trap) from its socket; OSError when it is not running."""
        endpoint = self.endpoint
        if endpoint is None:
            raise OSError(f"SNMP agent {self.name} is not running")
        endpoint.send_datagram(datagram, address)

    def _validate(self) -> None:
        unknown = self.versions - ALL_VERSIONS
        if unknown or not self.versions:
            raise AgentConfigError(f"{self.name}: versions must be a non-empty subset of {sorted(ALL_VERSIONS)}")
        names = [c.name for c in self.communities]
        if len(set(names)) != len(names):
            raise AgentConfigError(f"{self.name}: a community is listed twice")
        users = [u.name for u in self.v3_users]
        if len(set(users)) != len(users):
            raise AgentConfigError(f"{self.name}: a v3 user is listed twice")
        if not self.communities and not self.v3_users:
            raise AgentConfigError(f"{self.name}: give at least one community or v3 user")

    @property
    def port(self) -> int:
        """The bound port (the requested one before :meth:`start`)."""
        return self._port if self._port is not None else self._requested_port

    @property
    def running(self) -> bool:
        return self._domain is not None

    @property
    def endpoint(self) -> AgentEndpoint | None:
        """The UDP endpoint serving this agent while it runs (its ``datagram_received`` is the packet entry)."""
        if self._hub is None or self._domain is None:
            return None
        return self._hub.endpoint(self._domain)

    def start(self) -> None:
        """Bind the UDP socket and start answering.  Raises :class:`AgentBindError` on failure."""
        if self.running:
            return
        sock = self._bind()
        loop = self._loop if self._loop is not None else reactor_loop()
        clock = self._clock
        controller = DeviceController(self.source, name=self.name, clock=clock, observer=self._observer)
        binding = AgentBinding(
            self.name,
            controller,
            self.communities,
            self.v3_users,
            self.versions,
            self.stats,
            self.fast_path,
        )
        hub = HubPool.for_loop(loop).hub_for(binding)
        try:
            self._domain = hub.attach(binding, sock)
        except Exception:
            sock.close()
            raise
        self._hub = hub
        self._port = sock.getsockname()[1]
        endpoint = hub.endpoint(self._domain)
        if endpoint is not None:
            endpoint.gate = self._gate

    def stop(self) -> None:
        """Stop answering and release the port.  Idempotent."""
        if self._hub is not None and self._domain is not None:
            self._hub.detach(self._domain)
        self._hub = None
        self._domain = None

    def _bind(self) -> socket.socket:
        where = f"{self.address}:{self._requested_port}/udp"
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError as exc:
            raise AgentBindError(exc.errno, f"SNMP agent {self.name}: cannot create a socket: {exc}") from exc
        try:
            sock.bind((self.address, self._requested_port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            hint = ""
            if exc.errno == errno.EACCES:
                hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            reason = (exc.strerror or str(exc)).lower()
            if exc.errno == errno.EADDRINUSE:
                reason = "address already in use (another agent or process is bound there)"
            raise AgentBindError(exc.errno, f"SNMP agent {self.name} cannot listen on {where}: {reason}{hint}") from exc
        return sock

    def __repr__(self) -> str:
        return f"<SnmpAgent {self.name} {self.address}:{self.port} running={self.running}>"


class SnmpAgentService(Service):
    """Runs an :class:`SnmpAgent` as a named Twisted service (binds in ``startService``)."""

    def __init__(self, agent: SnmpAgent) -> None:
        self.agent = agent
        self.name = agent.name

    def startService(self) -> None:
        self.agent.start()
        Service.startService(self)

    def stopService(self) -> None:
        Service.stopService(self)
        self.agent.stop()
