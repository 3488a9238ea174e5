"""Communities on the shared pysnmp engine (``fast_path=False``: every request through pysnmp).

The hub registers one pysnmp community entry per distinct name, shared by the agents that use it; these
tests check with real net-snmp clients that a community is still per device (unknown elsewhere, dropped and
counted), that the access it grants is the receiving agent's own, and that detaching one agent leaves the
shared entry to the others.  Agents listen on 127.67.1.x.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pysnmp.proto import rfc1902

from snmp_agent import CommunityConfig, SnmpAgent
from snmp_agent.hub import HubPool
from snmp_agent.source import MibTable
from snmp_agent.testing import AgentLoop, target

pytestmark = pytest.mark.e2e

SYS_NAME = "1.3.6.1.2.1.1.5.0"


def table(name: str) -> MibTable:
    t = MibTable()
    t.add(SYS_NAME, rfc1902.OctetString(name))
    t.add("1.3.6.1.2.1.1.6.0", getter=lambda: rfc1902.OctetString("lab"), setter=lambda value: None)
    return t


@pytest.fixture()
def env() -> Iterator[AgentLoop]:
    loop = AgentLoop()
    shared = CommunityConfig("shared", "rw")
    loop.agent(table("a"), address="127.67.1.1", name="a", communities=[shared], fast_path=False)
    loop.agent(
        table("b"), address="127.67.1.2", name="b", communities=[CommunityConfig("shared", "ro")], fast_path=False
    )
    loop.agent(table("c"), address="127.67.1.3", name="c", communities=[CommunityConfig("own")], fast_path=False)
    yield loop
    loop.close()


def get(env: AgentLoop, agent: SnmpAgent, community: str) -> list[str]:
    result = env.tool("snmpget", "-v2c", "-t", "1", "-r", "0", "-On", "-c", community, target(agent), SYS_NAME)
    return result.lines() if result.returncode == 0 else [result.stderr.strip()]


def bad_community_count(env: AgentLoop) -> int:
    engine = HubPool.for_loop(env.loop).hubs[0].engine
    (counter,) = engine.get_mib_builder().import_symbols("__SNMPv2-MIB", "snmpInBadCommunityNames")
    return int(counter.syntax)


def test_one_engine_entry_per_distinct_community(env: AgentLoop) -> None:
    a, b, c = env.agents
    assert len(HubPool.for_loop(env.loop).hubs) == 1
    assert get(env, a, "shared") == [f'.{SYS_NAME} = STRING: "a"']
    assert get(env, b, "shared") == [f'.{SYS_NAME} = STRING: "b"']
    assert get(env, c, "own") == [f'.{SYS_NAME} = STRING: "c"']


def test_a_community_of_another_agent_is_dropped_and_counted(env: AgentLoop) -> None:
    a, _, c = env.agents
    bad_before, dropped_before = bad_community_count(env), c.stats.dropped
    assert "Timeout" in get(env, c, "shared")[0]
    assert "Timeout" in get(env, a, "own")[0]
    assert "Timeout" in get(env, a, "nope")[0]
    assert bad_community_count(env) == bad_before + 3
    assert c.stats.dropped == dropped_before + 1


def test_access_is_the_receiving_agents_own(env: AgentLoop) -> None:
    a, b, _ = env.agents
    args = ["-v2c", "-t", "1", "-r", "0", "-c", "shared"]
    on_a = env.tool("snmpset", *args, target(a), "1.3.6.1.2.1.1.6.0", "s", "x")
    on_b = env.tool("snmpset", *args, target(b), "1.3.6.1.2.1.1.6.0", "s", "x")
    assert on_a.returncode == 0, on_a.stderr
    assert on_b.returncode != 0 and "noAccess" in on_b.stderr


def test_detach_keeps_a_shared_community_for_the_others(env: AgentLoop) -> None:
    a, b, c = env.agents
    a.stop()
    assert get(env, b, "shared") == [f'.{SYS_NAME} = STRING: "b"']
    c.stop()
    a.start()  # re-attached: the entry of "shared" is still there, "own" is gone
    assert get(env, a, "shared") == [f'.{SYS_NAME} = STRING: "a"']
    assert "Timeout" in get(env, a, "own")[0]
