"""Transport: serve a :class:`~switch_sim.device.Switch` over SNMP with the shared agent engine.

The socket is bound when the service starts (``startService``), never in a
constructor; a port in use raises :class:`snmp_agent.AgentBindError` naming
the switch and address.
"""

from __future__ import annotations

from collections.abc import Iterable

from snmp_agent import DEFAULT_COMMUNITIES, CommunityConfig, SnmpAgent, SnmpAgentService, UsmUserConfig
from snmp_agent.config import ALL_VERSIONS, Clock
from snmp_agent.controller import Observer
from switch_sim.device import Switch


def switch_agent(
    switch: Switch,
    *,
    address: str,
    port: int = 161,
    communities: Iterable[CommunityConfig] = DEFAULT_COMMUNITIES,
    v3_users: Iterable[UsmUserConfig] = (),
    versions: Iterable[str] = ALL_VERSIONS,
    observer: Observer | None = None,
    clock: Clock,
) -> SnmpAgent:
    """An (unstarted) SNMP agent named after ``switch`` serving its MIB on ``address:port``."""
    return SnmpAgent(
        switch.source,
        address=address,
        port=port,
        communities=communities,
        v3_users=v3_users,
        versions=versions,
        observer=observer,
        name=switch.name,
        clock=clock,
    )


class SwitchService(SnmpAgentService):
    """A named Twisted service running ``switch``'s SNMP agent (binds in ``startService``)."""

    def __init__(self, switch: Switch, agent: SnmpAgent) -> None:
        super().__init__(agent)
        self.switch = switch
