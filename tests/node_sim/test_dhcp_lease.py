"""An OS's / BMC's DHCP lease on a fake clock: plain HOST-mode packets, renewal at T1 (unicast), rebinding
at T2 (broadcast), NAK and expiry, and retries with backoff while no server answers."""

from __future__ import annotations

from twisted.internet import task

from node_sim import dhcp
from node_sim.dhcp_lease import LeaseKeeper, lease_timers
from node_sim.dhcp_outcome import Lease
from tests.node_sim.test_dhcp_client import MAC, SERVER, Wire, reply

ADDRESS = "10.231.0.50"


def seconds(value: int) -> bytes:
    return value.to_bytes(4, "big")


def run(clock: task.Clock, seconds: float) -> None:
    """Let ``seconds`` pass in 0.5 s steps (timers armed on the way fire when they are due)."""
    clock.pump([0.5] * round(seconds * 2))


def keeper(clock: task.Clock, wire: Wire) -> tuple[LeaseKeeper, list[Lease], list[str]]:
    bound: list[Lease] = []
    lost: list[str] = []
    k = LeaseKeeper(MAC, clock, wire.send, on_bound=bound.append, on_lost=lambda: lost.append("lost"))
    return k, bound, lost


def lease_it(k: LeaseKeeper, wire: Wire, lease_time: int = 100, **options: bytes) -> None:
    """Answer the DISCOVER with an offer and the REQUEST with an ACK (lease ``lease_time`` s)."""
    opts = {dhcp.OPT_LEASE_TIME: seconds(lease_time), dhcp.OPT_ROUTER: dhcp.address_option(SERVER)}
    opts |= {int(code): value for code, value in options.items()}
    discover = wire.sent[-1][0]
    assert discover.message_type == dhcp.DISCOVER
    k.datagram_received(reply(discover, dhcp.OFFER, yiaddr=ADDRESS, options=opts), (SERVER, 67))
    request = wire.sent[-1][0]
    assert request.message_type == dhcp.REQUEST
    k.datagram_received(reply(request, dhcp.ACK, yiaddr=ADDRESS, options=opts), (SERVER, 67))


def test_host_mode_sends_no_pxe_options_and_takes_the_first_offer() -> None:
    clock, wire = task.Clock(), Wire()
    k, bound, _ = keeper(clock, wire)
    k.start()
    discover, address = wire.sent[0]
    assert address == ("255.255.255.255", 67) and discover.mac == MAC
    assert dhcp.OPT_VENDOR_CLASS not in discover.options and dhcp.OPT_CLIENT_UUID not in discover.options
    assert discover.options[dhcp.OPT_PARAMETER_LIST] == dhcp.HOST_PARAMETER_LIST
    lease_it(k, wire)
    assert [b.address for b in bound] == [ADDRESS] and bound[0].gateway == SERVER
    assert k.describe(clock.seconds()) | {"renew_in": 50.0, "expires_in": 100.0} == k.describe(clock.seconds())


def test_renews_at_t1_by_unicast_then_rebinds_at_t2_by_broadcast_then_loses_the_lease() -> None:
    clock, wire = task.Clock(), Wire()
    k, _bound, lost = keeper(clock, wire)
    k.min_retransmit = 5.0
    k.start()
    lease_it(k, wire, 100)
    sent = len(wire.sent)
    run(clock, 49.5)
    assert len(wire.sent) == sent  # nothing before T1
    run(clock, 0.5)
    renew, address = wire.sent[-1]
    assert address == (SERVER, 67) and renew.message_type == dhcp.REQUEST and renew.ciaddr == ADDRESS
    assert dhcp.OPT_REQUESTED_IP not in renew.options and k.state == "renewing"
    run(clock, 37.5)  # T2 = 87.5 s: rebinding, broadcast
    rebind, address = wire.sent[-1]
    assert address == ("255.255.255.255", 67) and rebind.ciaddr == ADDRESS and k.state == "rebinding"
    renewals = [a for p, a in wire.sent[sent:] if p.ciaddr == ADDRESS]
    assert renewals.count((SERVER, 67)) >= 2  # the unicast REQUEST was retransmitted before T2
    run(clock, 12.5)  # the lease runs out: lost, and a new DISCOVER
    assert lost == ["lost"] and k.lease is None and wire.sent[-1][0].message_type == dhcp.DISCOVER


