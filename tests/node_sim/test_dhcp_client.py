"""The PXE ROM / iPXE DHCP client on a fake clock: offers, proxyDHCP, retries, timeouts, cancel."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer, task

from node_sim import dhcp
from node_sim.dhcp import DhcpPacket
from node_sim.dhcp_client import DhcpClient
from node_sim.dhcp_outcome import DhcpFailure, Lease, Mode

MAC = "52:54:00:aa:00:01"
UUID = "11111111-2222-3333-4444-555555555555"
SERVER = "10.231.0.1"


class Wire:
    """Captures what the client sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[DhcpPacket, tuple[str, int]]] = []

    def send(self, data: bytes, address: tuple[str, int]) -> None:
        self.sent.append((dhcp.decode(data), address))

    def kinds(self) -> list[int | None]:
        return [p.message_type for p, _ in self.sent]


def reply(request: DhcpPacket, kind: int | None, **fields: Any) -> bytes:
    options: dict[int, bytes] = {}
    if kind is not None:
        options[dhcp.OPT_MESSAGE_TYPE] = bytes([kind])
    server = fields.pop("server", SERVER)
    if server:
        options[dhcp.OPT_SERVER_ID] = dhcp.address_option(server)
    options[dhcp.OPT_SUBNET_MASK] = dhcp.address_option(fields.pop("mask", "255.255.255.0"))
    vendor = fields.pop("vendor", None)
    if vendor:
        options[dhcp.OPT_VENDOR_CLASS] = vendor.encode()
    options.update(fields.pop("options", {}))
    packet = DhcpPacket(op=dhcp.BOOTREPLY, xid=request.xid, chaddr=request.chaddr, **fields, options=options)
    return dhcp.encode(packet)


def make(clock: task.Clock, wire: Wire, **kwargs: Any) -> tuple[DhcpClient, defer.Deferred[Lease], list[Lease]]:
    bound: list[Lease] = []
    client = DhcpClient(MAC, UUID, clock, wire.send, on_bound=bound.append, **kwargs)
    return client, client.start(), bound


def result_of(d: defer.Deferred[Lease]) -> Lease:
    results: list[Any] = []
    d.addBoth(results.append)
    assert results, "the Deferred has not fired"
    if isinstance(results[0], Exception) or hasattr(results[0], "raiseException"):
        results[0].raiseException()
    lease: Lease = results[0]
    return lease


def test_pxe_discover_carries_the_rom_options_and_goes_to_broadcast() -> None:
    clock, wire = task.Clock(), Wire()
    make(clock, wire)
    discover, address = wire.sent[0]
    assert address == ("255.255.255.255", 67)
    assert discover.message_type == dhcp.DISCOVER and discover.broadcast and discover.mac == MAC
    assert discover.vendor_class == "PXEClient:Arch:00000:UNDI:002001"
    assert discover.options[dhcp.OPT_CLIENT_ARCH] == b"\x00\x00"
    assert discover.options[dhcp.OPT_CLIENT_NDI] == b"\x01\x02\x01"
    assert dhcp.uuid_from_option(discover.options[dhcp.OPT_CLIENT_UUID]) == UUID
    assert dhcp.OPT_PARAMETER_LIST in discover.options
    assert dhcp.OPT_USER_CLASS not in discover.options and dhcp.OPT_IPXE_ENCAP not in discover.options


@pytest.mark.parametrize("mode", [Mode.PXE, Mode.IPXE])
def test_a_uefi_client_says_x64_uefi_in_every_request(mode: Mode) -> None:
    """Firmware in UEFI mode: option 93 = 7, vendor class ``PXEClient:Arch:00007:UNDI:003000``, UNDI 3.0."""
    clock, wire = task.Clock(), Wire()
    client, _, _ = make(clock, wire, mode=mode, arch=dhcp.ARCH_X64_UEFI)
    discover = wire.sent[0][0]
    client.datagram_received(reply(discover, dhcp.OFFER, yiaddr="10.231.0.151", file="ipxe.efi"), (SERVER, 67))
    for packet, _ in wire.sent:
        assert packet.vendor_class == "PXEClient:Arch:00007:UNDI:003000"
        assert packet.options[dhcp.OPT_CLIENT_ARCH] == b"\x00\x07"
        assert packet.options[dhcp.OPT_CLIENT_NDI] == b"\x01\x03\x00"
    assert wire.kinds() == [dhcp.DISCOVER, dhcp.REQUEST]


