"""PEF alerts: Platform Event Traps (PET v1.0) a BMC sends when an event it logs matches an event filter.

Each event the BMC logs in its SEL (:meth:`bmc_sim.sel.Sel.log`) runs through Platform Event Filtering
as IPMI 2.0 chapter 17 describes: with PEF and its alert action enabled, every enabled filter whose
generator, sensor type, sensor number, event/reading type and event offset mask match the event, and
whose action is "alert", names an alert policy; every enabled entry of that policy in the alert
policy table names a LAN channel destination; a destination of type PET with an IPv4 address gets an
SNMPv1 trap on UDP 162: enterprise ``1.3.6.1.4.1.3183.1.1`` (wired for management), generic trap 6,
specific trap ``sensor type << 16 | event type << 8 | offset`` (bit 7 of the offset byte set for a
deassertion) and one variable binding holding the PET data (GUID, sequence number, local time since
1998-01-01, severity, sensor, the event data, manufacturer and product ID), community from LAN
parameter 16.  FreeIPMI's ``ipmi-pet`` decodes such a trap.

Sending goes through ``send`` (the BMC's own UDP socket); a BMC without one, or with no destination
configured, sends nothing, as a real BMC whose destinations are unset.
"""

from __future__ import annotations

import ipaddress
import struct
import uuid
from typing import TYPE_CHECKING

from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902

from bmc_sim.device_roles import Send

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

PET_ENTERPRISE = (1, 3, 6, 1, 4, 1, 3183, 1, 1)
PET_DATA = (*PET_ENTERPRISE, 1)
PET_EPOCH = 883612800  # 1998-01-01T00:00:00Z, where PET local timestamps count from
TRAP_PORT = 162
BMC_SLAVE_ADDRESS = 0x20
LANGUAGE_ENGLISH = 0x19
END_OF_OEM_FIELDS = 0xC1


def filter_matches(entry: bytes | bytearray, record: bytes) -> bool:
    """Whether event filter table ``entry`` (20 bytes, table 17-2) selects SEL ``record``'s event for an alert."""
    if not entry[0] & 0x80 or not entry[1] & 0x01:  # disabled, or no alert action
        return False
    wanted = (
        (entry[4], record[7]),  # generator ID: slave address / software ID
        (entry[5], record[8]),  # generator ID: channel and LUN
        (entry[6], record[10]),  # sensor type
        (entry[7], record[11]),  # sensor number
        (entry[8], record[12] & 0x7F),  # event/reading type
    )
    if any(want != 0xFF and want != got for want, got in wanted):
        return False
    mask = entry[9] | (entry[10] << 8)
    return bool(mask >> (record[13] & 0x0F) & 1)


def specific_trap(record: bytes) -> int:
    """The PET specific trap number of SEL ``record``: sensor type, event type, offset (bit 7: deassertion)."""
    offset = (record[13] & 0x0F) | (0x80 if record[12] & 0x80 else 0)
    return record[10] << 16 | (record[12] & 0x7F) << 8 | offset


def pet_data(guid: bytes, sequence: int, record: bytes, severity: int, manufacturer: int, product: int) -> bytes:
    """The PET variable binding's octets for SEL ``record`` (PET v1.0 table 3, multi-byte fields MSB first)."""
    logged = struct.unpack_from("<I", record, 3)[0]
    local = max(logged - PET_EPOCH, 0) if logged >= PET_EPOCH else 0
    event_data = bytes([record[13], record[14], record[15], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    return (
        guid
        + struct.pack(">HIh", sequence & 0xFFFF, local, -1)  # UTC offset unspecified (0xFFFF)
        + bytes([BMC_SLAVE_ADDRESS, BMC_SLAVE_ADDRESS, severity, BMC_SLAVE_ADDRESS, record[11], 0x00, 0x00])
        + event_data
        + bytes([LANGUAGE_ENGLISH])
        + struct.pack(">IH", manufacturer, product)
        + bytes([END_OF_OEM_FIELDS])
    )


def encode_pet(community: bytes, agent_address: str, uptime_seconds: float, specific: int, data: bytes) -> bytes:
    """The SNMPv1 Trap-PDU message carrying one PET."""
    v1 = api.v1
    pdu = v1.TrapPDU()
    v1.apiTrapPDU.set_defaults(pdu)
    v1.apiTrapPDU.set_enterprise(pdu, PET_ENTERPRISE)
    v1.apiTrapPDU.set_agent_address(pdu, agent_address)
    v1.apiTrapPDU.set_generic_trap(pdu, 6)
    v1.apiTrapPDU.set_specific_trap(pdu, specific)
    v1.apiTrapPDU.set_timestamp(pdu, int(uptime_seconds * 100) & 0xFFFFFFFF)
    v1.apiTrapPDU.set_varbinds(pdu, [(PET_DATA, rfc1902.OctetString(data))])
    message = v1.Message()
    v1.apiMessage.set_defaults(message)
    v1.apiMessage.set_community(message, community)
    v1.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


class PefAlerts:
    """Runs PEF over the events one BMC logs and sends the PETs its configuration asks for."""

    def __init__(self, bmc: Bmc) -> None:
        self.bmc = bmc
        self.send: Send | None = None  # the BMC's UDP socket; set by the transport that serves it
        self.sequence = 0
        self.sent = 0
        self.failed = 0
        self._started = bmc.clock.seconds()

    def event_logged(self, record: bytes) -> None:
        """PEF for one newly logged SEL record (system event records only)."""
        pef, send = self.bmc.pef, self.send
        if send is None or record[2] != 0x02 or not pef.control & 0x01 or not pef.action_control & 0x01:
            return
        for entry in pef.filters:
            if filter_matches(entry, record):
                self._alert(entry[2] & 0x0F, entry[3], record, send)

    def _alert(self, policy: int, severity: int, record: bytes, send: Send) -> None:
        for entry in self.bmc.pef.policies:
            if entry[0] >> 4 != policy or not entry[0] & 0x08:
                continue
            destination = self._destination(entry[1] & 0x0F)
            if destination is None:
                continue
            self.sequence += 1
            identity = self.bmc.config.identity
            data = pet_data(
                _guid(self.bmc), self.sequence, record, severity, identity.manufacturer_id, identity.product_id
            )
            lan = self.bmc.lan
            community = lan.get(16).rstrip(b"\x00") or b"public"
            uptime = self.bmc.clock.seconds() - self._started
            datagram = encode_pet(community, lan.reported()["ip_address"], uptime, specific_trap(record), data)
            try:
                send(datagram, (destination, TRAP_PORT))
                self.sent += 1
            except OSError:
                self.failed += 1

    def _destination(self, selector: int) -> str | None:
        """The IPv4 address of LAN alert destination ``selector`` if it is a PET destination, else None."""
        try:
            kind = self.bmc.lan.get(18, selector)
            address = self.bmc.lan.get(19, selector)
        except Exception:  # no such destination
            return None
        if kind[1] & 0x07 != 0 or address[1] >> 4 != 0:  # not a PET trap, or not an IPv4 address
            return None
        ip = ipaddress.IPv4Address(address[3:7])
        return None if int(ip) == 0 else str(ip)


def _guid(bmc: Bmc) -> bytes:
    """The System GUID as PEF sends it: the PEF parameter's when it says so, else Get System GUID's."""
    configured = bmc.pef.system_guid
    if configured[0] & 0x01:
        return bytes(configured[1:17])
    guid: uuid.UUID = bmc.config.identity.system_guid
    return guid.bytes[::-1]