def test_an_ack_to_the_renewal_extends_the_lease_and_a_nak_restarts_discovery() -> None:
    clock, wire = task.Clock(), Wire()
    k, bound, lost = keeper(clock, wire)
    k.start()
    lease_it(k, wire, 100, **{"58": seconds(10)})
    run(clock, 10)
    renew = wire.sent[-1][0]
    k.datagram_received(reply(renew, dhcp.ACK, yiaddr=ADDRESS, options={51: seconds(100)}), (SERVER, 67))
    assert k.renewals == 1 and k.state == "bound" and len(bound) == 2
    run(clock, 60)  # no T1 option in the renewal's ACK: half the lease
    renew = wire.sent[-1][0]
    assert renew.ciaddr == ADDRESS
    k.datagram_received(reply(renew, dhcp.NAK), (SERVER, 67))
    assert lost == ["lost"] and wire.sent[-1][0].message_type == dhcp.DISCOVER and k.state == "init"


def test_without_a_server_it_retries_with_backoff_for_as_long_as_it_runs() -> None:
    clock, wire = task.Clock(), Wire()
    k, bound, _ = keeper(clock, wire)
    k.start()
    run(clock, 4 + 8 + 16 + 32)  # one acquisition's four DISCOVERs, unanswered
    assert k.state == "backoff" and k.failures == 1 and len(wire.sent) == 4
    run(clock, 10)
    assert k.state == "init" and len(wire.sent) == 5
    run(clock, 60 + 10)
    assert k.failures == 2 and k.state == "backoff"  # the second wait is longer: 20 s
    previous = wire.sent[-1][0]
    run(clock, 9.5)
    assert wire.sent[-1][0] is previous
    run(clock, 0.5)
    assert wire.sent[-1][0].xid != previous.xid  # a new acquisition, a new transaction
    lease_it(k, wire)
    assert k.failures == 0 and [b.address for b in bound] == [ADDRESS]
    k.stop()
    run(clock, 1000)
    assert k.state == "stopped" and k.lease is None and not clock.getDelayedCalls()


def test_lease_timers_follow_the_options_or_the_rfc_defaults() -> None:
    clock, wire = task.Clock(), Wire()
    k, bound, _ = keeper(clock, wire)
    k.start()
    lease_it(k, wire, 200, **{"58": seconds(30), "59": seconds(150)})
    assert lease_timers(bound[0]) == (30.0, 150.0, 200.0)
    k.stop()
    k.start()
    lease_it(k, wire, 200, **{"58": seconds(300)})  # a T1 past the lease is ignored
    assert lease_timers(bound[1]) == (100.0, 175.0, 200.0)


def test_an_adopted_lease_is_renewed_without_a_new_discovery() -> None:
    """The OS takes over the lease its firmware got: no DISCOVER, a unicast renewal at T1, extended by the ACK."""
    firmware_clock, firmware_wire = task.Clock(), Wire()
    firmware, firmware_bound, _ = keeper(firmware_clock, firmware_wire)
    firmware.start()
    lease_it(firmware, firmware_wire, 100)
    clock, wire = task.Clock(), Wire()
    k, bound, _ = keeper(clock, wire)
    k.adopt(firmware_bound[-1])
    assert wire.sent == [] and k.state == "bound" and [b.address for b in bound] == [ADDRESS]
    run(clock, 50)
    renew, address = wire.sent[-1]
    assert address == (SERVER, 67) and renew.message_type == dhcp.REQUEST and renew.ciaddr == ADDRESS
    k.datagram_received(reply(renew, dhcp.ACK, yiaddr=ADDRESS, options={51: seconds(100)}), (SERVER, 67))
    assert k.renewals == 1 and k.state == "bound" and all(p.message_type != dhcp.DISCOVER for p, _ in wire.sent)
    k.adopt(firmware_bound[-1])  # running already: nothing changes
    assert k.renewals == 1 and len(bound) == 2