def test_offer_with_bootfile_is_requested_and_acked() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, bound = make(clock, wire)
    discover = wire.sent[0][0]
    client.datagram_received(reply(discover, dhcp.OFFER, yiaddr="10.231.0.150", file="monorail.ipxe"), (SERVER, 67))
    request, address = wire.sent[1]
    assert request.message_type == dhcp.REQUEST and address == ("255.255.255.255", 67)
    assert request.address_option(dhcp.OPT_REQUESTED_IP) == "10.231.0.150"
    assert request.server_id == SERVER and request.xid == discover.xid
    client.datagram_received(
        reply(request, dhcp.ACK, yiaddr="10.231.0.150", siaddr=SERVER, file="monorail.ipxe", mask="255.255.0.0"),
        (SERVER, 67),
    )
    lease = result_of(d)
    assert (lease.address, lease.prefixlen, lease.bootfile, lease.tftp_server) == (
        "10.231.0.150",
        16,
        "monorail.ipxe",
        SERVER,
    )
    assert bound == [lease] and lease.netmask == "255.255.0.0"
    assert not clock.getDelayedCalls()


def test_rackhd_style_offer_pxeclient_without_file_goes_to_proxy_4011() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, bound = make(clock, wire)
    discover = wire.sent[0][0]
    client.datagram_received(reply(discover, dhcp.OFFER, yiaddr="10.231.0.151", vendor="PXEClient"), (SERVER, 67))
    client.datagram_received(reply(wire.sent[1][0], dhcp.ACK, yiaddr="10.231.0.151", vendor="PXEClient"), (SERVER, 67))
    assert bound and bound[0].address == "10.231.0.151"  # address configured before the proxy request
    proxy_request, address = wire.sent[2]
    assert address == (SERVER, 4011)
    assert proxy_request.ciaddr == "10.231.0.151" and not proxy_request.broadcast
    assert proxy_request.vendor_class == dhcp.PXE_VENDOR_CLASS
    assert proxy_request.options[dhcp.OPT_CLIENT_ARCH] == b"\x00\x00"
    assert not d.called
    client.datagram_received(
        reply(proxy_request, dhcp.ACK, siaddr=SERVER, file="monorail-undionly.kpxe", vendor="PXEClient"), (SERVER, 4011)
    )
    lease = result_of(d)
    assert lease.bootfile == "monorail-undionly.kpxe" and lease.proxy_server == SERVER
    assert lease.address == "10.231.0.151"


def test_proxy_offer_from_another_server_is_combined_with_the_address_offer() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire)
    discover = wire.sent[0][0]
    client.datagram_received(
        reply(discover, dhcp.OFFER, yiaddr="10.231.0.152", server="10.231.0.2"), ("10.231.0.2", 67)
    )
    assert len(wire.sent) == 1  # waits for a proxy offer
    menu = {dhcp.OPT_VENDOR_SPECIFIC: bytes([9, 7, 0x80, 0x00, 4]) + b"boot" + bytes([255])}
    client.datagram_received(reply(discover, dhcp.OFFER, vendor="PXEClient", options=menu), (SERVER, 67))
    request = wire.sent[1][0]
    assert request.server_id == "10.231.0.2"
    client.datagram_received(reply(request, dhcp.ACK, yiaddr="10.231.0.152", server="10.231.0.2"), ("10.231.0.2", 67))
    proxy_request, address = wire.sent[2]
    assert address == (SERVER, 4011)
    assert dhcp.decode_tlvs(proxy_request.options[dhcp.OPT_VENDOR_SPECIFIC]) == {71: b"\x80\x00\x00\x00"}
    client.datagram_received(reply(proxy_request, dhcp.ACK, siaddr=SERVER, file="pxe/boot.ipxe"), (SERVER, 4011))
    assert result_of(d).bootfile == "pxe/boot.ipxe"


def test_plain_offer_is_taken_after_the_proxy_wait() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire, proxy_wait=1.0)
    client.datagram_received(reply(wire.sent[0][0], dhcp.OFFER, yiaddr="10.231.0.153"), (SERVER, 67))
    clock.advance(0.9)
    assert len(wire.sent) == 1
    clock.advance(0.2)
    assert wire.kinds() == [dhcp.DISCOVER, dhcp.REQUEST]
    client.datagram_received(reply(wire.sent[1][0], dhcp.ACK, yiaddr="10.231.0.153"), (SERVER, 67))
    lease = result_of(d)
    assert lease.bootfile == "" and lease.address == "10.231.0.153"


def test_offer_with_bootfile_wins_over_an_earlier_plain_offer() -> None:
    clock, wire = task.Clock(), Wire()
    client, _d, _ = make(clock, wire)
    discover = wire.sent[0][0]
    client.datagram_received(
        reply(discover, dhcp.OFFER, yiaddr="10.231.0.160", server="10.231.0.9"), ("10.231.0.9", 67)
    )
    client.datagram_received(reply(discover, dhcp.OFFER, yiaddr="10.231.0.161", file="a.kpxe"), (SERVER, 67))
    assert wire.sent[1][0].address_option(dhcp.OPT_REQUESTED_IP) == "10.231.0.161"


