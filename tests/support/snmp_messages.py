"""SNMP requests encoded by pysnmp/pyasn1, for tests that compare the agent's answers on its two paths."""

from __future__ import annotations

from typing import Any

from pyasn1.codec.ber import encoder
from pysnmp.proto.api import v1 as api_v1
from pysnmp.proto.api import v2c as api_v2c


def encode_request(
    version: int, kind: str, community: str, rid: int, varbinds: list[tuple[Any, Any]], bulk: tuple[int, int]
) -> bytes:
    """An SNMP request as a manager sends it: ``version`` 0 (v1) or 1 (v2c); ``kind`` get, next, set or bulk
    (``bulk``: non-repeaters, max-repetitions); pysnmp builds the PDU and pyasn1 encodes it."""
    api = api_v2c if version == 1 else api_v1
    pdu = {
        "get": api.GetRequestPDU,
        "next": api.GetNextRequestPDU,
        "set": api.SetRequestPDU,
        "bulk": api_v2c.GetBulkRequestPDU,
    }[kind]()
    api.apiPDU.set_defaults(pdu)
    api.apiPDU.set_request_id(pdu, rid)
    if kind == "bulk":
        api_v2c.apiBulkPDU.set_non_repeaters(pdu, bulk[0])
        api_v2c.apiBulkPDU.set_max_repetitions(pdu, bulk[1])
    api.apiPDU.set_varbinds(pdu, varbinds)
    msg = api.Message()
    api.apiMessage.set_defaults(msg)
    api.apiMessage.set_community(msg, community)
    api.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))
