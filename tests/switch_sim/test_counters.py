"""Traffic counters: move only while the port is up, deterministic by seed, 32-bit wrap, HC consistent."""

from __future__ import annotations

from twisted.internet.task import Clock

from snmp_agent.source import parse_oid
from switch_sim import Switch
from tests.switch_sim.conftest import MakeSwitch, peer

IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_OUT_UCAST = "1.3.6.1.2.1.2.2.1.17"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_UCAST = "1.3.6.1.2.1.31.1.1.1.11"
IF_IN_MCAST = "1.3.6.1.2.1.31.1.1.1.2"
IF_HC_IN_MCAST = "1.3.6.1.2.1.31.1.1.1.8"
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9"


def read(sw: Switch, column: str, if_index: int) -> int:
    value = sw.source.get(parse_oid(f"{column}.{if_index}"))
    assert value is not None, f"{column}.{if_index} missing"
    return int(value)


def test_counters_move_only_while_up(make_switch: MakeSwitch, clock: Clock) -> None:
    """Counters stay at 0 before link up, increase while up, freeze while down, resume after."""
    sw = make_switch()
    i = sw.port(1).if_index
    clock.advance(60)
    assert read(sw, IF_HC_IN_OCTETS, i) == 0
    sw.set_link(1, True, peer=peer(1))
    clock.advance(60)
    first = read(sw, IF_HC_IN_OCTETS, i)
    assert first > 0
    clock.advance(60)
    second = read(sw, IF_HC_IN_OCTETS, i)
    assert second > first
    sw.set_link(1, False, peer=peer(1))
    clock.advance(3600)
    assert read(sw, IF_HC_IN_OCTETS, i) == second
    assert read(sw, IF_HC_OUT_UCAST, i) > 0
    sw.set_link(1, True, peer=peer(1))
    clock.advance(1)
    assert read(sw, IF_HC_IN_OCTETS, i) > second
    assert read(sw, IF_IN_OCTETS, sw.port(2).if_index) == 0


def test_counters_are_deterministic_by_seed(make_switch: MakeSwitch, clock: Clock) -> None:
    """Two switches with the same seed report the same counters at the same uptime; another seed differs."""
    a, b, c = make_switch(seed=11), make_switch(seed=11), make_switch(seed=12)
    for sw in (a, b, c):
        sw.set_link(5, True, peer=peer(5))
    clock.advance(123.4)
    i = a.port(5).if_index
    assert read(a, IF_HC_IN_OCTETS, i) == read(b, IF_HC_IN_OCTETS, i)
    assert read(a, IF_HC_IN_OCTETS, i) != read(c, IF_HC_IN_OCTETS, i)


def test_32_bit_counters_wrap_and_match_64_bit(make_switch: MakeSwitch, clock: Clock) -> None:
    """ifInOctets wraps modulo 2**32 while ifHCInOctets keeps counting; low 32 bits always agree."""
    sw = make_switch()
    sw.set_link(1, True, peer=peer(1))
    i = sw.port(1).if_index
    wrapped = False
    previous32 = 0
    previous64 = 0
    for _ in range(400):
        clock.advance(97.0)
        c32, c64 = read(sw, IF_IN_OCTETS, i), read(sw, IF_HC_IN_OCTETS, i)
        assert c64 > previous64
        assert c32 == c64 % 2**32
        assert read(sw, IF_IN_MCAST, i) == read(sw, IF_HC_IN_MCAST, i) % 2**32
        wrapped = wrapped or c32 < previous32
        previous32, previous64 = c32, c64
    assert wrapped, "ifInOctets never wrapped in 400 x 97 s"
    assert previous64 > 2**32


def test_if_last_change_records_oper_changes(make_switch: MakeSwitch, clock: Clock) -> None:
    """ifLastChange is the sysUpTime (centiseconds) of the last oper-status change."""
    sw = make_switch()
    i = sw.port(2).if_index
    assert read(sw, IF_LAST_CHANGE, i) == 0
    clock.advance(42.0)
    sw.set_link(2, True, peer=peer(2))
    clock.advance(5.0)
    assert read(sw, IF_LAST_CHANGE, i) == 4200
