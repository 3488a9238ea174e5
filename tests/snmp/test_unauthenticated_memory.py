"""Issue 14 finding 1: what an unauthenticated SNMP sender costs must not stay in memory.

Requests with a community the agent does not know are dropped before their variable bindings are
decoded, so unique (and huge) OIDs from them never reach the OID cache; OIDs too long to be worth
caching are not kept even from known communities.  Requests are built with pysnmp's own encoder.
"""

from __future__ import annotations

from pyasn1.codec.ber import encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c as api_v2c
from twisted.internet.task import Clock

from snmp_agent import ber
from snmp_agent.ber import decode as ber_decode
from snmp_agent.config import CommunityConfig
from snmp_agent.controller import DeviceController
from snmp_agent.fastpath import DROP, FastPath
from snmp_agent.source import MibTable

PEER = ("127.25.0.9", 40161)
DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def _get(community: str, oid: tuple[int, ...]) -> bytes:
    pdu = api_v2c.GetRequestPDU()
    api_v2c.apiPDU.set_defaults(pdu)
    api_v2c.apiPDU.set_varbinds(pdu, [(oid, api_v2c.null)])
    message = api_v2c.Message()
    api_v2c.apiMessage.set_defaults(message)
    api_v2c.apiMessage.set_community(message, community)
    api_v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def _fast_path() -> FastPath:
    table = MibTable()
    table.add(DESCR, rfc1902.OctetString("memory test"))
    controller = DeviceController(table, name="mem", clock=Clock())
    return FastPath(controller, [CommunityConfig("public", "ro")], ["v1", "v2c"], "mem")


def test_requests_with_an_unknown_community_leave_nothing_in_the_oid_cache() -> None:
    fast = _fast_path()
    ber_decode._oid_decode_cache.clear()
    for n in range(2000):  # unique OIDs of ~600 bytes each, as the attack in the issue sent (there 60 KB)
        oid = (1, 3, 6, 1, 4, 1, n + 1, *([n % 127 + 1] * 600))
        assert fast.answer(_get("wrong", oid), PEER) is DROP
    assert len(ber_decode._oid_decode_cache) == 0
    assert fast.answer(_get("public", DESCR), PEER) not in (DROP,)
    assert len(ber_decode._oid_decode_cache) == 1


def test_a_long_oid_is_decoded_but_not_kept_even_from_a_known_community() -> None:
    fast = _fast_path()
    ber_decode._oid_decode_cache.clear()
    long_oid = (1, 3, 6, 1, 4, 1, 99999, *([5] * (ber.OID_CACHE_KEY_MAX + 10)))
    answer = fast.answer(_get("public", long_oid), PEER)
    assert isinstance(answer, bytes)  # answered (noSuchObject), not dropped
    assert len(ber_decode._oid_decode_cache) == 0
