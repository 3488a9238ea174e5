"""Fuzzing the DHCP clients' state machines (issue 14): a hostile or broken DHCP server's replies, for the right
transaction and MAC so they pass the first checks, with any options (wrong lengths, masks, lease times, T1/T2
past the lease, strange message types).  The PXE ROM's / iPXE's client and the OS's / BMC's lease keeper never
raise from a datagram; the client ends only in a lease or a :class:`DhcpFailure`, the keeper's timers are never
negative, and a lease it holds has a usable prefix length.  Bounded by hypothesis's example counts."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import task

from node_sim import dhcp
from node_sim.dhcp_lease import LeaseKeeper, lease_timers
from node_sim.dhcp_outcome import DhcpFailure, Lease, Mode
from tests.node_sim.test_dhcp_client import SERVER, Wire, make, reply

FUZZ = settings(max_examples=300, deadline=None)
OPTION_CODES = [1, 3, 6, 43, 51, 53, 54, 58, 59, 60, 66, 67, 97, 175]  # 0 and 255 are not options
options = st.dictionaries(st.sampled_from(OPTION_CODES), st.binary(max_size=12), max_size=8)
fields = st.fixed_dictionaries(
    {
        "yiaddr": st.sampled_from(["10.231.0.50", "0.0.0.0", "255.255.255.255", "127.0.0.1"]),
        "siaddr": st.sampled_from(["0.0.0.0", SERVER, "255.255.255.255"]),
        "file": st.text(st.characters(max_codepoint=255), max_size=20),
    }
)
kinds = st.sampled_from([dhcp.OFFER, dhcp.ACK, dhcp.NAK, dhcp.DISCOVER, None, 0, 99])


def _outcome(deferred: Any) -> list[Any]:
    results: list[Any] = []
    deferred.addBoth(results.append)
    return results


@FUZZ
@given(st.sampled_from([Mode.PXE, Mode.IPXE, Mode.HOST]), st.lists(st.tuples(kinds, options, fields), max_size=5))
def test_a_boot_roms_client_takes_any_reply(mode: Mode, replies: list[tuple[Any, dict[int, bytes], Any]]) -> None:
    clock, wire = task.Clock(), Wire()
    _client, deferred, _bound = make(clock, wire, mode=mode)
    client = _client
    for kind, opts, extra in replies:
        request = wire.sent[-1][0]
        client.datagram_received(reply(request, kind, options=opts, **extra), (SERVER, 67))
    clock.pump([2.0] * 200)  # every timeout and retry runs out (a PXE ROM gives up after about 2 minutes)
    results = _outcome(deferred)
    assert results, "the acquisition neither ended nor gave up"
    outcome = results[0]
    assert isinstance(outcome, Lease) or outcome.check(DhcpFailure), outcome
    if isinstance(outcome, Lease):
        assert 0 <= outcome.prefixlen <= 32


@FUZZ
@given(st.tuples(options, fields), st.lists(st.tuples(kinds, options, fields), max_size=4))
def test_a_lease_keeper_takes_any_ack_and_any_renewal_answer(
    first: tuple[dict[int, bytes], Any], later: list[tuple[Any, dict[int, bytes], Any]]
) -> None:
    clock, wire = task.Clock(), Wire()
    bound: list[Lease] = []
    keeper = LeaseKeeper("52:54:00:aa:00:01", clock, wire.send, on_bound=bound.append, min_retransmit=1.0)
    keeper.start()
    opts, extra = first
    discover = wire.sent[-1][0]
    keeper.datagram_received(reply(discover, dhcp.OFFER, options=opts, **extra), (SERVER, 67))
    request = wire.sent[-1][0]
    keeper.datagram_received(reply(request, dhcp.ACK, options=opts, **extra), (SERVER, 67))
    for kind, more, more_extra in later:
        clock.advance(30)
        keeper.datagram_received(reply(wire.sent[-1][0], kind, options=more, **more_extra), (SERVER, 67))
        if keeper.lease is not None:
            assert 0 <= keeper.lease.prefixlen <= 32
            timers = lease_timers(keeper.lease)
            assert timers is None or 0 <= timers[0] <= timers[1] <= timers[2], timers
        assert keeper.describe(clock.seconds()).get("renew_in", 0) >= 0
    keeper.stop()
    assert clock.getDelayedCalls() == []  # stopped: nothing left to send
