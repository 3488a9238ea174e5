"""LAN configuration parameters (IPMI 2.0 section 23.1-23.2) for the LAN channel.

:class:`LanParameters` holds the parameter table, initialised from
``config.lan``, ``config.cipher_suites`` and ``config.auth_types_15``.  Set
LAN Configuration Parameters changes what is reported (not the address the
BMC is bound to).  The MAC address is read-only, as on most server BMCs: it
is the one the BMC answers ARP with.  Unsupported parameters answer 0x80,
read-only ones 0x82, channels other than the LAN channel 0xCC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import AuthType15, BmcConfig, Privilege
from bmc_sim.errors import CommandSpecific, InvalidDataField, ParameterNotSupported, RequestDataLengthInvalid
from bmc_sim.message import RequestContext

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

TRANSPORT = 0x0C
PARAMETER_REVISION = 0x11
COMMUNITY_LENGTH = 18
MAX_SET_SELECTOR = 4  # LAN alert destinations 1..4 (0 is the volatile one)

SET_IN_PROGRESS = 0
AUTH_TYPE_SUPPORT = 1
AUTH_TYPE_ENABLES = 2
IP_ADDRESS = 3
IP_SOURCE = 4
MAC_ADDRESS = 5
SUBNET_MASK = 6
IP_HEADER = 7
ARP_CONTROL = 10
GRATUITOUS_ARP_INTERVAL = 11
GATEWAY_IP = 12
GATEWAY_MAC = 13
BACKUP_GATEWAY_IP = 14
BACKUP_GATEWAY_MAC = 15
COMMUNITY = 16
DESTINATION_COUNT = 17
DESTINATION_TYPE = 18
DESTINATION_ADDRESS = 19
VLAN_ID = 20
VLAN_PRIORITY = 21
CIPHER_SUITE_COUNT = 22
CIPHER_SUITES = 23
CIPHER_SUITE_PRIVILEGES = 24
BAD_PASSWORD_THRESHOLD = 26

READ_ONLY = frozenset({AUTH_TYPE_SUPPORT, MAC_ADDRESS, DESTINATION_COUNT, CIPHER_SUITE_COUNT, CIPHER_SUITES})
SELECTED = frozenset({DESTINATION_TYPE, DESTINATION_ADDRESS})  # indexed by set selector
IP_SOURCES = {"static": 1, "dhcp": 2}
IP_SOURCE_NAMES = {0: "unspecified", 1: "static", 2: "dhcp", 3: "bios", 4: "other"}


def mac_bytes(mac: str) -> bytes:
    """``"52:54:00:aa:bb:cc"`` -> 6 bytes."""
    parts = mac.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC address {mac!r}")
    return bytes(int(p, 16) for p in parts)


def ip_bytes(ip: str) -> bytes:
    return ipaddress.IPv4Address(ip).packed


def auth_mask(types: tuple[AuthType15, ...]) -> int:
    return sum(1 << int(t) for t in set(types))


def privilege_nibbles(count: int, privilege: int = int(Privilege.ADMINISTRATOR)) -> bytes:
    """Parameter 24: a reserved byte then one nibble per cipher suite entry (16 entries)."""
    nibbles = [privilege if i < count else 0 for i in range(16)]
    return bytes([0]) + bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, 16, 2))


class LanParameters:
    """The LAN configuration parameter table of one channel.

    ``listeners`` are called with the parameter number after each successful :meth:`set` (whoever runs
    the BMC's network follows ``ip_source`` changes this way); :meth:`apply_lease` writes a DHCP lease.
    """

    def __init__(self, config: BmcConfig) -> None:
        lan = config.lan
        suites = config.cipher_suites[:16]
        mask = auth_mask(config.auth_types_15)
        self._params: dict[int, bytes] = {
            SET_IN_PROGRESS: b"\x00",
            AUTH_TYPE_SUPPORT: bytes([mask]),
            AUTH_TYPE_ENABLES: bytes([mask, mask, mask, mask, 0x00]),
            IP_ADDRESS: ip_bytes(lan.ip_address),
            IP_SOURCE: bytes([IP_SOURCES.get(lan.ip_source, 0)]),
            MAC_ADDRESS: mac_bytes(lan.mac_address),
            SUBNET_MASK: ip_bytes(lan.netmask),
            IP_HEADER: bytes([0x40, 0x40, 0x10]),  # TTL 64, don't fragment, TOS low delay
            ARP_CONTROL: b"\x02",  # ARP responses on, gratuitous ARP off
            GRATUITOUS_ARP_INTERVAL: b"\x04",  # 2 s in 500 ms units
            GATEWAY_IP: ip_bytes(lan.gateway),
            GATEWAY_MAC: mac_bytes(lan.gateway_mac),
            BACKUP_GATEWAY_IP: bytes(4),
            BACKUP_GATEWAY_MAC: bytes(6),
            COMMUNITY: b"public".ljust(COMMUNITY_LENGTH, b"\x00"),
            DESTINATION_COUNT: bytes([MAX_SET_SELECTOR]),
            VLAN_ID: _vlan(lan.vlan_id),
            VLAN_PRIORITY: b"\x00",
            CIPHER_SUITE_COUNT: bytes([len(suites)]),
            CIPHER_SUITES: bytes([0]) + bytes(suites),
            CIPHER_SUITE_PRIVILEGES: privilege_nibbles(len(suites)),
            BAD_PASSWORD_THRESHOLD: bytes(6),
        }
        self._selected: dict[tuple[int, int], bytes] = {}
        self.listeners: list[Callable[[int], None]] = []
        for n in range(MAX_SET_SELECTOR + 1):  # PET trap, 3 s ack timeout; no address until one is set
            self._selected[(DESTINATION_TYPE, n)] = bytes([n, 0x00, 0x03, 0x00])
            self._selected[(DESTINATION_ADDRESS, n)] = bytes([n, 0x00, 0x00]) + bytes(4) + bytes(6)

    def get(self, param: int, set_selector: int = 0) -> bytes:
        """Parameter data (without the revision byte); 0x80 when unsupported."""
        if param in SELECTED:
            found = self._selected.get((param, set_selector))
            if found is None:
                raise InvalidDataField(f"LAN parameter {param} has no set {set_selector}")
            return found
        if param not in self._params:
            raise ParameterNotSupported(f"LAN parameter {param}")
        return self._params[param]

    def reported(self) -> dict[str, str]:
        """What ``lan print`` shows now (the live table, after any Set LAN Configuration Parameters)."""
        p = self._params
        return {
            "ip_address": str(ipaddress.IPv4Address(p[IP_ADDRESS])),
            "netmask": str(ipaddress.IPv4Address(p[SUBNET_MASK])),
            "gateway": str(ipaddress.IPv4Address(p[GATEWAY_IP])),
            "ip_source": IP_SOURCE_NAMES.get(p[IP_SOURCE][0] & 0x0F, "other"),
            "mac_address": ":".join(f"{b:02x}" for b in p[MAC_ADDRESS]),
        }

    def set(self, param: int, data: bytes) -> None:
        """Store a parameter; lengths must match the current value's."""
        if param in READ_ONLY:
            raise CommandSpecific(0x82, f"LAN parameter {param} is read-only")
        if param in SELECTED:
            if not data or (param, data[0]) not in self._selected:
                raise InvalidDataField(f"LAN parameter {param}: bad set selector")
            key = (param, data[0])
            if len(data) != len(self._selected[key]):
                raise RequestDataLengthInvalid(f"LAN parameter {param} length")
            self._selected[key] = bytes(data)
            return
        if param not in self._params:
            raise ParameterNotSupported(f"LAN parameter {param}")
        if len(data) != len(self._params[param]):
            raise RequestDataLengthInvalid(f"LAN parameter {param} needs {len(self._params[param])} bytes")
        if param == SET_IN_PROGRESS and data[0] & 0x03 == 0x03:
            raise InvalidDataField("reserved set-in-progress value")
        self._params[param] = bytes(data)
        for listener in list(self.listeners):
            listener(param)

    def apply_lease(self, address: str, netmask: str, gateway: str | None) -> None:
        """The address, mask and gateway a DHCP lease gave (what ``lan print`` then shows)."""
        self._params[IP_ADDRESS] = ip_bytes(address)
        self._params[SUBNET_MASK] = ip_bytes(netmask)
        self._params[GATEWAY_IP] = ip_bytes(gateway or "0.0.0.0")


def _vlan(vlan_id: int) -> bytes:
    if vlan_id == 0:
        return b"\x00\x00"
    return bytes([vlan_id & 0xFF, 0x80 | ((vlan_id >> 8) & 0x0F)])


@command(netfn=TRANSPORT, cmd=0x01, name="transport.set_lan_config", privilege=Privilege.ADMINISTRATOR, min_len=3)
def set_lan_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0], ctx)
    bmc.lan.set(data[1], data[2:])
    return b""


@command(netfn=TRANSPORT, cmd=0x02, name="transport.get_lan_config", privilege=Privilege.OPERATOR, min_len=4, max_len=4)
def get_lan_config(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.channels.resolve_lan(data[0], ctx)
    param, set_selector = data[1], data[2]
    value = bmc.lan.get(param, set_selector)
    if data[0] & 0x80:  # revision only
        return bytes([PARAMETER_REVISION])
    return bytes([PARAMETER_REVISION]) + value
