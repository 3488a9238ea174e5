"""A compute node's BMC as the rack configures and journals it.

:func:`bmc_config` turns the node's plan (address, users, security policy, timing, serials) into the
``bmc_sim`` configuration of its model; :class:`BmcRequestJournal` writes one journal entry per request the
BMC handled or refused, with refusals from one peer bounded by :class:`~vrack.devices.refusals.RefusalLimiter`.
"""

from __future__ import annotations

from typing import Any

from bmc_sim.config import BmcConfig, LanConfig, Privilege, UserConfig
from bmc_sim.message import RequestRecord
from bmc_sim.models import build_config
from vrack.devices.refusals import RefusalLimiter, shown_name
from vrack.journal import Journal
from vrack.plan import NodePlan, RackPlan

PRIVILEGES = {
    "callback": Privilege.CALLBACK,
    "user": Privilege.USER,
    "operator": Privilege.OPERATOR,
    "administrator": Privilege.ADMINISTRATOR,
}


def user_configs(plan: NodePlan) -> tuple[UserConfig, ...]:
    """The spec's users with slots assigned: explicit ids first, others from slot 2 up."""
    taken = {u.id for u in plan.spec.bmc.users if u.id is not None}
    free = (slot for slot in range(2, 16) if slot not in taken)
    users = []
    for user in plan.spec.bmc.users:
        slot = user.id if user.id is not None else (1 if user.name == "" else next(free))
        users.append(UserConfig(slot, user.name, user.password, PRIVILEGES[user.privilege], user.enabled))
    return tuple(users)


def bmc_config(plan: NodePlan, rack: RackPlan) -> BmcConfig:
    """The node's BMC: its model's personality with the plan's LAN settings, users, serials, GUID and policy."""
    bmc_spec = plan.spec.bmc
    lan = LanConfig(
        ip_address=str(plan.bmc_address),
        mac_address=plan.bmc_mac,
        netmask=str(bmc_spec.netmask or rack.spec.networks.management.netmask),
        gateway=str(bmc_spec.gateway or "0.0.0.0"),
        ip_source=bmc_spec.ip_source,
    )
    return build_config(
        plan.spec.model,
        name=plan.name,
        lan=lan,
        users=user_configs(plan),
        system_serial=plan.system_serial,
        board_serial=plan.board_serial,
        chassis_serial=plan.chassis_serial,
        system_guid=plan.system_uuid,
        cipher_suites=tuple(bmc_spec.cipher_suites),
        auth_types_15=tuple(bmc_spec.ipmi15_auth),
        session_limit=bmc_spec.session_limit,
        session_timeout=bmc_spec.session_timeout,
        handshake_timeout=bmc_spec.handshake_timeout,
        boot_time=bmc_spec.boot_time,
        mc_reset_time=bmc_spec.mc_reset_time,
        power_restore_policy=plan.spec.power_restore_policy,
        initial_power_on=plan.spec.power_on,
    )


class BmcRequestJournal:
    """The BMC's request observer: one ``ipmi`` journal entry per request, refusals bounded per peer."""

    def __init__(self, device_name: str, journal: Journal, reactor: Any) -> None:
        self.device_name = device_name
        self.journal = journal
        self._refusals = RefusalLimiter(reactor, self._refusals_suppressed)
        # the last peer and its "address:port" text: a client keeps its port for a whole session, so one
        # entry saves the formatting on nearly every request and, unlike a cache per peer, never grows
        self._last_peer: tuple[tuple[str, int], str] = (("", 0), ":0")

    def record(self, record: RequestRecord) -> None:
        """Journal one request the BMC handled or refused (the request path: one dict, no keyword packing)."""
        _time, peer, user_name, netfn, cmd, command, code, outcome, _session_id, interface, detail = record
        last_peer, peer_text = self._last_peer
        if peer != last_peer:
            peer_text = f"{peer[0]}:{peer[1]}"
            self._last_peer = (peer, peer_text)
        fields: dict[str, Any] = {
            "peer": peer_text,
            "user": user_name,
            "netfn": netfn,
            "cmd": cmd,
            "completion_code": code,
            "interface": interface,
        }
        if outcome != "ok":
            if not self._refusals.admit(peer[0], outcome):
                return
            fields["outcome"] = outcome
            fields["user"] = shown_name(user_name)
        if detail:
            fields["request"] = detail
        self.journal.append_fields(self.device_name, "ipmi", command, fields)

    def flush(self) -> None:
        """Write the pending refusal summaries (the rack is stopping)."""
        self._refusals.flush()

    def _refusals_suppressed(self, address: str, count: int, outcomes: dict[str, int]) -> None:
        self.journal.append(
            self.device_name, "ipmi", "refusals-suppressed", peer=address, count=count, outcomes=outcomes
        )
