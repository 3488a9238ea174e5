"""DHCP/BOOTP wire codec (RFC 2131, RFC 2132, PXE 2.1 and iPXE options): pure functions, no sockets.

:func:`decode` turns a datagram into a :class:`DhcpPacket` and raises :class:`DhcpDecodeError` naming
the field that is wrong; :func:`encode` is its inverse.  Options are kept as raw bytes keyed by code
(in arrival order, repeated options concatenated as RFC 3396 says); the ``*_option`` helpers build the
values a PXE ROM and iPXE send, and :class:`DhcpPacket`'s properties read the ones a client needs.
"""

from __future__ import annotations

import ipaddress
import struct
import uuid
from dataclasses import dataclass, field

BOOTREQUEST = 1
BOOTREPLY = 2
HTYPE_ETHERNET = 1
MAGIC_COOKIE = b"\x63\x82\x53\x63"
BROADCAST_FLAG = 0x8000
SERVER_PORT = 67
CLIENT_PORT = 68
PROXY_PORT = 4011

# Message types (option 53).
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
MESSAGE_TYPE_NAMES = {
    DISCOVER: "DISCOVER",
    OFFER: "OFFER",
    REQUEST: "REQUEST",
    DECLINE: "DECLINE",
    ACK: "ACK",
    NAK: "NAK",
    RELEASE: "RELEASE",
    INFORM: "INFORM",
}

# Option codes used by PXE clients and servers.
OPT_PAD = 0
OPT_SUBNET_MASK = 1
OPT_ROUTER = 3
OPT_DNS = 6
OPT_HOSTNAME = 12
OPT_DOMAIN = 15
OPT_VENDOR_SPECIFIC = 43
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_OVERLOAD = 52
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAMETER_LIST = 55
OPT_MESSAGE = 56
OPT_MAX_MESSAGE_SIZE = 57
OPT_VENDOR_CLASS = 60
OPT_CLIENT_ID = 61
OPT_TFTP_SERVER = 66
OPT_BOOTFILE = 67
OPT_USER_CLASS = 77
OPT_CLIENT_ARCH = 93
OPT_CLIENT_NDI = 94
OPT_CLIENT_UUID = 97
OPT_IPXE_ENCAP = 175
OPT_END = 255

PXE_VENDOR_CLASS = "PXEClient:Arch:00000:UNDI:002001"
# Option 93 client architectures (RFC 4578, IANA "Processor Architecture Types"): what a PXE ROM sends.
ARCH_X86_BIOS, ARCH_X64_UEFI = 0, 7
# What a BIOS PXE ROM asks for (Intel/PXE 2.1 style) and what iPXE asks for.
PXE_PARAMETER_LIST = bytes([1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 43, 54, 60, 66, 67, 128, 129, 130, 131, 132])
PXE_PARAMETER_LIST += bytes([133, 134, 135])
IPXE_PARAMETER_LIST = bytes([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133])
IPXE_PARAMETER_LIST += bytes([134, 135, 175, 203])
# What dhclient and BMC firmware ask for: mask, router, DNS, host name, domain, lease, server, T1, T2.
HOST_PARAMETER_LIST = bytes([1, 3, 6, 12, 15, 51, 54, 58, 59])
# iPXE feature indicators carried in option 175 (include/ipxe/features.h): version, PXEXT, HTTP, DNS, TFTP, bzImage.
IPXE_FEATURES = bytes([0xEB, 3, 1, 21, 0, 0x10, 1, 2, 0x13, 1, 1, 0x15, 1, 1, 0x18, 1, 1, 0x22, 1, 1])

_HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
HEADER_SIZE = _HEADER.size  # 236
MIN_PACKET = HEADER_SIZE + len(MAGIC_COOKIE)


