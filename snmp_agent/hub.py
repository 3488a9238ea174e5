"""One pysnmp engine serving many agents, each on its own UDP endpoint.

A pysnmp ``SnmpEngine`` loads its MIB tree (~1.7 MB, 0.14 s), so a rack of
120 SNMP devices must not create 120 of them.  An :class:`EngineHub` owns one
engine and gives each attached agent:

* its own transport domain (``snmpUDPDomain + (agent_id,)``), so a request is
  routed to a device by the endpoint it arrived on;
* its own communities: pysnmp's community table holds one entry per distinct
  community *name* in the hub (refcounted over the agents that use it, so
  attaching an agent with known names writes nothing to pysnmp's MIB, ~3 ms a
  write); before pysnmp looks a v1/v2c community up (observer point
  ``rfc2576.processIncomingMsg:writable``), a community the receiving agent
  does not have is replaced by the empty name, which is never registered, so
  a community known to one device is unknown (counted in
  snmpInBadCommunityNames, dropped, no answer) on another.  The access a
  community grants is the receiving agent's own;
* its v3 users: the USM table is engine-wide, so a hub only hosts agents whose
  users of the same name have identical credentials (the :class:`HubPool`
  opens another hub otherwise); the per-device user list and access level are
  enforced by the responders (authorizationError for a user of another device).

The responders bypass pysnmp's VACM and MIB instrumentation entirely and hand
requests to the agent's :class:`DeviceController`.  The engine's own MIB
objects are never served, so walks show exactly the device's tree.

Before any of that, each endpoint offers a datagram to its agent's
:class:`~snmp_agent.fastpath.FastPath` (unless the agent turned it off): v1/v2c
community requests are answered there without the engine, with the same
answers; v3 and anything the fast path does not decode go to the engine.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.entity import config as pconfig
from pysnmp.entity import engine as pengine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto.api import v2c
from twisted.logger import Logger

from .config import AgentConfigError, AgentStats, CommunityConfig, UsmUserConfig, Version
from .controller import DeviceController, Outcome, Principal, VarBind
from .endpoint import AgentEndpoint
from .fastpath import FastPath

_log = Logger()

AUTH_IDS: dict[str, Any] = {
    "none": pconfig.USM_AUTH_NONE,
    "md5": pconfig.USM_AUTH_HMAC96_MD5,
    "sha": pconfig.USM_AUTH_HMAC96_SHA,
    "sha224": pconfig.USM_AUTH_HMAC128_SHA224,
    "sha256": pconfig.USM_AUTH_HMAC192_SHA256,
    "sha384": pconfig.USM_AUTH_HMAC256_SHA384,
    "sha512": pconfig.USM_AUTH_HMAC384_SHA512,
}
PRIV_IDS: dict[str, Any] = {
    "none": pconfig.USM_PRIV_NONE,
    "des": pconfig.USM_PRIV_CBC56_DES,
    "3des": pconfig.USM_PRIV_CBC168_3DES,
    "aes": pconfig.USM_PRIV_CFB128_AES,
    "aes192": pconfig.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "aes256": pconfig.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "aes192c": pconfig.USM_PRIV_CFB192_AES,
    "aes256c": pconfig.USM_PRIV_CFB256_AES,
}
_VERSIONS: dict[int, Version] = {0: "v1", 1: "v2c", 3: "v3"}
_REQUEST_POINT = "rfc3412.receiveMessage:request"
_COMMUNITY_POINT = "rfc2576.processIncomingMsg:writable"


@dataclass
class AgentBinding:
    """What a hub needs to know about one attached agent."""

    name: str
    controller: DeviceController
    communities: tuple[CommunityConfig, ...]
    users: tuple[UsmUserConfig, ...]
    versions: frozenset[str]
    stats: AgentStats
    fast_path: bool = True


def _credentials(user: UsmUserConfig) -> tuple[str, str, str, str]:
    return (user.auth_protocol, user.auth_key, user.priv_protocol, user.priv_key)


class EngineHub:
    """One ``SnmpEngine`` plus the agents routed through it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, index: int = 0) -> None:
        self.loop = loop
        self.index = index
        engine_id = b"\x80\x00\x1f\x88\x04" + f"vrack-hub-{index}".encode()
        self.engine = pengine.SnmpEngine(snmpEngineID=univ.OctetString(engine_id))
        self.engine.register_transport_dispatcher(AsyncioDispatcher(loop=loop))
        self.engine.observer.register_observer(self._rewrite_community, _COMMUNITY_POINT)
        (self._parse_errors,) = self.engine.get_mib_builder().import_symbols("__SNMPv2-MIB", "snmpInASNParseErrs")
        snmp_context = context.SnmpContext(self.engine)
        for base in (
            cmdrsp.GetCommandResponder,
            cmdrsp.NextCommandResponder,
            cmdrsp.BulkCommandResponder,
            cmdrsp.SetCommandResponder,
        ):
            _make_responder(base, self)(self.engine, snmp_context)
        self._next_id = 1
        self._agents: dict[tuple[int, ...], tuple[int, AgentBinding]] = {}
        # per agent id: its communities by name (bytes, as they arrive)
        self._agent_communities: dict[int, dict[bytes, CommunityConfig]] = {}
        # pysnmp community table: name -> (securityName index, number of agents using it)
        self._registered: dict[bytes, tuple[str, int]] = {}
        self._security_names: dict[bytes, bytes] = {}  # securityName index -> community name
        self._next_community = 1
        self._users: dict[str, tuple[tuple[str, str, str, str], int]] = {}

    def __len__(self) -> int:
        return len(self._agents)

    def close(self) -> None:
        """Detach every agent and stop the engine's dispatcher timer."""
        for domain in list(self._agents):
            self.detach(domain)
        self.engine.close_dispatcher()

    def parse_error_count(self) -> int:
        return int(self._parse_errors.syntax)

    def can_host(self, binding: AgentBinding) -> bool:
        """False when one of the agent's v3 users clashes with a same-named user here."""
        for user in binding.users:
            known = self._users.get(user.name)
            if known is not None and known[0] != _credentials(user):
                return False
        return True

    def attach(self, binding: AgentBinding, sock: socket.socket) -> tuple[int, ...]:
        """Serve ``binding`` on the already bound ``sock``; returns the transport domain."""
        if not self.can_host(binding):
            raise AgentConfigError(f"{binding.name}: v3 users clash with another agent on this engine")
        agent_id = self._next_id
        self._next_id += 1
        domain: tuple[int, ...] = (*udp.DOMAIN_NAME, agent_id)
        fast = None
        if binding.fast_path:
            fast = FastPath(binding.controller, binding.communities, binding.versions, binding.name)
        transport = AgentEndpoint(binding.stats, self.loop, self.parse_error_count, fast)
        pconfig.add_transport(self.engine, domain, transport.serve(sock))
        self._agents[domain] = (agent_id, binding)
        own = {community.name.encode(): community for community in binding.communities}
        self._agent_communities[agent_id] = own
        for name in own:
            self._add_community(name)
        for user in binding.users:
            self._add_user(user)
        return domain

    def endpoint(self, domain: tuple[int, ...]) -> AgentEndpoint | None:
        """The endpoint of the agent attached on ``domain``."""
        if domain not in self._agents:
            return None
        transport = pconfig.get_transport(self.engine, domain)
        return transport if isinstance(transport, AgentEndpoint) else None

    def detach(self, domain: tuple[int, ...]) -> None:
        """Stop serving the agent on ``domain`` and close its socket."""
        entry = self._agents.pop(domain, None)
        if entry is None:
            return
        agent_id, binding = entry
        transport = pconfig.get_transport(self.engine, domain)
        pconfig.delete_transport(self.engine, domain)
        if isinstance(transport, AgentEndpoint):
            transport.shutdown()
        for name in self._agent_communities.pop(agent_id, {}):
            self._remove_community(name)
        for user in binding.users:
            self._remove_user(user)

    def _add_community(self, name: bytes) -> None:
        known = self._registered.get(name)
        if known is not None:
            self._registered[name] = (known[0], known[1] + 1)
            return
        index = f"c{self._next_community}"
        self._next_community += 1
        pconfig.add_v1_system(self.engine, index, univ.OctetString(name), securityName=index)
        self._registered[name] = (index, 1)
        self._security_names[index.encode()] = name

    def _remove_community(self, name: bytes) -> None:
        index, users = self._registered[name]
        if users > 1:
            self._registered[name] = (index, users - 1)
            return
        del self._registered[name]
        del self._security_names[index.encode()]
        pconfig.delete_v1_system(self.engine, index)

    def _add_user(self, user: UsmUserConfig) -> None:
        known = self._users.get(user.name)
        if known is not None:
            self._users[user.name] = (known[0], known[1] + 1)
            return
        pconfig.add_v3_user(
            self.engine,
            user.name,
            AUTH_IDS[user.auth_protocol],
            user.auth_key or None,
            PRIV_IDS[user.priv_protocol],
            user.priv_key or None,
        )
        self._users[user.name] = (_credentials(user), 1)

    def _remove_user(self, user: UsmUserConfig) -> None:
        known = self._users.get(user.name)
        if known is None:
            return
        if known[1] > 1:
            self._users[user.name] = (known[0], known[1] - 1)
            return
        del self._users[user.name]
        pconfig.delete_v3_user(self.engine, user.name)

    # -- request path ----------------------------------------------------------
    def _rewrite_community(self, engine: Any, execpoint: str, variables: dict[str, Any], ctx: Any) -> None:
        domain = tuple(variables["transportInformation"][0])
        entry = self._agents.get(domain)
        own = self._agent_communities.get(entry[0], {}) if entry is not None else {}
        if univ.OctetString(variables["communityName"]).asOctets() not in own:
            variables["communityName"] = _UNKNOWN_COMMUNITY

    def route(self) -> tuple[AgentBinding, Principal, str] | None:
        """The agent, principal and peer of the request being processed, or None to drop it."""
        request = self.engine.observer.get_execution_context(_REQUEST_POINT)
        entry = self._agents.get(tuple(request["transportDomain"]))
        version = _VERSIONS.get(int(request["messageProcessingModel"]))
        if entry is None or version is None:
            return None
        agent_id, binding = entry
        if version not in binding.versions:
            return None
        address = request["transportAddress"]
        peer = f"{address[0]}:{address[1]}"
        security_name = univ.OctetString(request["securityName"]).asOctets()
        if version == "v3":
            user = next((u for u in binding.users if u.name.encode() == security_name), None)
            if user is None or int(request["securityLevel"]) < user.security_level:
                # authenticated by the shared engine, but not a user of this device
                name = security_name.decode(errors="replace")
                return binding, Principal(name, "ro", version, authorized=False), peer
            return binding, Principal(user.name, user.access, version), peer
        name = self._security_names.get(security_name)
        community = self._agent_communities.get(agent_id, {}).get(name) if name is not None else None
        if community is None:
            return None
        return binding, Principal(community.name, community.access, version), peer


