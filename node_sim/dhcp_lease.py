"""Keep a DHCP lease as an operating system or a BMC does (RFC 2131 §4.4.5): device logic, no sockets.

:class:`LeaseKeeper` acquires a lease with :class:`node_sim.dhcp_client.DhcpClient` in ``HOST`` mode
(DISCOVER/REQUEST broadcast from the NIC's MAC), then:

* at T1 (option 58, else half the lease) it *renews*: a REQUEST with ``ciaddr`` set, unicast to the
  server that gave the lease, retransmitted after half the time left to T2 (at least ``min_retransmit``);
* at T2 (option 59, else 7/8 of the lease) it *rebinds*: the same REQUEST broadcast, to any server;
* an ACK extends the lease (``on_bound`` again, with the new lease); a NAK, or the lease running out,
  calls ``on_lost`` and starts a new acquisition;
* when no server answers an acquisition it waits (``backoff``: 10, 20, 40 ... 300 s) and tries again,
  for as long as it runs: the caller keeps its fallback address meanwhile, as BMCs keep their static one.

A lease without a lease time (option 51 absent or infinite) is never renewed.  ``send(data, (host,
port))`` is the NIC's DHCP client port (:class:`node_sim.packet.PacketLink`: broadcasts as raw frames,
unicast from port 68 of the NIC); received datagrams go to :meth:`LeaseKeeper.datagram_received`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node_sim import dhcp
from node_sim.dhcp_client import DhcpClient
from node_sim.dhcp_outcome import Address, DhcpFailure, Lease, Mode, transaction_id

BACKOFF = (10.0, 20.0, 40.0, 80.0, 160.0, 300.0)
MIN_RETRANSMIT = 60.0  # RFC 2131 §4.4.5: down to a minimum of 60 seconds
HOST_TIMEOUTS = (4.0, 8.0, 16.0, 32.0)


def _seconds_option(packet: dhcp.DhcpPacket, code: int) -> int | None:
    value = packet.options.get(code)
    if value is None or len(value) != 4 or value == b"\xff\xff\xff\xff":
        return None
    return int.from_bytes(value, "big")


def lease_timers(lease: Lease) -> tuple[float, float, float] | None:
    """(T1, T2, lease time) in seconds from the ACK (options 58, 59, 51), None for an infinite lease."""
    if lease.ack is None:
        return None
    total = lease.lease_seconds
    if total is None:
        return None
    t1 = _seconds_option(lease.ack, 58)
    t2 = _seconds_option(lease.ack, 59)
    t1f = float(t1) if t1 is not None and t1 < total else total * 0.5
    t2f = float(t2) if t2 is not None and t1f < t2 < total else max(total * 0.875, t1f)
    return t1f, t2f, float(total)


class LeaseKeeper:
    """One NIC's lease, acquired and kept for as long as :meth:`start` .. :meth:`stop` (module docstring)."""

    def __init__(
        self,
        mac: str,
        clock: Any,
        send: Callable[[bytes, Address], None],
        *,
        on_bound: Callable[[Lease], None],
        on_lost: Callable[[], None] = lambda: None,
        emit: Callable[..., None] | None = None,
        backoff: tuple[float, ...] = BACKOFF,
        timeouts: tuple[float, ...] = HOST_TIMEOUTS,
        min_retransmit: float = MIN_RETRANSMIT,
    ) -> None:
        self.mac = mac.lower()
        self.chaddr = dhcp.mac_bytes(mac)
        self.clock = clock
        self.send = send
        self.on_bound = on_bound
        self.on_lost = on_lost
        self.emit = emit or (lambda event, **fields: None)
        self.backoff = backoff
        self.timeouts = timeouts
        self.min_retransmit = min_retransmit
        self.state = "stopped"
        self.lease: Lease | None = None
        self.bound_at = 0.0
        self.renewals = 0
        self.failures = 0
        self.generation = 0
        self._client: DhcpClient | None = None
        self._timers: list[Any] = []
        self._xid = 0

    # -- public -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Acquire a lease (if not already running)."""
        if self.state == "stopped":
            self._acquire()

    def adopt(self, lease: Lease) -> None:
        """Keep ``lease``, which someone else on this NIC acquired (the firmware an OS booted from), as if it
        had just been bound here: renewed at T1, rebound at T2, lost at its end (if not already running)."""
        if self.state == "stopped":
            self.emit("dhcp.adopted", mac=self.mac, address=lease.address, server=lease.server_id)
            self._bound(lease)

    def stop(self) -> None:
        """Stop at once: nothing more is sent; the lease is forgotten (a BMC losing power, an OS going down)."""
        self.state = "stopped"
        self._cancel_timers()
        client, self._client = self._client, None
        if client is not None:
            client.cancel()
        self.lease = None

    def describe(self, now: float) -> dict[str, Any]:
        """State, lease (address, mask, gateway, server) and the seconds until renewal and expiry."""
        info: dict[str, Any] = {"state": self.state, "renewals": self.renewals, "failed_acquisitions": self.failures}
        lease = self.lease
        if lease is not None:
            info.update(address=lease.address, netmask=lease.netmask, gateway=lease.gateway, server=lease.server_id)
            timers = lease_timers(lease)
            if timers is not None:
                info["renew_in"] = round(max(0.0, self.bound_at + timers[0] - now), 1)
                info["expires_in"] = round(max(0.0, self.bound_at + timers[2] - now), 1)
        return info

    def datagram_received(self, data: bytes, source: Address) -> None:
        """A datagram from the NIC's port 68: to the acquisition running, or a reply to a renewal."""
        if self._client is not None:
            self._client.datagram_received(data, source)
            return
        if self.state not in ("renewing", "rebinding"):
            return
        try:
            packet = dhcp.decode(data)
        except dhcp.DhcpDecodeError:
            return
        if packet.op != dhcp.BOOTREPLY or packet.xid != self._xid or packet.chaddr[:6] != self.chaddr:
            return
        if packet.message_type == dhcp.ACK:
            self.renewals += 1
            lease = _lease_from_ack(self.mac, packet, self.lease)
            self.emit("dhcp.renewed", mac=self.mac, address=lease.address, server=lease.server_id)
            self._bound(lease)
        elif packet.message_type == dhcp.NAK:
            self.emit("dhcp.nak", mac=self.mac, server=packet.server_id)
            self._lost()

    # -- acquisition ------------------------------------------------------------------------------

    def _acquire(self) -> None:
        self._cancel_timers()
        self.state = "init"
        self.generation += 1
        client = DhcpClient(
            self.mac, "", self.clock, self.send, mode=Mode.HOST, generation=self.generation, timeouts=self.timeouts,
            emit=self.emit,
        )  # fmt: skip
        self._client = client
        client.start().addCallbacks(self._acquired, self._failed)

    def _acquired(self, lease: Lease) -> None:
        self._client = None
        self.failures = 0
        self._bound(lease)

    def _failed(self, failure: Any) -> None:
        self._client = None
        if self.state == "stopped" or not failure.check(DhcpFailure):
            return
        delay = self.backoff[min(self.failures, len(self.backoff) - 1)]
        self.failures += 1
        self.state = "backoff"
        self.emit("dhcp.retry", mac=self.mac, after=delay, failures=self.failures)
        self._timers.append(self.clock.callLater(delay, self._acquire))

    # -- bound, renewing, rebinding ---------------------------------------------------------------

    def _bound(self, lease: Lease) -> None:
        self._cancel_timers()
        self.state = "bound"
        self.lease = lease
        self.bound_at = float(self.clock.seconds())
        timers = lease_timers(lease)
        if timers is not None:
            t1, t2, total = timers
            self._timers = [
                self.clock.callLater(t1, self._renew, "renewing", t2 - t1),
                self.clock.callLater(t2, self._renew, "rebinding", total - t2),
                self.clock.callLater(total, self._lost),
            ]
        self.on_bound(lease)

    def _renew(self, state: str, until_next: float) -> None:
        """Send a REQUEST for the lease (unicast when renewing, broadcast when rebinding) and retransmit
        after half of ``until_next`` (the time to the next stage), at least ``min_retransmit``."""
        lease = self.lease
        if lease is None or self.state == "stopped":
            return
        self.state = state
        self.generation += 1
        self._xid = transaction_id(self.mac, self.generation)
        options = {
            dhcp.OPT_MESSAGE_TYPE: bytes([dhcp.REQUEST]),
            dhcp.OPT_MAX_MESSAGE_SIZE: (1472).to_bytes(2, "big"),
            dhcp.OPT_CLIENT_ID: dhcp.client_id_option(self.mac),
            dhcp.OPT_PARAMETER_LIST: dhcp.HOST_PARAMETER_LIST,
        }
        packet = dhcp.DhcpPacket(op=dhcp.BOOTREQUEST, xid=self._xid, chaddr=self.chaddr, ciaddr=lease.address,
                                 options=options)  # fmt: skip
        renewing = state == "renewing" and lease.server_id is not None
        target = (lease.server_id if renewing else "255.255.255.255") or "255.255.255.255"
        self.emit(f"dhcp.{state[:-3]}", mac=self.mac, address=lease.address, to=target)
        self.send(dhcp.encode(packet), (target, dhcp.SERVER_PORT))
        wait = max(until_next / 2, self.min_retransmit)
        if wait < until_next:
            self._timers.append(self.clock.callLater(wait, self._renew, state, until_next - wait))

    def _lost(self) -> None:
        lease, self.lease = self.lease, None
        self.emit("dhcp.lost", mac=self.mac, address=lease.address if lease else None)
        self.on_lost()
        if self.state != "stopped":
            self._acquire()

    def _cancel_timers(self) -> None:
        timers, self._timers = self._timers, []
        for timer in timers:
            if timer.active():
                timer.cancel()


def _lease_from_ack(mac: str, packet: dhcp.DhcpPacket, previous: Lease | None) -> Lease:
    """The lease a renewal's ACK gives (the boot fields of the first lease kept)."""
    mask = packet.address_option(dhcp.OPT_SUBNET_MASK)
    prefixlen = previous.prefixlen if previous is not None else 24
    if mask is not None:
        prefixlen = bin(int.from_bytes(dhcp.address_option(mask), "big")).count("1")
    return Lease(
        mac=mac,
        address=packet.yiaddr,
        prefixlen=prefixlen,
        server_id=packet.server_id or (previous.server_id if previous else None),
        gateway=packet.address_option(dhcp.OPT_ROUTER),
        bootfile=previous.bootfile if previous else "",
        tftp_server=previous.tftp_server if previous else None,
        vendor_class=packet.vendor_class,
        ack=packet,
    )
