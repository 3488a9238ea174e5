"""Every PDU model serves one MIB layout per outlet count, bound to each PDU.

PDUs of one model and outlet count share the layout but answer from their own state: after different
histories, each walks exactly as through a layout built for it alone, and writes reach only the PDU written.
"""

from __future__ import annotations

import pytest
from pysnmp.proto import rfc1902
from twisted.internet.task import Clock

from pdu_sim import Pdu
from pdu_sim.models import apc_powernet, servertech_sentry3, sinetica_hawk_i2
from snmp_agent.layout import Layout, LayoutSource
from snmp_agent.source import Oid
from tests.support.mib_walk import walk

BUILDERS = {
    "apc-powernet": apc_powernet._layout,
    "servertech-sentry3": servertech_sentry3._layout,
    "sinetica-hawk-i2": sinetica_hawk_i2._layout,
}


def name_oid(source: LayoutSource[Pdu], pdu: Pdu, n: int) -> Oid:
    """The instance OID (writable, not live) whose value is outlet ``n``'s name."""
    name = rfc1902.OctetString(pdu.outlet(n).name)
    return next(oid for oid, value in walk(source) if value == name and not source.is_live(oid))


@pytest.mark.parametrize("model", sorted(BUILDERS))
def test_pdus_of_one_outlet_count_share_a_layout_and_keep_their_state(model: str) -> None:
    clock = Clock()
    a = Pdu(model, name="a", outlets=26, clock=clock, options={"location": "row 1"})
    b = Pdu(model, name="b", outlets=26, clock=clock, reboot_delay=9.0, voltage=120.0)
    c = Pdu(model, name="c", outlets=4, clock=clock)
    sources = [a.source, b.source, c.source]
    assert all(isinstance(source, LayoutSource) for source in sources)
    sa, sb, sc = (source for source in sources if isinstance(source, LayoutSource))
    assert sa.layout is sb.layout and sc.layout is not sa.layout
    clock.advance(100)
    a.set_outlet_load(1, 300)
    a.set_outlet(2, False, "test")
    b.set_outlet_load(3, 500)
    b.reboot_outlet(4, "test")
    clock.advance(2)
    sa.set(name_oid(sa, a, 5), rfc1902.OctetString("db-5"))
    assert a.outlet(5).name == "db-5" and b.outlet(5).name != "db-5"
    for pdu, source in ((a, sa), (b, sb), (c, sc)):
        alone: Layout[Pdu] = BUILDERS[model].__wrapped__(pdu.outlet_count)
        assert alone is not source.layout
        assert walk(source) == walk(alone.bind(pdu)), pdu.name
