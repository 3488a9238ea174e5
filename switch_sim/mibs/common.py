"""Shared helpers for the MIB builders: SET checkers and value shorthands."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pysnmp.proto.rfc1902 import Integer32, OctetString

from snmp_agent.source import Value, WrongLength, WrongType, WrongValue

TRUE = 1  # TruthValue
FALSE = 2


def display_string(value: Value, max_len: int) -> str:
    """Validate a DisplayString SET value and return it as text."""
    if not isinstance(value, OctetString) or value.tagSet != OctetString.tagSet:
        raise WrongType(f"expected an OCTET STRING, got {type(value).__name__}")
    raw = bytes(value)
    if len(raw) > max_len:
        raise WrongLength(f"at most {max_len} octets, got {len(raw)}")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise WrongValue("a DisplayString must be printable ASCII") from None


def display_string_checker(max_len: int) -> Callable[[Value], None]:
    def check(value: Value) -> None:
        display_string(value, max_len)

    return check


def enum_value(value: Value, allowed: Iterable[int]) -> int:
    """Validate an INTEGER enumeration SET value and return it."""
    if not isinstance(value, Integer32):
        raise WrongType(f"expected an INTEGER, got {type(value).__name__}")
    number = int(value)
    if number not in set(allowed):
        raise WrongValue(f"{number} is not one of {sorted(set(allowed))}")
    return number


def port_list(ports: Iterable[int], count: int) -> bytes:
    """A Q-BRIDGE PortList: one bit per port, port 1 is the most significant bit of octet 1."""
    octets = bytearray((count + 7) // 8)
    for port in ports:
        octets[(port - 1) // 8] |= 0x80 >> ((port - 1) % 8)
    return bytes(octets)