def test_pxe_rom_retransmits_after_4_8_16_32_seconds_then_fails_with_pxe_e51() -> None:
    clock, wire = task.Clock(), Wire()
    _client, d, _ = make(clock, wire)
    times: list[float] = []
    for step in (4, 8, 16):
        clock.advance(step - 0.5)
        assert len(wire.sent) == len(times) + 1
        clock.advance(0.5)
        times.append(clock.seconds())
    assert times == [4, 12, 28] and wire.kinds() == [dhcp.DISCOVER] * 4
    assert [p.secs for p, _ in wire.sent] == [0, 4, 12, 28]
    clock.advance(32)
    with pytest.raises(DhcpFailure) as info:
        result_of(d)
    assert info.value.code == "PXE-E51" and len(wire.sent) == 4


def test_ipxe_mode_sends_user_class_and_option_175_and_retries_faster() -> None:
    clock, wire = task.Clock(), Wire()
    make(clock, wire, mode=Mode.IPXE, user_class="MonoRail")
    discover = wire.sent[0][0]
    assert discover.user_class == "MonoRail"
    assert discover.options[dhcp.OPT_IPXE_ENCAP] == dhcp.IPXE_FEATURES
    clock.advance(1)
    assert len(wire.sent) == 2
    other_clock, other_wire = task.Clock(), Wire()
    make(other_clock, other_wire, mode=Mode.IPXE)
    assert other_wire.sent[0][0].user_class == "iPXE"


def test_nak_restarts_discovery() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire)
    client.datagram_received(reply(wire.sent[0][0], dhcp.OFFER, yiaddr="10.231.0.170", file="x.kpxe"), (SERVER, 67))
    client.datagram_received(reply(wire.sent[1][0], dhcp.NAK), (SERVER, 67))
    assert wire.kinds() == [dhcp.DISCOVER, dhcp.REQUEST, dhcp.DISCOVER]
    assert not d.called


def test_foreign_and_malformed_packets_are_dropped_and_counted() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire)
    discover = wire.sent[0][0]
    other = DhcpPacket(op=dhcp.BOOTREQUEST, xid=discover.xid + 1, chaddr=discover.chaddr)
    client.datagram_received(reply(other, dhcp.OFFER, yiaddr="10.231.0.9", file="f"), (SERVER, 67))
    client.datagram_received(b"\x02garbage", (SERVER, 67))
    client.datagram_received(dhcp.encode(discover), ("10.231.0.7", 68))  # another client's broadcast
    assert (client.stats.dropped, client.stats.malformed) == (2, 1)
    assert len(wire.sent) == 1 and not d.called


def test_proxy_silence_fails_with_pxe_e55_after_its_retries() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire)
    client.datagram_received(
        reply(wire.sent[0][0], dhcp.OFFER, yiaddr="10.231.0.180", vendor="PXEClient"), (SERVER, 67)
    )
    client.datagram_received(reply(wire.sent[1][0], dhcp.ACK, yiaddr="10.231.0.180", vendor="PXEClient"), (SERVER, 67))
    for step in (1, 2, 3, 4):
        clock.advance(step)
    assert [a for _, a in wire.sent[2:]] == [(SERVER, 4011)] * 4
    with pytest.raises(DhcpFailure) as info:
        result_of(d)
    assert info.value.code == "PXE-E55"


def test_cancel_stops_timers_and_sends_nothing_more() -> None:
    clock, wire = task.Clock(), Wire()
    client, d, _ = make(clock, wire)
    failures: list[Any] = []
    d.addErrback(failures.append)
    client.cancel()
    assert failures and failures[0].check(defer.CancelledError)
    assert not clock.getDelayedCalls()
    clock.advance(100)
    client.datagram_received(reply(wire.sent[0][0], dhcp.OFFER, yiaddr="10.231.0.190", file="f"), (SERVER, 67))
    assert len(wire.sent) == 1


def test_transaction_ids_are_deterministic_and_distinct() -> None:
    a = DhcpClient(MAC, UUID, task.Clock(), Wire().send, generation=1)
    b = DhcpClient(MAC, UUID, task.Clock(), Wire().send, generation=1)
    c = DhcpClient("52:54:00:aa:00:02", UUID, task.Clock(), Wire().send, generation=1)
    d = DhcpClient(MAC, UUID, task.Clock(), Wire().send, generation=2)
    assert a.xid == b.xid and len({a.xid, c.xid, d.xid}) == 3
