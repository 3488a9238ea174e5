"""SNMPv2c notifications (traps) an agent sends on its own: encoded with pysnmp, sent over UDP.

A :class:`TrapReceiver` is where a device sends its traps (a manager's
``snmptrapd``); :func:`encode_v2c_trap` builds the SNMPv2-Trap message
(``sysUpTime.0``, ``snmpTrapOID.0`` and the trap's own variable bindings) as
RFC 3416 orders them.  Sending never raises: a trap is UDP, fire and forget,
as on a real PDU; failures are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902

Oid = tuple[int, ...]
VarBind = tuple[Oid, object]
SYS_UPTIME_0: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID_0: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)


@dataclass(frozen=True)
class TrapReceiver:
    """A manager listening for traps: ``address``:``port``, v2c ``community``."""

    address: str
    port: int = 162
    community: str = "public"


def encode_v2c_trap(
    community: str, uptime_seconds: float, trap: Oid, varbinds: Sequence[VarBind], request_id: int = 1
) -> bytes:
    """The BER bytes of an SNMPv2-Trap from an agent up ``uptime_seconds`` (sysUpTime in hundredths)."""
    v2c = api.v2c
    pdu = v2c.SNMPv2TrapPDU()
    v2c.apiTrapPDU.set_defaults(pdu)
    v2c.apiTrapPDU.set_request_id(pdu, request_id)
    bindings: list[tuple[Oid, object]] = [
        (SYS_UPTIME_0, rfc1902.TimeTicks(int(uptime_seconds * 100) & 0xFFFFFFFF)),
        (SNMP_TRAP_OID_0, rfc1902.ObjectName(trap)),
        *varbinds,
    ]
    v2c.apiTrapPDU.set_varbinds(pdu, bindings)
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


Send = Callable[[bytes, tuple[str, int]], None]


class TrapSender:
    """Sends one device's traps to its receivers through ``send`` (the agent's own socket: in the rack's
    network namespace, from the device's address).  Request IDs count up from 1, so the same events give
    the same datagrams."""

    def __init__(self, send: Send, receivers: Iterable[TrapReceiver]) -> None:
        self._send = send
        self.receivers = tuple(receivers)
        self.sent = 0
        self.failed = 0
        self._request_id = 0

    def send(self, uptime_seconds: float, trap: Oid, varbinds: Sequence[VarBind]) -> None:
        """Send the trap to every receiver; never raises."""
        for receiver in self.receivers:
            self._request_id += 1
            datagram = encode_v2c_trap(receiver.community, uptime_seconds, trap, varbinds, self._request_id)
            try:
                self._send(datagram, (receiver.address, receiver.port))
                self.sent += 1
            except OSError:
                self.failed += 1
