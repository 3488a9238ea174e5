"""A BMC that leases its address over DHCP from its own MAC on its own link (netns mode), as hardware does.

When the BMC's LAN configuration says ``ip_source: dhcp`` (the spec, or ``ipmitool lan set 1 ipsrc dhcp``
at run time) and the BMC is up, :class:`BmcDhcp` runs a :class:`node_sim.dhcp_lease.LeaseKeeper` on an
``AF_PACKET`` socket bound to the BMC's device end of its veth (:mod:`vrack.netns_devices`), whose MAC is
the BMC's: DISCOVER/REQUEST leave from that MAC, the lease is renewed at T1 and rebound at T2.

On each ACK the LAN parameters take the lease's address, mask and gateway (``lan print``), and when
the address differs from the one the BMC is on, the BMC *moves*: the leased address goes on its link
(with its source-address routing rule), the IPMI port and the Redfish ports are closed and bound again
there, the old address leaves the link and a gratuitous ARP announces the new one.  A lease that runs
out moves it back to its spec address.  While no server answers the keeper retries with backoff and the
BMC stays on its spec address (the fallback).  ``ipsrc static`` stops the keeper; the BMC keeps the
address it is on.  AC loss or a BMC reset stops it too; the BMC asks again when it is up.  Every step is
journalled (protocol ``dhcp``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

from twisted.application import service
from twisted.internet import defer

from node_sim.dhcp_lease import LeaseKeeper
from node_sim.dhcp_outcome import Lease
from node_sim.transport import DatagramLink, NetnsIO
from vrack.journal import Journal
from vrack.netns_devices import RULE_PRIORITY, announce

IP_SOURCE = 4  # LAN configuration parameter


class BmcDhcp(service.Service):
    """One BMC's DHCP client and address moves (module docstring); a child service of its compute device."""

    def __init__(
        self, device: str, bmc: Any, services: list[Any], network: Any, reactor: Any, journal: Journal
    ) -> None:
        self.device = device
        self.bmc = bmc
        self.services = services  # the BMC's listeners (IPMI, Redfish): ``address`` and start/stopService
        self.network = network
        self.reactor = reactor
        self.journal = journal
        link = network.device_links[device]
        self.fallback = link.address
        self.io = NetnsIO(reactor, network.netns)
        self.keeper = LeaseKeeper(
            link.mac, reactor, self._send, on_bound=self._bound, on_lost=self._lost, emit=self._event
        )
        self.moves = 0
        self._port: DatagramLink | None = None
        self._moving: defer.Deferred[None] = defer.succeed(None)
        bmc.lan.listeners.append(self._lan_changed)
        bmc.add_reset_listener(lambda _kind: self._stop_client())
        bmc.add_ready_listener(self._follow_config)
        self.setName(f"{device}-dhcp")

    @property
    def link(self) -> Any:
        return self.network.device_links[self.device]

    @property
    def address(self) -> str:
        """The address the BMC is on now (``ip``, no prefix)."""
        return str(self.link.address.split("/")[0])

    # -- service ----------------------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self._follow_config()

    def stopService(self) -> None:
        super().stopService()
        self._stop_client()

    def describe(self) -> dict[str, Any]:
        """What status shows: the keeper's state and lease, the fallback address and how often it moved."""
        info = self.keeper.describe(float(self.reactor.seconds()))
        return {**info, "fallback": self.fallback.split("/")[0], "moves": self.moves}

    # -- following the LAN configuration ----------------------------------------------------------

    def _lan_changed(self, param: int) -> None:
        if param == IP_SOURCE:
            self._follow_config()

    def _follow_config(self) -> None:
        wanted = self.running and self.bmc.responsive and self.bmc.lan.reported()["ip_source"] == "dhcp"
        if wanted and self._port is None:
            self._port = self.io.open_udp(self.link.inner, "0.0.0.0", 68, self.keeper.datagram_received)
            self.journal.append(self.device, "dhcp", "client-start", mac=self.link.mac, interface=self.link.inner)
            self.keeper.start()
        elif not wanted:
            self._stop_client()

    def _stop_client(self) -> None:
        port, self._port = self._port, None
        if port is None:
            return
        self.keeper.stop()
        port.close()
        self.journal.append(self.device, "dhcp", "client-stop", address=self.address)

    def _send(self, data: bytes, address: tuple[str, int]) -> None:
        if self._port is not None:
            self._port.send(data, address)

    def _event(self, event: str, **fields: Any) -> None:
        self.journal.append(self.device, "dhcp", event.removeprefix("dhcp."), **fields)

    # -- the lease --------------------------------------------------------------------------------

    def _bound(self, lease: Lease) -> None:
        self.bmc.lan.apply_lease(lease.address, lease.netmask, lease.gateway)
        self.journal.append(
            self.device, "dhcp", "lease", address=lease.address, netmask=lease.netmask, gateway=lease.gateway,
            server=lease.server_id, lease_seconds=lease.lease_seconds, mac=self.link.mac,
        )  # fmt: skip
        self._move_to(f"{lease.address}/{lease.prefixlen}")

    def _lost(self) -> None:
        self._move_to(self.fallback)

    def _move_to(self, address: str) -> None:
        """Queue a move of the BMC to ``address`` (``ip/len``): moves run one after the other."""
        self._moving = self._moving.addCallback(lambda _: self._move(address)).addErrback(self._move_failed)

    def _move_failed(self, failure: Any) -> None:
        self.journal.append(self.device, "dhcp", "move-failed", error=failure.getErrorMessage())

    @defer.inlineCallbacks
    def _move(self, address: str) -> Any:
        old = self.link
        if old.address == address:
            return
        new_ip, old_ip = address.split("/")[0], old.address.split("/")[0]
        subnet = str(ipaddress.IPv4Interface(address).network)
        with self.network.in_netns(), open(f"/proc/sys/net/ipv4/conf/{old.inner}/promote_secondaries", "w") as f:
            f.write("1")  # deleting the old (primary) address must keep the new one of the same subnet
        self.network.run_batch(
            [
                f"addr replace {address} dev {old.inner}",
                f"rule add from {new_ip} table {old.table} pref {RULE_PRIORITY}",
                f"route replace {subnet} dev {old.inner} table {old.table}",
            ]
        )
        new = dataclasses.replace(old, address=address, subnet=subnet)
        self.network.device_links[self.device] = new
        for listener in self.services:  # close where it was, then bind where it is now
            yield defer.maybeDeferred(listener.stopService)
            listener.address = new_ip
            self.network.bind_in_netns(listener.startService)
        self.network.run_batch([f"addr del {old.address} dev {old.inner}", f"rule del from {old_ip} table {old.table}"])
        announce(self.network, [new])
        self.moves += 1
        self.journal.append(self.device, "dhcp", "moved", address=new_ip, previous=old_ip)


def attach_dhcp(
    device: str, bmc: Any, services: list[Any], network: Any, reactor: Any, journal: Journal
) -> BmcDhcp | None:
    """A :class:`BmcDhcp` for ``device`` when the rack gave it its own link (netns mode), else None."""
    if network is None or device not in network.device_links:
        return None
    return BmcDhcp(device, bmc, [s for s in services if s is not None], network, reactor, journal)
