"""The DHCP client of a PXE ROM and of iPXE: device logic only (no sockets, time from an injected clock).

One :class:`DhcpClient` runs one address acquisition on one NIC::

    DISCOVER (broadcast) --offers--> REQUEST (broadcast) --ACK--> bound
        [--> proxyDHCP REQUEST to <server>:4011 from the leased address --ACK--> boot file]

* ``PXE`` mode is a BIOS PXE ROM: option 60 ``PXEClient:Arch:00000:UNDI:002001``, 93 = 0, 94, 97 with
  the node UUID, 61, 55; with ``arch`` 7 (firmware in UEFI mode) the x64 UEFI PXE client instead: 93 = 7, 60
  ``PXEClient:Arch:00007:UNDI:003000``, 94 = UNDI 3.0; DISCOVER/REQUEST retransmitted after 4, 8, 16,
  32 s; proxyDHCP retried after 1, 2, 3, 4 s.
* ``iPXE`` mode is iPXE's own DHCP: the same identity options plus 77 (user class: ``iPXE`` unless the
  script set ``user-class``) and 175 (iPXE features); retransmits after 1, 2, 4, 8 s.
* ``HOST`` mode is an operating system's or a BMC's DHCP (dhclient, BMC firmware): 53, 57, 61, 55 only
  (no PXE identity), the first address offer taken at once, retransmits after 4, 8, 16, 32 s;
  :mod:`node_sim.dhcp_lease` keeps such a lease (renewal at T1, rebinding at T2, retries).

Offer selection: an offer with an address *and* a boot file, or with an address and vendor class
``PXEClient`` (boot file comes from a proxyDHCP, rackhd-facts 3.2), is taken at once.  Otherwise the
client waits ``proxy_wait`` seconds after the first address offer for a proxy offer (address
0.0.0.0, vendor class ``PXEClient``) and then takes the first address offer.  A NAK restarts
discovery.  Packets for other transaction ids or MACs, and malformed packets, are counted and dropped.

``send(data, (host, port))`` is the NIC's port-68 socket; the caller feeds received datagrams to
:meth:`DhcpClient.datagram_received` and configures the leased address in ``on_bound`` (called
before the proxyDHCP request, which must come from that address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from twisted.internet import defer

from node_sim import dhcp
from node_sim.dhcp import DhcpPacket
from node_sim.dhcp_outcome import Address, ClientStats, DhcpFailure, Lease, Mode, transaction_id

PXE_TIMEOUTS = (4.0, 8.0, 16.0, 32.0)
PXE_PROXY_TIMEOUTS = (1.0, 2.0, 3.0, 4.0)
IPXE_TIMEOUTS = (1.0, 2.0, 4.0, 8.0)
MAX_NAKS = 4


def _prefixlen(packet: DhcpPacket) -> int:
    mask = packet.address_option(dhcp.OPT_SUBNET_MASK)
    if mask is None:
        return 24
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return 24


def _is_pxe_vendor(packet: DhcpPacket) -> bool:
    return (packet.vendor_class or "").startswith("PXEClient")


class DhcpClient:
    """One DHCP acquisition (see the module docstring); :meth:`start` returns a Deferred[Lease]."""

    def __init__(
        self,
        mac: str,
        node_uuid: str,
        clock: Any,
        send: Callable[[bytes, Address], None],
        *,
        mode: Mode = Mode.PXE,
        user_class: str | None = None,
        arch: int = dhcp.ARCH_X86_BIOS,
        generation: int = 0,
        proxy_wait: float = 1.0,
        timeouts: tuple[float, ...] | None = None,
        proxy_timeouts: tuple[float, ...] = PXE_PROXY_TIMEOUTS,
        on_bound: Callable[[Lease], None] | None = None,
        emit: Callable[..., None] | None = None,
    ) -> None:
        self.mac = mac.lower()
        self.chaddr = dhcp.mac_bytes(mac)
        self.node_uuid = node_uuid
        self.clock = clock
        self.send = send
        self.mode = mode
        self.user_class = user_class if user_class is not None else ("iPXE" if mode is Mode.IPXE else None)
        self.arch = arch  # option 93: what the firmware runs as (0 BIOS, 7 x64 UEFI)
        self.xid = transaction_id(mac, generation)
        self.proxy_wait = proxy_wait
        self.timeouts = timeouts or (IPXE_TIMEOUTS if mode is Mode.IPXE else PXE_TIMEOUTS)
        self.proxy_timeouts = proxy_timeouts
        self.on_bound = on_bound
        self.emit = emit or (lambda event, **fields: None)
        self.stats = ClientStats()
        self.state = "idle"
        self._deferred: defer.Deferred[Lease] | None = None
        self._timer: Any = None
        self._attempt = 0
        self._naks = 0
        self._started = 0.0
        self._offers: list[DhcpPacket] = []
        self._proxy_offer: DhcpPacket | None = None
        self._chosen: DhcpPacket | None = None
        self._lease: Lease | None = None
        self._proxy_server = ""
        self._proxy_request_options: dict[int, bytes] = {}

    # -- public -----------------------------------------------------------------------------------

    def start(self) -> defer.Deferred[Lease]:
        """Begin with a DISCOVER; the Deferred fires with the Lease or fails with DhcpFailure."""
        if self._deferred is not None:
            raise RuntimeError("a DhcpClient runs once")
        deferred: defer.Deferred[Lease] = defer.Deferred(lambda _d: self.cancel())
        self._deferred = deferred
        self._started = float(self.clock.seconds())
        self._discover()
        return deferred

    def cancel(self) -> None:
        """Stop at once: no timer left, nothing more sent; the Deferred (if pending) fails with CancelledError."""
        self._stop_timer()
        self.state = "cancelled"
        deferred, self._deferred = self._deferred, None
        if deferred is not None and not deferred.called:
            deferred.errback(defer.CancelledError())

    def datagram_received(self, data: bytes, source: Address) -> None:
        """Feed a datagram from the NIC's port-68 (or 4011) socket."""
        if self.state in ("idle", "done", "cancelled"):
            self.stats.dropped += 1
            return
        try:
            packet = dhcp.decode(data)
        except dhcp.DhcpDecodeError:
            self.stats.malformed += 1
            return
        if packet.op != dhcp.BOOTREPLY or packet.xid != self.xid or packet.chaddr[:6] != self.chaddr:
            self.stats.dropped += 1
            return
        self.stats.received += 1
        kind = packet.message_type
        if self.state == "selecting" and kind == dhcp.OFFER:
            self._offer(packet, source)
        elif self.state == "requesting" and kind in (dhcp.ACK, dhcp.NAK):
            self._ack(packet) if kind == dhcp.ACK else self._nak(packet)
        elif self.state == "proxy" and kind in (dhcp.ACK, None):
            self._proxy_ack(packet, source)
        else:
            self.stats.dropped += 1

    # -- packets ----------------------------------------------------------------------------------

    def _options(self, kind: int) -> dict[int, bytes]:
        options: dict[int, bytes] = {dhcp.OPT_MESSAGE_TYPE: bytes([kind])}
        options[dhcp.OPT_MAX_MESSAGE_SIZE] = (1472).to_bytes(2, "big")
        options[dhcp.OPT_CLIENT_ID] = dhcp.client_id_option(self.mac)
        if self.mode is Mode.HOST:
            options[dhcp.OPT_PARAMETER_LIST] = dhcp.HOST_PARAMETER_LIST
            return options
        options[dhcp.OPT_CLIENT_ARCH] = dhcp.client_arch_option(self.arch)
        options[dhcp.OPT_CLIENT_NDI] = dhcp.client_ndi_option(self.arch)
        options[dhcp.OPT_CLIENT_UUID] = dhcp.client_uuid_option(self.node_uuid)
        options[dhcp.OPT_VENDOR_CLASS] = dhcp.pxe_vendor_class(self.arch).encode()
        if self.mode is Mode.IPXE:
            if self.user_class:
                options[dhcp.OPT_USER_CLASS] = self.user_class.encode()
            options[dhcp.OPT_IPXE_ENCAP] = dhcp.IPXE_FEATURES
            options[dhcp.OPT_PARAMETER_LIST] = dhcp.IPXE_PARAMETER_LIST
        else:
            options[dhcp.OPT_PARAMETER_LIST] = dhcp.PXE_PARAMETER_LIST
        return options

    def _packet(self, kind: int, options: dict[int, bytes], ciaddr: str = "0.0.0.0", broadcast: bool = True) -> bytes:
        secs = min(int(float(self.clock.seconds()) - self._started), 0xFFFF)
        packet = DhcpPacket(
            op=dhcp.BOOTREQUEST,
            xid=self.xid,
            chaddr=self.chaddr,
            secs=secs,
            flags=dhcp.BROADCAST_FLAG if broadcast else 0,
            ciaddr=ciaddr,
            options=options,
        )
        return dhcp.encode(packet)

    def _transmit(self, data: bytes, address: Address) -> None:
        if self.state == "cancelled":
            return
        self.stats.sent += 1
        self.send(data, address)

    # -- states -----------------------------------------------------------------------------------

    def _discover(self) -> None:
        self.state = "selecting"
        self._attempt = 0
        self._offers = []
        self._proxy_offer = None
        self._send_discover()

    def _send_discover(self) -> None:
        self.emit(
            "dhcp.discover",
            mac=self.mac,
            xid=f"{self.xid:08x}",
            mode=self.mode.value,
            user_class=self.user_class,
            **({} if self.mode is Mode.HOST else {"arch": self.arch}),
        )
        self._transmit(self._packet(dhcp.DISCOVER, self._options(dhcp.DISCOVER)), ("255.255.255.255", dhcp.SERVER_PORT))
        self._arm(self.timeouts, self._discover_timeout)

    def _discover_timeout(self) -> None:
        if self._offers:
            self._select()
            return
        self._attempt += 1
        if self._attempt >= len(self.timeouts):
            self._fail("PXE-E51", "no DHCP or proxyDHCP offers were received")
            return
        self._send_discover()

    def _offer(self, packet: DhcpPacket, source: Address) -> None:
        self.emit(
            "dhcp.offer",
            mac=self.mac,
            server=packet.server_id or source[0],
            address=packet.yiaddr,
            bootfile=packet.bootfile,
            vendor_class=packet.vendor_class,
        )
        if packet.yiaddr == "0.0.0.0":
            if _is_pxe_vendor(packet) and self._proxy_offer is None:
                self._proxy_offer = packet
        else:
            if not self._offers:
                self._stop_timer()
                self._timer = self.clock.callLater(self.proxy_wait, self._select)
            self._offers.append(packet)
        take_first = self.mode is Mode.HOST  # an OS or a BMC takes the first address offered
        if self._offers and (
            take_first or self._proxy_offer or any(o.bootfile or _is_pxe_vendor(o) for o in self._offers)
        ):
            self._select()

    def _select(self) -> None:
        self._stop_timer()
        chosen = next((o for o in self._offers if o.bootfile), None)
        chosen = chosen or next((o for o in self._offers if _is_pxe_vendor(o)), None) or self._offers[0]
        self._chosen = chosen
        self.state = "requesting"
        self._attempt = 0
        self._send_request()

    def _send_request(self) -> None:
        chosen = self._chosen
        assert chosen is not None
        options = self._options(dhcp.REQUEST)
        options[dhcp.OPT_REQUESTED_IP] = dhcp.address_option(chosen.yiaddr)
        if chosen.server_id:
            options[dhcp.OPT_SERVER_ID] = dhcp.address_option(chosen.server_id)
        self.emit("dhcp.request", mac=self.mac, address=chosen.yiaddr, server=chosen.server_id)
        self._transmit(self._packet(dhcp.REQUEST, options), ("255.255.255.255", dhcp.SERVER_PORT))
        self._arm(self.timeouts, self._request_timeout)

    def _request_timeout(self) -> None:
        self._attempt += 1
        if self._attempt >= len(self.timeouts):
            self._restart("no ACK for the REQUEST")
            return
        self._send_request()

    def _nak(self, packet: DhcpPacket) -> None:
        self.emit("dhcp.nak", mac=self.mac, server=packet.server_id, message=packet.text_option(dhcp.OPT_MESSAGE))
        self._restart("NAK")

    def _restart(self, why: str) -> None:
        self._stop_timer()
        self._naks += 1
        if self._naks > MAX_NAKS:
            self._fail("PXE-E51", f"gave up after {MAX_NAKS} restarts ({why})")
            return
        self._discover()

    def _ack(self, packet: DhcpPacket) -> None:
        self._stop_timer()
        chosen = self._chosen
        assert chosen is not None
        bootfile = packet.bootfile or chosen.bootfile
        proxy = self._proxy_offer
        lease = Lease(
            mac=self.mac,
            address=packet.yiaddr,
            prefixlen=_prefixlen(packet),
            server_id=packet.server_id,
            gateway=packet.address_option(dhcp.OPT_ROUTER),
            bootfile=bootfile,
            tftp_server=packet.tftp_server or chosen.tftp_server or packet.server_id,
            vendor_class=packet.vendor_class or chosen.vendor_class,
            ack=packet,
        )
        self.emit(
            "dhcp.ack",
            mac=self.mac,
            address=lease.address,
            prefixlen=lease.prefixlen,
            server=lease.server_id,
            bootfile=bootfile,
            vendor_class=lease.vendor_class,
        )
        self._lease = lease
        if self.on_bound is not None:
            self.on_bound(lease)
        if self.state == "cancelled":
            return
        if bootfile or self.mode is Mode.HOST:
            self._finish(lease)
        elif proxy is not None and proxy.bootfile:
            self._finish(self._with_proxy(lease, proxy, proxy.server_id))
        elif proxy is not None or _is_pxe_vendor(packet) or _is_pxe_vendor(chosen):
            server = (proxy.server_id if proxy else None) or lease.server_id or (proxy.siaddr if proxy else None)
            if server is None:
                self._finish(lease)
                return
            self._proxy_server = server
            self._proxy_request_options = self._proxy_options(proxy)
            self.state = "proxy"
            self._attempt = 0
            self._send_proxy_request()
        else:
            self._finish(lease)

    def _proxy_options(self, proxy: DhcpPacket | None) -> dict[int, bytes]:
        options = self._options(dhcp.REQUEST)
        vendor = proxy.options.get(dhcp.OPT_VENDOR_SPECIFIC) if proxy else None
        item = dhcp.first_boot_menu_item(vendor) if vendor else None
        if item is not None:
            options[dhcp.OPT_VENDOR_SPECIFIC] = dhcp.pxe_boot_item_option(item)
        return options

    def _send_proxy_request(self) -> None:
        assert self._lease is not None
        self.emit("proxydhcp.request", mac=self.mac, server=self._proxy_server, address=self._lease.address)
        data = self._packet(dhcp.REQUEST, self._proxy_request_options, ciaddr=self._lease.address, broadcast=False)
        self._transmit(data, (self._proxy_server, dhcp.PROXY_PORT))
        self._arm(self.proxy_timeouts, self._proxy_timeout)

    def _proxy_timeout(self) -> None:
        self._attempt += 1
        if self._attempt >= len(self.proxy_timeouts):
            self._fail("PXE-E55", f"proxyDHCP service at {self._proxy_server}:4011 did not reply")
            return
        self._send_proxy_request()

    def _proxy_ack(self, packet: DhcpPacket, source: Address) -> None:
        assert self._lease is not None
        self._stop_timer()
        self.emit("proxydhcp.ack", mac=self.mac, server=source[0], bootfile=packet.bootfile, tftp=packet.tftp_server)
        self._finish(self._with_proxy(self._lease, packet, source[0]))

    @staticmethod
    def _with_proxy(lease: Lease, proxy: DhcpPacket, server: str | None) -> Lease:
        return Lease(
            mac=lease.mac,
            address=lease.address,
            prefixlen=lease.prefixlen,
            server_id=lease.server_id,
            gateway=lease.gateway,
            bootfile=proxy.bootfile,
            tftp_server=proxy.tftp_server or server,
            vendor_class=lease.vendor_class,
            proxy_server=server,
            ack=lease.ack,
        )

    # -- plumbing ---------------------------------------------------------------------------------

    def _arm(self, schedule: tuple[float, ...], then: Callable[[], None]) -> None:
        self._stop_timer()
        if self.state == "cancelled":
            return
        self._timer = self.clock.callLater(schedule[min(self._attempt, len(schedule) - 1)], then)

    def _stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _finish(self, lease: Lease) -> None:
        self._stop_timer()
        self.state = "done"
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.callback(lease)

    def _fail(self, code: str, message: str) -> None:
        self._stop_timer()
        self.state = "done"
        self.emit("dhcp.failed", mac=self.mac, code=code, message=message)
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.errback(DhcpFailure(code, message))