class DhcpDecodeError(ValueError):
    """A datagram that is not a well-formed DHCP packet; ``field`` names the part that is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"DHCP {field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class DhcpPacket:
    """One BOOTP/DHCP packet.  Addresses are dotted-quad strings; ``chaddr`` is the hardware address bytes."""

    op: int
    xid: int
    chaddr: bytes
    htype: int = HTYPE_ETHERNET
    hops: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: str = "0.0.0.0"
    yiaddr: str = "0.0.0.0"
    siaddr: str = "0.0.0.0"
    giaddr: str = "0.0.0.0"
    sname: str = ""
    file: str = ""
    options: dict[int, bytes] = field(default_factory=dict)

    @property
    def message_type(self) -> int | None:
        """Option 53, or None for plain BOOTP."""
        value = self.options.get(OPT_MESSAGE_TYPE)
        return value[0] if value else None

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & BROADCAST_FLAG)

    @property
    def mac(self) -> str:
        """``chaddr`` as ``aa:bb:cc:dd:ee:ff`` (the first 6 bytes for Ethernet)."""
        return ":".join(f"{b:02x}" for b in self.chaddr[:6])

    def text_option(self, code: int) -> str | None:
        """An option as text with trailing NULs removed, or None when absent."""
        value = self.options.get(code)
        if value is None:
            return None
        return value.rstrip(b"\x00").decode("latin-1")

    def address_option(self, code: int) -> str | None:
        """The first IPv4 address in an option, or None when absent or too short."""
        value = self.options.get(code)
        if value is None or len(value) < 4:
            return None
        return str(ipaddress.IPv4Address(value[:4]))

    @property
    def server_id(self) -> str | None:
        return self.address_option(OPT_SERVER_ID)

    @property
    def vendor_class(self) -> str | None:
        return self.text_option(OPT_VENDOR_CLASS)

    @property
    def bootfile(self) -> str:
        """The boot file: the ``file`` field, else option 67 (dnsmasq and on-dhcp-proxy send both)."""
        return self.file or self.text_option(OPT_BOOTFILE) or ""

    @property
    def tftp_server(self) -> str | None:
        """Where to fetch the boot file: ``siaddr``, else option 66, else ``sname``."""
        if self.siaddr != "0.0.0.0":
            return self.siaddr
        return self.text_option(OPT_TFTP_SERVER) or self.sname or None

    @property
    def user_class(self) -> str | None:
        """Option 77 as iPXE sends it (plain text), or the first RFC 3004 entry when length-prefixed."""
        value = self.options.get(OPT_USER_CLASS)
        if value is None:
            return None
        if value and value[0] == len(value) - 1:
            return value[1:].decode("latin-1")
        return value.decode("latin-1")


def _ip_bytes(text: str, field_name: str) -> bytes:
    try:
        return ipaddress.IPv4Address(text).packed
    except ValueError as exc:
        raise DhcpDecodeError(field_name, f"not an IPv4 address: {text!r}") from exc


def _cstring(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1")


def encode_options(options: dict[int, bytes]) -> bytes:
    """Options as TLVs (values over 255 bytes split into several, RFC 3396), then END."""
    out = bytearray()
    for code, value in options.items():
        if not 0 < code < OPT_END:
            raise ValueError(f"option code {code} out of range")
        chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [b""]
        for chunk in chunks:
            out += bytes([code, len(chunk)]) + chunk
    out.append(OPT_END)
    return bytes(out)


def decode_tlvs(data: bytes, field_name: str = "options") -> dict[int, bytes]:
    """Parse code/length/value options until END or the end of data; repeated codes are concatenated."""
    options: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        code = data[i]
        if code == OPT_PAD:
            i += 1
            continue
        if code == OPT_END:
            break
        if i + 1 >= len(data):
            raise DhcpDecodeError(f"{field_name}[{code}]", "length byte missing")
        length = data[i + 1]
        if i + 2 + length > len(data):
            raise DhcpDecodeError(f"{field_name}[{code}]", f"length {length} runs past the end of the packet")
        options[code] = options.get(code, b"") + data[i + 2 : i + 2 + length]
        i += 2 + length
    return options


def encode(packet: DhcpPacket) -> bytes:
    """The packet on the wire (padded to the 300-byte BOOTP minimum)."""
    if len(packet.chaddr) > 16:
        raise ValueError("chaddr longer than 16 bytes")
    header = _HEADER.pack(
        packet.op,
        packet.htype,
        len(packet.chaddr),
        packet.hops,
        packet.xid,
        packet.secs,
        packet.flags,
        _ip_bytes(packet.ciaddr, "ciaddr"),
        _ip_bytes(packet.yiaddr, "yiaddr"),
        _ip_bytes(packet.siaddr, "siaddr"),
        _ip_bytes(packet.giaddr, "giaddr"),
        packet.chaddr.ljust(16, b"\x00"),
        packet.sname.encode("latin-1")[:63].ljust(64, b"\x00"),
        packet.file.encode("latin-1")[:127].ljust(128, b"\x00"),
    )
    data = header + MAGIC_COOKIE + encode_options(packet.options)
    return data.ljust(300, b"\x00")


def decode(data: bytes) -> DhcpPacket:
    """Parse a datagram; raises :class:`DhcpDecodeError` for anything malformed."""
    if len(data) < MIN_PACKET:
        raise DhcpDecodeError("length", f"{len(data)} bytes, a DHCP packet has at least {MIN_PACKET}")
    op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, chaddr, sname, file = _HEADER.unpack_from(data)
    if op not in (BOOTREQUEST, BOOTREPLY):
        raise DhcpDecodeError("op", f"{op} is neither BOOTREQUEST nor BOOTREPLY")
    if hlen > 16:
        raise DhcpDecodeError("hlen", f"{hlen} exceeds the 16-byte chaddr field")
    cookie = data[HEADER_SIZE:MIN_PACKET]
    if cookie != MAGIC_COOKIE:
        raise DhcpDecodeError("magic cookie", f"{cookie.hex()} is not 63825363")
    options = decode_tlvs(data[MIN_PACKET:])
    overload = options.get(OPT_OVERLOAD, b"\x00")[:1]
    if overload and overload[0] & 1:
        options.update({k: options.get(k, b"") + v for k, v in decode_tlvs(file, "file options").items()})
        file = b""
    if overload and overload[0] & 2:
        options.update({k: options.get(k, b"") + v for k, v in decode_tlvs(sname, "sname options").items()})
        sname = b""
    return DhcpPacket(
        op=op,
        htype=htype,
        hops=hops,
        xid=xid,
        secs=secs,
        flags=flags,
        ciaddr=str(ipaddress.IPv4Address(ci)),
        yiaddr=str(ipaddress.IPv4Address(yi)),
        siaddr=str(ipaddress.IPv4Address(si)),
        giaddr=str(ipaddress.IPv4Address(gi)),
        chaddr=chaddr[:hlen],
        sname=_cstring(sname),
        file=_cstring(file),
        options=options,
    )


def mac_bytes(mac: str) -> bytes:
    """``aa:bb:cc:dd:ee:ff`` (or with dashes) -> 6 bytes; ValueError otherwise."""
    parts = mac.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"not a MAC address: {mac!r}")
    return bytes(int(p, 16) for p in parts)


def client_id_option(mac: str) -> bytes:
    """Option 61: hardware type 1 followed by the MAC."""
    return bytes([HTYPE_ETHERNET]) + mac_bytes(mac)


def client_arch_option(arch: int = 0) -> bytes:
    """Option 93: 0 = x86 BIOS, 6/7/9 = EFI (RFC 4578)."""
    return struct.pack("!H", arch)


def client_ndi_option(arch: int = ARCH_X86_BIOS) -> bytes:
    """Option 94: UNDI, version 2.1 (a BIOS PXE ROM) or 3.0 (UEFI's PXE base code, as EDK2 sends it)."""
    return bytes([1, 2, 1]) if arch == ARCH_X86_BIOS else bytes([1, 3, 0])


def pxe_vendor_class(arch: int = ARCH_X86_BIOS) -> str:
    """Option 60 of a PXE client of ``arch``: ``PXEClient:Arch:00000:UNDI:002001`` (BIOS) or
    ``PXEClient:Arch:00007:UNDI:003000`` (x64 UEFI, EDK2's)."""
    return PXE_VENDOR_CLASS if arch == ARCH_X86_BIOS else f"PXEClient:Arch:{arch:05d}:UNDI:003000"


def client_uuid_option(node_uuid: str) -> bytes:
    """Option 97: type 0 followed by the 16 SMBIOS UUID bytes (in the order PXE ROMs send them)."""
    return b"\x00" + uuid.UUID(node_uuid).bytes


def uuid_from_option(value: bytes) -> str | None:
    """The UUID carried in option 97, or None if the option is not 17 bytes of type 0."""
    if len(value) != 17 or value[0] != 0:
        return None
    return str(uuid.UUID(bytes=value[1:]))


def address_option(address: str) -> bytes:
    return _ip_bytes(address, "address option")


def pxe_boot_item_option(item_type: int, layer: int = 0) -> bytes:
    """Option 43 carrying PXE sub-option 71 (boot item), as sent to a PXE boot server on port 4011."""
    return bytes([71, 4]) + struct.pack("!HH", item_type, layer) + bytes([OPT_END])


def first_boot_menu_item(vendor_options: bytes) -> int | None:
    """The type of the first entry of a PXE boot menu (option 43 sub-option 9), or None."""
    try:
        sub = decode_tlvs(vendor_options, "option 43")
    except DhcpDecodeError:
        return None
    menu = sub.get(9)
    if menu is None or len(menu) < 3:
        return None
    return int(struct.unpack("!H", menu[:2])[0])
