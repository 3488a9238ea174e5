"""Application commands (netfn 0x06): device ID, resets, self test, ACPI, GUIDs,
BMC global enables.  Watchdog, channel and user commands have their own modules.
"""

from __future__ import annotations

import struct
import uuid
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.message import RequestContext

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP = 0x06
IPMI_VERSION = 0x02  # IPMI 2.0, BCD with the minor digit in the high nibble
# chassis, event generator, event receiver, FRU inventory, SEL, SDR repository, sensor device
ADDITIONAL_DEVICE_SUPPORT = 0xBF
SELF_TEST_PASSED = bytes([0x55, 0x00])
ACPI_S0 = 0x00
ACPI_S5 = 0x05
ACPI_D0 = 0x00
SEL_LOGGING_ENABLE = 0x08


def guid_bytes(guid: uuid.UUID) -> bytes:
    """A GUID in IPMI byte order: the RFC 4122 bytes reversed (IPMI 2.0 section 20.8).

    ipmitool and freeipmi both decode this back to the UUID dmidecode shows.
    """
    return guid.bytes[::-1]


def device_id(bmc: Bmc) -> bytes:
    """Get Device ID response: 15 bytes, aux firmware included (freeipmi needs 11 or 15)."""
    ident = bmc.config.identity
    aux = ident.aux_firmware[:4].ljust(4, b"\x00")
    return (
        bytes(
            [
                ident.device_id & 0xFF,
                ident.device_revision & 0x0F,  # bit 7 clear: no device SDRs, use the repository
                ident.firmware_major & 0x7F,  # bit 7 clear: normal operation
                ident.firmware_minor & 0xFF,
                IPMI_VERSION,
                ADDITIONAL_DEVICE_SUPPORT,
            ]
        )
        + ident.manufacturer_id.to_bytes(3, "little")
        + struct.pack("<H", ident.product_id & 0xFFFF)
        + aux
    )


@command(netfn=APP, cmd=0x01, name="app.get_device_id", privilege=Privilege.USER, max_len=0)
def get_device_id(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return device_id(bmc)


@command(netfn=APP, cmd=0x02, name="app.cold_reset", privilege=Privilege.ADMINISTRATOR, max_len=0)
def cold_reset(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.mc_reset("cold")
    return b""


@command(netfn=APP, cmd=0x03, name="app.warm_reset", privilege=Privilege.ADMINISTRATOR, max_len=0)
def warm_reset(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.mc_reset("warm")
    return b""


@command(netfn=APP, cmd=0x04, name="app.get_self_test_results", privilege=Privilege.USER, max_len=0)
def get_self_test_results(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return SELF_TEST_PASSED


@command(netfn=APP, cmd=0x06, name="app.set_acpi_power_state", privilege=Privilege.ADMINISTRATOR, min_len=2, max_len=2)
def set_acpi_power_state(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    # The BMC only records what the OS reports; the host's real state wins on read.
    return b""


@command(netfn=APP, cmd=0x07, name="app.get_acpi_power_state", privilege=Privilege.USER, max_len=0)
def get_acpi_power_state(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bytes([ACPI_S0 if bmc.chassis.power_on else ACPI_S5, ACPI_D0])


@command(netfn=APP, cmd=0x08, name="app.get_device_guid", privilege=Privilege.USER, max_len=0)
def get_device_guid(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return guid_bytes(bmc.config.identity.device_guid)


@command(netfn=APP, cmd=0x37, name="app.get_system_guid", privilege=Privilege.CALLBACK, max_len=0)
def get_system_guid(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return guid_bytes(bmc.config.identity.system_guid)


@command(
    netfn=APP,
    cmd=0x2E,
    name="app.set_global_enables",
    privilege=Privilege.ADMINISTRATOR,
    min_len=1,
    max_len=1,
)
def set_global_enables(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.global_enables = data[0]
    bmc.sel.logging_enabled = bool(data[0] & SEL_LOGGING_ENABLE)
    return b""


@command(netfn=APP, cmd=0x2F, name="app.get_global_enables", privilege=Privilege.USER, max_len=0)
def get_global_enables(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bytes([bmc.global_enables])
