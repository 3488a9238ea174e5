"""SNMPv2-MIB system group (1.3.6.1.2.1.1): identity from the personality, sysUpTime from the clock.

sysContact, sysName and sysLocation are writable DisplayStrings (255 octets);
sysName also feeds lldpLocSysName.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Integer32, ObjectIdentifier, OctetString, TimeTicks

from snmp_agent.source import Value
from switch_sim.mibs.common import display_string, display_string_checker
from switch_sim.mibtree import SharedTree

if TYPE_CHECKING:
    from switch_sim.device import Switch

SYSTEM = "1.3.6.1.2.1.1"


def add_system(tree: SharedTree[Switch], shape: Switch) -> None:
    model = shape.model
    check = display_string_checker(255)

    def set_contact(sw: Switch, value: Value) -> None:
        sw.sys_contact = display_string(value, 255)

    def set_name(sw: Switch, value: Value) -> None:
        sw.sys_name = display_string(value, 255)

    def set_location(sw: Switch, value: Value) -> None:
        sw.sys_location = display_string(value, 255)

    def checker(_sw: Switch, value: Value) -> None:
        check(value)

    tree.scalar(f"{SYSTEM}.1", lambda sw: OctetString(model.sys_descr))
    tree.scalar(f"{SYSTEM}.2", lambda sw: ObjectIdentifier(model.sys_object_id))
    tree.scalar(f"{SYSTEM}.3", lambda sw: TimeTicks(sw.ticks()))
    tree.scalar(f"{SYSTEM}.4", lambda sw: OctetString(sw.sys_contact), setter=set_contact, checker=checker)
    tree.scalar(f"{SYSTEM}.5", lambda sw: OctetString(sw.sys_name), setter=set_name, checker=checker)
    tree.scalar(f"{SYSTEM}.6", lambda sw: OctetString(sw.sys_location), setter=set_location, checker=checker)
    tree.scalar(f"{SYSTEM}.7", lambda sw: Integer32(model.sys_services))
    tree.scalar(f"{SYSTEM}.8", lambda sw: TimeTicks(0))  # sysORLastChange
