"""Full net-snmp walks of a ServerTech Sentry3 PDU against what the model says it holds.

The expectation is written here from the Sentry3 personality's description (module docstring of
``pdu_sim.models.servertech_sentry3``: the static ``.snmprec`` part, the system group, infeed 1.1 and the
outlet columns) and the PDU's state read through :class:`pdu_sim.Pdu`'s own API, not from the agent.
``snmpwalk`` and ``snmpbulkwalk``, v2c and v3 (authPriv), must print exactly those lines, for two PDUs of the
same outlet count (which share one MIB layout) in different states, and a PDU of another outlet count.
Agents listen on 127.67.6.x.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pysnmp.proto import rfc1902

from pdu_sim import Pdu
from pdu_sim.models import servertech_sentry3 as sentry3
from snmp_agent import CommunityConfig, UsmUserConfig
from snmp_agent.layout import LayoutSource
from snmp_agent.snmprec import read_snmprec
from snmp_agent.source import Oid, Value
from snmp_agent.testing import AgentLoop, target

pytestmark = pytest.mark.e2e

USER = UsmUserConfig("admin", "sha", "authpass-123", "aes", "privpass-456", "rw")
V2C = ("-v2c", "-c", "public")
V3 = ("-v3", "-l", "authPriv", "-u", "admin", "-a", "SHA", "-A", "authpass-123", "-x", "AES", "-X", "privpass-456")
SNMPREC = Path(sentry3.__file__).with_name("servertech_sentry3.snmprec")


def render(value: Value) -> str:
    """How ``snmpwalk -On -Ot`` prints a value of the types a Sentry3 serves (all its strings are printable)."""
    if isinstance(value, rfc1902.TimeTicks):
        return f"{int(value)}"  # -Ot: the raw number, no type
    if isinstance(value, rfc1902.Integer32):
        return f"INTEGER: {int(value)}"
    if isinstance(value, rfc1902.ObjectIdentifier):
        return "OID: ." + ".".join(map(str, value))
    text = bytes(value.asOctets()).decode()
    return f'STRING: "{text}"' if text else '""'


def expected_walk(pdu: Pdu) -> list[str]:
    rows: dict[Oid, str] = {oid: render(value) for oid, value in read_snmprec(SNMPREC)}
    system = (1, 3, 6, 1, 2, 1, 1)
    rows[(*system, 1, 0)] = 'STRING: "Sentry Switched CDU"'
    rows[(*system, 2, 0)] = "OID: .1.3.6.1.4.1.1718.3"
    rows[(*system, 3, 0)] = f"{int(pdu.uptime() * 100)}"
    rows[(*system, 4, 0)] = '""'
    rows[(*system, 5, 0)] = f'STRING: "{pdu.name}"'
    rows[(*system, 6, 0)] = '""'
    rows[(*system, 7, 0)] = "INTEGER: 72"
    infeed = {
        6: {"normal": 0, "high": 4, "overload": 5}[pdu.load_state()],
        7: round(pdu.total_current() * 100),
        8: round(pdu.capacity_amps * 0.8),
        9: pdu.outlet_count,
        10: round(pdu.capacity_amps),
        11: round(pdu.voltage * 10),
        12: round(pdu.total_power()),
        13: round(pdu.total_power() / pdu.power_factor),
        14: round(pdu.power_factor * 100),
        16: round(pdu.total_energy() / 100),
    }
    for col, number in infeed.items():
        rows[(*sentry3.INFEED, col, 1, 1)] = f"INTEGER: {number}"
    for n in range(1, pdu.outlet_count + 1):
        outlet = pdu.outlet(n)
        if outlet.rebooting:
            state = 8
        elif outlet.pending_target is not None:
            state = 10 if outlet.pending_target else 11
        else:
            state = 5 if outlet.on else 4
        columns: dict[int, str] = {
            2: f'STRING: "AA{n}"',
            3: f'STRING: "{outlet.name}"',
            5: f"INTEGER: {1 if outlet.on else 0}",
            6: "INTEGER: 0",
            7: f"INTEGER: {round(pdu.outlet_current(n) * 100)}",
            10: f"INTEGER: {state}",
            11: "INTEGER: 0",
            12: "INTEGER: 10",
            13: f"INTEGER: {round(pdu.voltage * 10)}",
            14: f"INTEGER: {round(pdu.outlet_power(n))}",
            15: f"INTEGER: {round(pdu.outlet_power(n) / pdu.power_factor)}",
            16: f"INTEGER: {round(pdu.power_factor * 100)}",
            18: f"INTEGER: {round(pdu.outlet_energy(n))}",
            19: "INTEGER: 1",
            20: "INTEGER: 0",
        }
        for col, text in columns.items():
            rows[(*sentry3.OUTLET, col, 1, 1, n)] = text
    return [f".{'.'.join(map(str, oid))} = {rows[oid]}" for oid in sorted(rows)]


@dataclass
class Env:
    loop: AgentLoop
    pdus: list[Pdu]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    loop = AgentLoop()
    loop.clock.advance(1000)
    quiet = Pdu("servertech-sentry3", name="pdu-quiet", outlets=24, clock=loop.clock)
    busy = Pdu("servertech-sentry3", name="pdu-busy", outlets=24, clock=loop.clock, options={"switch_delay": 5})
    small = Pdu("servertech-sentry3", name="pdu-small", outlets=8, clock=loop.clock, initial_on=False)
    busy.set_outlet_load(1, 1450)
    busy.set_outlet_load(2, 1600)
    busy.set_outlet_name(5, "web-5")
    busy.set_outlet(3, False, "test")
    loop.clock.advance(3600)
    busy.reboot_outlet(7, "test")
    busy.switch_outlet_later(9, False, 5, "test")
    small.switch_outlet_later(2, True, 5, "test")
    for number, pdu in enumerate((quiet, busy, small), 1):
        loop.agent(
            pdu.source,
            address=f"127.67.6.{number}",
            name=pdu.name,
            communities=[CommunityConfig("public")],
            v3_users=[USER],
        )
    yield Env(loop, [quiet, busy, small])
    loop.close()


@pytest.mark.parametrize("tool", ["snmpwalk", "snmpbulkwalk"])
@pytest.mark.parametrize("version", [V2C, V3], ids=["v2c", "v3"])
def test_walk_prints_what_the_model_holds(env: Env, tool: str, version: tuple[str, ...]) -> None:
    assert env.pdus[1].load_state() == "high"  # the busy PDU's infeed is in its load-high state
    for agent, pdu in zip(env.loop.agents, env.pdus, strict=True):
        result = env.loop.tool(tool, *version, "-On", "-Ot", "-Oe", "-t", "5", target(agent), "1", timeout=120)
        assert result.returncode == 0, result.stderr
        lines = result.lines()
        assert lines[-1].endswith("No more variables left in this MIB View (It is past the end of the MIB tree)")
        assert lines[:-1] == expected_walk(pdu), pdu.name


def test_two_pdus_of_one_layout_keep_their_own_state(env: Env) -> None:
    """A SET through one PDU's agent changes that PDU only; state and load are live objects, names and ratings not."""
    quiet, busy, _ = env.pdus
    name_oid = ".".join(map(str, (*sentry3.OUTLET, 3, 1, 1, 4)))
    done = env.loop.tool("snmpset", *V3, "-On", target(env.loop.agents[0]), name_oid, "s", "db-4")
    assert done.returncode == 0, done.stderr
    assert quiet.outlet(4).name == "db-4" and busy.outlet(4).name == "Outlet_4"
    source = quiet.source
    assert isinstance(source, LayoutSource)
    assert source.is_live((*sentry3.OUTLET, 5, 1, 1, 4)) and not source.is_live((*sentry3.OUTLET, 3, 1, 1, 4))
    assert source.is_live((*sentry3.INFEED, 7, 1, 1)) and not source.is_live((*sentry3.INFEED, 11, 1, 1))
    assert not source.is_live((1, 3, 6, 1, 2, 1, 1, 5, 0)) and source.is_live((1, 3, 6, 1, 2, 1, 1, 3, 0))