#: What an agent's unknown community becomes before pysnmp looks it up: empty names are never registered.
_UNKNOWN_COMMUNITY = univ.OctetString(b"")


def _make_responder(base: type, hub: EngineHub) -> Callable[..., Any]:
    """A subclass of pysnmp's responder ``base`` that answers from the routed agent."""

    class Responder(base):  # type: ignore[misc]
        def handle_management_operation(self, snmpEngine: Any, stateReference: Any, contextName: Any, PDU: Any) -> None:
            routed = hub.route()
            if routed is None:
                self.release_state_information(stateReference)
                return
            binding, principal, peer = routed
            varbinds: list[VarBind] = [(tuple(oid), value) for oid, value in v2c.apiPDU.get_varbinds(PDU)]
            try:
                outcome = _dispatch(base, binding.controller, PDU, varbinds, principal, peer)
            except Exception:
                _log.failure("{device}: request failed", device=binding.name)
                outcome = Outcome(varbinds, "genErr", 1 if varbinds else 0)
            self.send_varbinds(snmpEngine, stateReference, outcome.error_status, outcome.error_index, outcome.varbinds)
            self.release_state_information(stateReference)

    Responder.__name__ = f"Routing{base.__name__}"
    return Responder


def _dispatch(
    base: type,
    controller: DeviceController,
    pdu: Any,
    varbinds: list[VarBind],
    principal: Principal,
    peer: str,
) -> Outcome:
    if base is cmdrsp.GetCommandResponder:
        return controller.get(varbinds, principal, peer)
    if base is cmdrsp.NextCommandResponder:
        return controller.get_next(varbinds, principal, peer)
    if base is cmdrsp.BulkCommandResponder:
        return controller.get_bulk(
            varbinds,
            int(v2c.apiBulkPDU.get_non_repeaters(pdu)),
            int(v2c.apiBulkPDU.get_max_repetitions(pdu)),
            principal,
            peer,
        )
    return controller.set(varbinds, principal, peer)


class HubPool:
    """The hubs of one event loop; agents join the first hub that can host them."""

    _pools: dict[int, HubPool] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.hubs: list[EngineHub] = []

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop) -> HubPool:
        pool = cls._pools.get(id(loop))
        if pool is None or pool.loop is not loop:
            pool = cls._pools[id(loop)] = cls(loop)
        return pool

    @classmethod
    def close_loop(cls, loop: asyncio.AbstractEventLoop) -> None:
        """Drop the hubs of ``loop`` (call before closing a loop that served agents)."""
        pool = cls._pools.pop(id(loop), None)
        if pool is not None and pool.loop is loop:
            for hub in pool.hubs:
                hub.close()

    def hub_for(self, binding: AgentBinding) -> EngineHub:
        for hub in self.hubs:
            if hub.can_host(binding):
                return hub
        hub = EngineHub(self.loop, len(self.hubs))
        self.hubs.append(hub)
        return hub
