"""What PDUs and switches share in the rack: an SNMP agent built from the spec, journalled.

Community strings are credentials in SNMP v1/v2c, so the journal records the
access level a request was granted (``ro``/``rw``) and the version, never the
community itself; v3 requests are journalled with their user name.
"""

from __future__ import annotations

from typing import Any

from snmp_agent.agent import SnmpAgent, SnmpAgentService
from snmp_agent.config import CommunityConfig, SnmpRecord, UsmUserConfig
from snmp_agent.source import MibSource
from snmp_agent.traps import TrapReceiver, TrapSender
from vrack.devices.base import DeviceService
from vrack.journal import Journal
from vrack.link import GatedLink, LinkGate
from vrack.plan import SnmpDevicePlan


class SnmpDeviceService(DeviceService, GatedLink):
    """A device whose management interface is one SNMP agent."""

    def __init__(self, plan: SnmpDevicePlan, source: MibSource, reactor: Any, journal: Journal) -> None:
        super().__init__(plan.name, plan.spec.model)
        self.plan = plan
        self.journal = journal
        self._reactor = reactor
        snmp = plan.spec.snmp
        self._access = {c.name: c.access for c in snmp.communities}
        self.agent = SnmpAgent(
            source,
            address=str(plan.address),
            port=plan.port,
            communities=[CommunityConfig(c.name, c.access) for c in snmp.communities],
            v3_users=[
                UsmUserConfig(
                    u.name,
                    auth_protocol=u.auth_protocol,
                    auth_key=u.auth_key,
                    priv_protocol=u.priv_protocol,
                    priv_key=u.priv_key or "",
                    access=u.access,
                )
                for u in snmp.users
            ],
            versions=snmp.versions,
            observer=self._on_request,
            name=plan.name,
            clock=reactor,
            loop=getattr(reactor, "_asyncioEventloop", None),  # the rack's own loop, never a global one
        )
        SnmpAgentService(self.agent).setServiceParent(self)
        self._started_at = reactor.seconds()
        receivers = [TrapReceiver(str(t.address), t.port, t.community) for t in snmp.traps]
        self.traps = TrapSender(self.agent.send_datagram, receivers)

    def _on_request(self, record: SnmpRecord) -> None:
        fields: dict[str, Any] = {
            "peer": record.peer,
            "version": record.version,
            "oids": list(record.oids),
            "error_status": record.error_status,
        }
        if record.version == "v3":
            fields["user"] = record.principal
        else:
            fields["access"] = self._access.get(record.principal, "none")
        if record.values:
            fields["values"] = list(record.values)
        self.journal.append(self.device_name, "snmp", record.operation, **fields)

    def credentials(self) -> dict[str, Any]:
        """SNMP communities and v3 users with their keys, as the spec gave them."""
        snmp = self.plan.spec.snmp
        return {
            "snmp": {
                "address": str(self.plan.address),
                "port": self.agent.port,
                "versions": list(snmp.versions),
                "communities": [{"name": c.name, "access": c.access} for c in snmp.communities],
                "users": [user.model_dump() for user in snmp.users],
            }
        }

    def snmp_description(self) -> dict[str, Any]:
        return {
            "name": self.device_name,
            "kind": self.kind,
            "model": self.plan.spec.model,
            "address": str(self.plan.address),
            "mac": self.plan.mac,
            "port": self.plan.port,
            "bound_port": self.agent.port,
            "serial": self.plan.serial,
            "stats": {
                "received": self.agent.stats.received,
                "answered": self.agent.stats.answered,
                "malformed": self.agent.stats.malformed,
            },
            "link": self.link_state(),
        }

    def send_trap(self, trap: tuple[int, ...], varbinds: list[tuple[tuple[int, ...], object]]) -> None:
        """Send a trap to the spec's receivers from the agent's own socket, and journal it (never the community)."""
        if not self.traps.receivers:
            return
        uptime = self._reactor.seconds() - self._started_at
        self.traps.send(uptime, trap, varbinds)
        receivers = [f"{r.address}:{r.port}" for r in self.traps.receivers]
        oid = ".".join(map(str, trap))
        self.journal.append(self.device_name, "snmp", "trap", trap=oid, receivers=receivers, sent=self.traps.sent)

    def _install_gate(self, gate: LinkGate | None) -> None:
        self.agent.gate = gate

    def _link_reactor(self) -> Any:
        return self._reactor
