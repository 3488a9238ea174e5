"""snmp_agent: SNMP agent plumbing shared by ``pdu_sim`` and ``switch_sim``.

Written once, used by both simulators: a pysnmp 7 engine on the asyncio loop
(which is also the Twisted reactor's loop), community and USM access control,
and a MIB controller that answers GET/GETNEXT/GETBULK/SET from a
:class:`snmp_agent.source.MibSource`.  v1/v2c community requests take a fast
path (:mod:`snmp_agent.fastpath`, :mod:`snmp_agent.ber`) that answers them
without the engine, with the same answers.  Device content (vendor personalities and
live objects) lives in the simulators, not here.
"""

from .agent import DEFAULT_COMMUNITIES, SnmpAgent, SnmpAgentService
from .config import (
    AgentBindError,
    AgentConfigError,
    AgentStats,
    CommunityConfig,
    SnmpRecord,
    UsmUserConfig,
)
from .snmprec import load_snmprec, load_snmprec_lines
from .source import MibSource, MibTable, SnmpError

__all__ = [
    "DEFAULT_COMMUNITIES",
    "AgentBindError",
    "AgentConfigError",
    "AgentStats",
    "CommunityConfig",
    "MibSource",
    "MibTable",
    "SnmpAgent",
    "SnmpAgentService",
    "SnmpError",
    "SnmpRecord",
    "UsmUserConfig",
    "load_snmprec",
    "load_snmprec_lines",
]
