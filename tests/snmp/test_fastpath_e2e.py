"""End to end: net-snmp's tools and the pysnmp hlapi client against the fast path, side by side with the engine.

Two agents serve the every-type table of test_fastpath_equivalence: 127.25.3.1 with the fast path (the
default) and 127.25.3.2 with ``fast_path=False``.  The same command line against both must print the same
output (net-snmp decodes and prints every value type), and the fast agent's ``fast_answered`` counter shows
which requests bypassed pysnmp.  SNMPv3 still goes through the engine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from snmp_agent import CommunityConfig, SnmpAgent, UsmUserConfig
from snmp_agent.testing import AgentLoop, target
from tests.snmp.test_fastpath_equivalence import ENT, every_type_table, new_state

pytestmark = pytest.mark.e2e

FAST_ADDR = "127.25.3.1"
SLOW_ADDR = "127.25.3.2"
ADMIN = UsmUserConfig("admin", "sha", "authpass-123", "aes", "privpass-456", "rw")
COMMUNITIES = [CommunityConfig("public", "ro"), CommunityConfig("private", "rw")]
ENT_TEXT = ".".join(map(str, ENT))


@pytest.fixture(scope="module")
def env() -> Iterator[AgentLoop]:
    loop = AgentLoop()
    loop.agent(every_type_table(new_state()), address=FAST_ADDR, name="fast", communities=COMMUNITIES, v3_users=[ADMIN])
    loop.agent(every_type_table(new_state()), address=SLOW_ADDR, name="slow", communities=COMMUNITIES, fast_path=False)
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def fast(env: AgentLoop) -> SnmpAgent:
    return env.agents[0]


@pytest.fixture(scope="module")
def slow(env: AgentLoop) -> SnmpAgent:
    return env.agents[1]


def both(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent, command: list[str], *oids: str) -> tuple[str, str]:
    """Run ``command AGENT oids..`` against both agents; their outputs with the agent's address masked."""
    results = env.tools([[*command, target(agent), *oids] for agent in (fast, slow)])
    out = [r.stdout + r.stderr.replace(target(a), "AGENT") for r, a in zip(results, (fast, slow), strict=True)]
    return out[0], out[1]


def test_bulkwalk_of_every_type_prints_alike(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent) -> None:
    """`snmpbulkwalk -v2c -Cr10 -On` prints the same lines (every value type) from both; all fast-path answers."""
    before = fast.stats.fast_answered
    out_fast, out_slow = both(env, fast, slow, ["snmpbulkwalk", "-v2c", "-Cr10", "-On", "-c", "public"], "1")
    assert out_fast == out_slow
    lines = out_fast.splitlines()
    assert len(lines) >= 30 and "Counter64: 18446744073709551615" in out_fast and "IpAddress: 192.0.2.7" in out_fast
    assert fast.stats.fast_answered > before


def test_v1_walk_and_errors_print_alike(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent) -> None:
    """SNMPv1: a walk skips Counter64, a GET of a missing object or a Counter64 is noSuchName, on both paths."""
    walk = both(env, fast, slow, ["snmpwalk", "-v1", "-On", "-c", "public"], ENT_TEXT)
    assert walk[0] == walk[1] and "Counter64" not in walk[0] and f".{ENT_TEXT}.4.4.0" in walk[0]
    missing = both(env, fast, slow, ["snmpget", "-v1", "-On", "-c", "public"], f"{ENT_TEXT}.1.1.0", f"{ENT_TEXT}.2.1.2")
    assert missing[0] == missing[1] and "noSuchName" in missing[0]
    big = both(env, fast, slow, ["snmpget", "-v1", "-On", "-c", "public"], f"{ENT_TEXT}.1.16.0")
    assert big[0] == big[1] and "noSuchName" in big[0]


def test_v2c_get_exceptions_print_alike(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent) -> None:
    """`snmpget -v2c` of a value, a missing instance and a missing object prints alike."""
    oids = (f"{ENT_TEXT}.1.8.0", f"{ENT_TEXT}.2.1.2", "1.3.6.1.9.9.9.0")
    out = both(env, fast, slow, ["snmpget", "-v2c", "-On", "-c", "public"], *oids)
    assert out[0] == out[1]
    assert "No Such Instance" in out[0] and "No Such Object" in out[0] and "Hex-STRING" in out[0]


def test_set_results_print_alike(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent) -> None:
    """snmpset: noAccess for the ro community, wrongValue, notWritable, and a value applied by rw, in v2c and v1."""
    level = f"{ENT_TEXT}.4.1.0"
    cases = [
        ("-v2c", "-c", "public", level, "i", "3"),
        ("-v2c", "-c", "private", level, "i", "9"),
        ("-v2c", "-c", "private", f"{ENT_TEXT}.1.7.0", "s", "x"),
        ("-v1", "-c", "private", level, "i", "9"),
        ("-v1", "-c", "public", level, "i", "3"),
        ("-v2c", "-c", "private", level, "i", "3"),
    ]
    for args in cases:
        version, _, community, oid, kind, value = args
        results = env.tools(
            [["snmpset", version, "-On", "-c", community, target(agent), oid, kind, value] for agent in (fast, slow)]
        )
        assert results[0].stdout == results[1].stdout, args
        assert results[0].stderr.replace(target(fast), "A") == results[1].stderr.replace(target(slow), "A"), args
    out = both(env, fast, slow, ["snmpget", "-v2c", "-On", "-c", "public"], level)
    assert out[0] == out[1] and out[0].strip().endswith("INTEGER: 3")


def test_v3_goes_through_the_engine(env: AgentLoop, fast: SnmpAgent) -> None:
    """An SNMPv3 authPriv GET on the fast agent is answered by pysnmp, not the fast path."""
    before = (fast.stats.answered, fast.stats.fast_answered)
    r = env.tool(
        "snmpget", "-v3", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", ADMIN.auth_key,
        "-x", "AES", "-X", ADMIN.priv_key, "-On", target(fast), f"{ENT_TEXT}.1.7.0",
    )  # fmt: skip
    assert r.returncode == 0 and '"vrack"' in r.stdout, r.stderr
    assert fast.stats.fast_answered == before[1] and fast.stats.answered >= before[0] + 1


def test_pysnmp_hlapi_bulk_walk_through_the_fast_path(env: AgentLoop, fast: SnmpAgent, slow: SnmpAgent) -> None:
    """pysnmp's asyncio `walk_cmd` (GETBULK) reads the same varbinds from both agents."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_walk_cmd,
    )

    async def walk(agent: SnmpAgent) -> list[tuple[str, str, str]]:
        engine = SnmpEngine()
        rows: list[tuple[str, str, str]] = []
        try:
            transport = await UdpTransportTarget.create((agent.address, agent.port), timeout=2, retries=0)
            async for error, status, _, binds in bulk_walk_cmd(
                engine, CommunityData("public", mpModel=1), transport, ContextData(), 0, 7,
                ObjectType(ObjectIdentity(ENT_TEXT)), lexicographicMode=False,
            ):  # fmt: skip
                assert error is None and int(status) == 0
                rows += [(str(oid), type(value).__name__, value.prettyPrint()) for oid, value in binds]
        finally:
            engine.close_dispatcher()
        return rows

    before = fast.stats.fast_answered
    rows = env.run(walk(fast))
    assert rows == env.run(walk(slow))
    assert {"Integer", "OctetString", "IpAddress", "Counter32", "Gauge32", "TimeTicks", "Counter64"} <= {
        k for _, k, _ in rows
    }
    assert fast.stats.fast_answered > before
