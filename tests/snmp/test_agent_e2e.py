"""End to end: real net-snmp tools and the pysnmp hlapi client against agents bound on 127.30.1.x.

The agents run on a private asyncio loop (:class:`snmp_agent.testing.AgentLoop`) in this process; the
net-snmp commands run as subprocesses while the loop serves.  Port 161 when run as root (as RackHD
requires), else an ephemeral port.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator

import pytest
from pysnmp.proto import rfc1902

from snmp_agent import AgentBindError, CommunityConfig, SnmpAgent, SnmpAgentService, SnmpRecord, UsmUserConfig
from snmp_agent.source import MibTable, Value, WrongType, WrongValue
from snmp_agent.testing import AgentLoop, target

pytestmark = pytest.mark.e2e

ADDR_A = "127.30.1.1"
ADDR_B = "127.30.1.2"
ADMIN = UsmUserConfig("admin", "sha", "authpass-123", "aes", "privpass-456", "rw")
AUDITOR = UsmUserConfig("auditor", "sha256", "audit-auth-1", "aes256", "audit-priv-1", "ro")


def build_table(state: dict[str, int]) -> MibTable:
    t = MibTable()
    t.add("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("vrack test agent"))
    t.add("1.3.6.1.2.1.1.2.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.99999"))
    t.add("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(4200))
    t.add("1.3.6.1.2.1.1.4.0", rfc1902.OctetString("ops"))
    t.add("1.3.6.1.2.1.1.5.0", rfc1902.OctetString("agent-a"))
    t.add("1.3.6.1.2.1.1.6.0", rfc1902.OctetString("lab"))
    t.add("1.3.6.1.2.1.1.7.0", rfc1902.Integer32(72))

    def check(value: object) -> None:
        if not isinstance(value, rfc1902.Integer32):
            raise WrongType("INTEGER expected")
        if int(value) not in (1, 2, 3):
            raise WrongValue("1..3")

    for n in range(1, 25):
        t.add((1, 3, 6, 1, 4, 1, 99999, 1, 2, n), rfc1902.OctetString(f"outlet-{n}"))

        def setter(value: object, n: int = n) -> None:
            state[f"o{n}"] = int(value)  # type: ignore[call-overload]

        def getter(n: int = n) -> Value:
            return rfc1902.Integer32(state[f"o{n}"])

        t.add(
            (1, 3, 6, 1, 4, 1, 99999, 1, 3, n),
            getter=getter,
            setter=setter,
            checker=check,
        )
    t.add("1.3.6.1.4.1.99999.2.0", rfc1902.Counter64(2**40 + 5))
    t.add("1.3.6.1.4.1.99999.10.0", rfc1902.Integer32(10))
    return t


@pytest.fixture(scope="module")
def state() -> dict[str, int]:
    return {f"o{n}": 1 for n in range(1, 25)}


@pytest.fixture(scope="module")
def records() -> list[SnmpRecord]:
    return []


@pytest.fixture(scope="module")
def env(state: dict[str, int], records: list[SnmpRecord]) -> Iterator[AgentLoop]:
    loop = AgentLoop()
    table = build_table(state)
    loop.agent(
        table,
        address=ADDR_A,
        name="agent-a",
        communities=[CommunityConfig("public", "ro"), CommunityConfig("private", "rw")],
        v3_users=[ADMIN, AUDITOR],
        observer=records.append,
    )
    loop.agent(build_table(dict(state)), address=ADDR_B, name="agent-b", communities=[CommunityConfig("other", "rw")])
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def a(env: AgentLoop) -> SnmpAgent:
    return env.agents[0]


@pytest.fixture(scope="module")
def b(env: AgentLoop) -> SnmpAgent:
    return env.agents[1]


def numeric(line: str) -> tuple[int, ...]:
    name = line.split(" = ", 1)[0].strip()
    name = "1" + name[3:] if name.startswith("iso") else name.lstrip(".")
    return tuple(int(x) for x in name.split("."))


def test_get_sys_descr_numeric(env: AgentLoop, a: SnmpAgent) -> None:
    """`snmpget -v2c -c public <ip> 1.3.6.1.2.1.1.1.0` returns the device's sysDescr."""
    r = env.tool("snmpget", "-v2c", "-c", "public", target(a), "1.3.6.1.2.1.1.1.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == 'iso.3.6.1.2.1.1.1.0 = STRING: "vrack test agent"'


def test_walk_system_group(env: AgentLoop, a: SnmpAgent) -> None:
    """`snmpwalk -v2c -c public <ip> 1.3.6.1.2.1.1` returns exactly the 7 system objects, in order."""
    r = env.tool("snmpwalk", "-v2c", "-c", "public", target(a), "1.3.6.1.2.1.1")
    assert r.returncode == 0, r.stderr
    assert [numeric(line) for line in r.lines()] == [(1, 3, 6, 1, 2, 1, 1, i, 0) for i in range(1, 8)]


def test_bulkwalk_from_1_is_complete_sorted_and_terminates(env: AgentLoop, a: SnmpAgent, state: dict[str, int]) -> None:
    """RackHD's discovery walk `snmpbulkwalk -v2c -Cr10 -c public <ip> 1` returns the whole tree in order."""
    r = env.tool("snmpbulkwalk", "-v2c", "-Cr10", "-c", "public", target(a), "1")
    assert r.returncode == 0, r.stderr
    *rows, last = r.lines()
    assert "No more variables left in this MIB View" in last  # endOfMibView ends the walk
    oids = [numeric(line) for line in rows]
    assert oids == sorted(oids) and len(set(oids)) == len(oids)
    assert oids == build_table(dict(state)).oids()


def test_wrong_community_gets_no_answer(env: AgentLoop, a: SnmpAgent) -> None:
    """An unknown community is dropped silently: the client times out, the drop is counted."""
    before = a.stats.dropped
    r = env.tool("snmpget", "-v2c", "-t", "1", "-r", "0", "-c", "nope", target(a), "1.3.6.1.2.1.1.1.0")
    assert r.returncode != 0 and "Timeout" in r.stderr
    assert a.stats.dropped == before + 1


def test_communities_are_per_device(env: AgentLoop, a: SnmpAgent, b: SnmpAgent) -> None:
    """One shared engine, but agent B's community is unknown on A and A's on B."""
    cross = env.tools(
        [
            ["snmpget", "-v2c", "-t", "1", "-r", "0", "-c", "other", target(a), "1.3.6.1.2.1.1.1.0"],
            ["snmpget", "-v2c", "-t", "1", "-r", "0", "-c", "public", target(b), "1.3.6.1.2.1.1.1.0"],
            ["snmpget", "-v2c", "-c", "other", target(b), "1.3.6.1.2.1.1.5.0"],
        ]
    )
    assert "Timeout" in cross[0].stderr and "Timeout" in cross[1].stderr
    assert cross[2].returncode == 0 and '"agent-a"' in cross[2].stdout  # B serves its own table copy


def test_read_only_set_refused_and_state_unchanged(env: AgentLoop, a: SnmpAgent, state: dict[str, int]) -> None:
    """`snmpset -c public` answers noAccess and leaves the outlet alone; `-c private` applies."""
    oid = "1.3.6.1.4.1.99999.1.3.5"
    r = env.tool("snmpset", "-v2c", "-c", "public", target(a), oid, "i", "2")
    assert r.returncode != 0 and "noAccess" in r.stderr
    assert state["o5"] == 1
    r = env.tool("snmpset", "-v2c", "-c", "private", target(a), oid, "i", "2")
    assert r.returncode == 0, r.stderr
    assert state["o5"] == 2
    r = env.tool("snmpget", "-v2c", "-c", "public", target(a), oid)
    assert r.stdout.strip().endswith("INTEGER: 2")


def test_set_errors_reach_the_client(env: AgentLoop, a: SnmpAgent) -> None:
    """wrongValue, wrongType and notWritable come back as net-snmp reports them."""
    results = env.tools(
        [
            ["snmpset", "-v2c", "-c", "private", target(a), "1.3.6.1.4.1.99999.1.3.1", "i", "9"],
            ["snmpset", "-v2c", "-c", "private", target(a), "1.3.6.1.4.1.99999.1.3.1", "s", "on"],
            ["snmpset", "-v2c", "-c", "private", target(a), "1.3.6.1.2.1.1.1.0", "s", "hacked"],
        ]
    )
    assert [
        "wrongValue" in results[0].stderr,
        "wrongType" in results[1].stderr,
        "notWritable" in results[2].stderr,
    ] == [
        True,
        True,
        True,
    ]


def test_set_is_recorded(env: AgentLoop, a: SnmpAgent, records: list[SnmpRecord]) -> None:
    """A SET produces a record naming device, peer, OID, value and community."""
    env.tool("snmpset", "-v2c", "-c", "private", target(a), "1.3.6.1.4.1.99999.1.3.7", "i", "3")
    record = [r for r in records if r.operation == "set" and r.oids == ("1.3.6.1.4.1.99999.1.3.7",)][-1]
    assert (record.device, record.values, record.error_status, record.principal, record.version) == (
        "agent-a",
        ("3",),
        "noError",
        "private",
        "v2c",
    )
    assert record.peer.startswith("127.")


def test_v1_get(env: AgentLoop, a: SnmpAgent) -> None:
    """SNMPv1 works; a missing object is noSuchName; a v1 walk skips Counter64."""
    r = env.tool("snmpget", "-v1", "-c", "public", target(a), "1.3.6.1.2.1.1.5.0")
    assert r.returncode == 0 and '"agent-a"' in r.stdout
    r = env.tool("snmpget", "-v1", "-c", "public", target(a), "1.3.6.1.2.1.1.9.0")
    assert "noSuchName" in r.stderr + r.stdout
    r = env.tool("snmpwalk", "-v1", "-c", "public", target(a), "1.3.6.1.4.1.99999")
    assert "Counter64" not in r.stdout and "1.3.6.1.4.1.99999.10.0" in r.stdout.replace("iso", "1")


def test_v3_auth_priv(env: AgentLoop, a: SnmpAgent) -> None:
    """`snmpget -v3 -l authPriv -u admin -a SHA -A .. -x AES -X ..` works; SHA-256/AES-256 too."""
    r = env.tool(
        "snmpget", "-v3", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", ADMIN.auth_key,
        "-x", "AES", "-X", ADMIN.priv_key, target(a), "1.3.6.1.2.1.1.1.0",
    )  # fmt: skip
    assert r.returncode == 0 and "vrack test agent" in r.stdout, r.stderr
    r = env.tool(
        "snmpget", "-v3", "-l", "authPriv", "-u", "auditor", "-a", "SHA-256", "-A", AUDITOR.auth_key,
        "-x", "AES-256", "-X", AUDITOR.priv_key, target(a), "1.3.6.1.2.1.1.5.0",
    )  # fmt: skip
    assert r.returncode == 0 and "agent-a" in r.stdout, r.stderr


def test_v3_wrong_key_fails(env: AgentLoop, a: SnmpAgent) -> None:
    """A wrong auth key is rejected (pysnmp answers a usmStatsWrongDigests report)."""
    r = env.tool(
        "snmpget", "-v3", "-t", "1", "-r", "0", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", "not-the-key",
        "-x", "AES", "-X", ADMIN.priv_key, target(a), "1.3.6.1.2.1.1.1.0",
    )  # fmt: skip
    assert r.returncode != 0
    assert "Authentication failure" in r.stderr or "Timeout" in r.stderr
    assert "vrack test agent" not in r.stdout


def test_v3_read_only_user_cannot_set(env: AgentLoop, a: SnmpAgent, state: dict[str, int]) -> None:
    """An ro v3 user's SET is refused with noAccess."""
    r = env.tool(
        "snmpset", "-v3", "-l", "authPriv", "-u", "auditor", "-a", "SHA-256", "-A", AUDITOR.auth_key,
        "-x", "AES-256", "-X", AUDITOR.priv_key, target(a), "1.3.6.1.4.1.99999.1.3.9", "i", "2",
    )  # fmt: skip
    assert "noAccess" in r.stderr and state["o9"] == 1


def test_v3_user_of_another_device_is_not_authorized(env: AgentLoop, b: SnmpAgent) -> None:
    """admin exists on A only: the shared engine authenticates it, B answers authorizationError."""
    r = env.tool(
        "snmpget", "-v3", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", ADMIN.auth_key,
        "-x", "AES", "-X", ADMIN.priv_key, target(b), "1.3.6.1.2.1.1.1.0",
    )  # fmt: skip
    assert r.returncode != 0 and "authorizationError" in r.stderr


def test_malformed_datagram_dropped_then_agent_still_answers(env: AgentLoop, a: SnmpAgent) -> None:
    """Random bytes are dropped and counted as malformed; the next real request is answered."""
    garbage = random.Random(20240623)
    packets = [bytes(garbage.getrandbits(8) for _ in range(garbage.randint(1, 90))) for _ in range(200)]
    packets += [b"\x30\x03\x02\x01", b"\x30\x82\xff\xff" + b"\x00" * 8, b""]
    before = a.stats.malformed
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for packet in packets:
            s.sendto(packet, (a.address, a.port))
    r = env.tool("snmpget", "-v2c", "-c", "public", target(a), "1.3.6.1.2.1.1.1.0")
    assert r.returncode == 0 and "vrack test agent" in r.stdout
    assert a.stats.malformed - before >= 150  # most random bytes are not even BER


def test_port_in_use_fails_at_start_naming_device_and_address(env: AgentLoop, a: SnmpAgent) -> None:
    """A second agent on a bound address fails in start() with device and address in the message."""
    clash = SnmpAgent(MibTable(), address=a.address, port=a.port, name="pdu-clash", loop=env.loop, clock=env.clock)
    with pytest.raises(AgentBindError) as info:
        clash.start()
    assert "pdu-clash" in str(info.value) and f"{a.address}:{a.port}" in str(info.value)
    assert not clash.running


def test_pysnmp_hlapi_client(env: AgentLoop, a: SnmpAgent) -> None:
    """The pysnmp asyncio client (`get_cmd`) reads sysDescr and an outlet in one request."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    async def query() -> list[str]:
        engine = SnmpEngine()
        try:
            transport = await UdpTransportTarget.create((a.address, a.port), timeout=2, retries=0)
            error, status, _, binds = await get_cmd(
                engine,
                CommunityData("public", mpModel=1),
                transport,
                ContextData(),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.1.1.0")),
                ObjectType(ObjectIdentity("1.3.6.1.4.1.99999.1.2.3")),
            )
            assert error is None and int(status) == 0
            return [str(value) for _, value in binds]
        finally:
            engine.close_dispatcher()

    assert env.run(query()) == ["vrack test agent", "outlet-3"]


def test_service_binds_in_start_and_releases_in_stop(env: AgentLoop) -> None:
    """SnmpAgentService binds nothing until startService and frees the port in stopService."""
    agent = SnmpAgent(MibTable(), address="127.30.1.3", port=a_port(), name="svc", loop=env.loop, clock=env.clock)
    service = SnmpAgentService(agent)
    assert service.name == "svc" and not agent.running
    service.startService()
    try:
        assert agent.running and service.running
        r = env.tool("snmpget", "-v2c", "-t", "1", "-r", "0", "-c", "public", target(agent), "1.3.6.1.2.1.1.1.0")
        assert "No Such Object" in r.stdout, r.stderr
    finally:
        service.stopService()
    assert not agent.running
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((agent.address, agent.port))  # the port is free again


def a_port() -> int:
    return 161 if os.geteuid() == 0 else 0


def test_disabled_versions_get_no_answer(env: AgentLoop) -> None:
    """An agent with versions={'v2c'} ignores v1 requests and answers v2c."""
    table = MibTable()
    table.add("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("v2c only"))
    agent = env.agent(table, address="127.30.1.4", name="v2c-only", versions={"v2c"})
    v1 = env.tool("snmpget", "-v1", "-t", "1", "-r", "0", "-c", "public", target(agent), "1.3.6.1.2.1.1.1.0")
    v2 = env.tool("snmpget", "-v2c", "-c", "public", target(agent), "1.3.6.1.2.1.1.1.0")
    assert "Timeout" in v1.stderr
    assert v2.returncode == 0 and "v2c only" in v2.stdout


def test_same_user_name_with_other_keys_gets_its_own_engine(env: AgentLoop) -> None:
    """USM users are engine-wide, so an agent whose 'admin' has other keys is put on a second engine."""
    from snmp_agent.hub import HubPool

    other_admin = UsmUserConfig("admin", "sha", "another-auth-key", "aes", "another-priv-key", "ro")
    table = MibTable()
    table.add("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("second engine"))
    agent = env.agent(table, address="127.30.1.5", name="other-admin", communities=[], v3_users=[other_admin])
    assert len(HubPool.for_loop(env.loop).hubs) == 2
    r = env.tool(
        "snmpget", "-v3", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", "another-auth-key",
        "-x", "AES", "-X", "another-priv-key", target(agent), "1.3.6.1.2.1.1.1.0",
    )  # fmt: skip
    assert r.returncode == 0 and "second engine" in r.stdout, r.stderr
