"""In-band IPMI as the emulated ``ipmitool`` uses it: typed requests, completion-code errors.

:class:`InbandIpmi` wraps the node's ``ipmi(netfn, cmd, data)`` callable;
a non-zero completion code raises :class:`IpmiCommandError`, whose text is
ipmitool's wording for that code.  :func:`bmc_ipmi` is the callable the rack
(and the tests) build for a :class:`bmc_sim.device.Bmc`: requests arrive on
the system interface (KCS), which IPMI treats as fully privileged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node_sim.catalog.context import IpmiCall

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP, CHASSIS, STORAGE, TRANSPORT = 0x06, 0x00, 0x0A, 0x0C
SYSTEM_INTERFACE = 0x0F

COMPLETION_CODES = {
    0x00: "Command completed normally",
    0xC0: "Node busy",
    0xC1: "Invalid command",
    0xC2: "Invalid command on LUN",
    0xC3: "Timeout",
    0xC4: "Out of space",
    0xC5: "Reservation cancelled or invalid",
    0xC6: "Request data truncated",
    0xC7: "Request data length invalid",
    0xC8: "Request data field length limit exceeded",
    0xC9: "Parameter out of range",
    0xCA: "Cannot return number of requested data bytes",
    0xCB: "Requested sensor, data, or record not found",
    0xCC: "Invalid data field in request",
    0xCD: "Command illegal for specified sensor or record type",
    0xCE: "Command response could not be provided",
    0xCF: "Cannot execute duplicated request",
    0xD0: "SDR Repository in update mode",
    0xD1: "Device firmeware in update mode",
    0xD2: "BMC initialization in progress",
    0xD3: "Destination unavailable",
    0xD4: "Insufficient privilege level",
    0xD5: "Command not supported in present state",
    0xD6: "Cannot execute command, command disabled",
    0xFF: "Unspecified error",
}
NO_DEVICE = "Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory\n"


def completion_text(code: int) -> str:
    """ipmitool's description of completion code ``code``."""
    return COMPLETION_CODES.get(code, f"Unknown (0x{code:02X})")


class IpmiCommandError(Exception):
    """A request answered with a non-zero completion code."""

    def __init__(self, code: int) -> None:
        super().__init__(completion_text(code))
        self.code = code

    @property
    def text(self) -> str:
        return completion_text(self.code)


class InbandIpmi:
    """Synchronous in-band requests to the node's BMC."""

    def __init__(self, call: IpmiCall) -> None:
        self._call = call
        self.requests = 0

    def raw(self, netfn: int, cmd: int, data: bytes = b"") -> tuple[int, bytes]:
        """Completion code and data, whatever the code."""
        self.requests += 1
        return self._call(netfn, cmd, bytes(data))

    def request(self, netfn: int, cmd: int, data: bytes = b"") -> bytes:
        """Response data; raises :class:`IpmiCommandError` for a non-zero completion code."""
        code, payload = self.raw(netfn, cmd, data)
        if code != 0:
            raise IpmiCommandError(code)
        return payload


def bmc_ipmi(bmc: Bmc) -> IpmiCall:
    """The in-band callable for ``bmc``: every request through :meth:`Bmc.handle` as KCS."""
    from bmc_sim.config import Privilege
    from bmc_sim.message import IpmiRequest, RequestContext

    context = RequestContext(peer=("kcs", 0), channel=SYSTEM_INTERFACE, privilege=Privilege.ADMINISTRATOR, in_band=True)

    def call(netfn: int, cmd: int, data: bytes) -> tuple[int, bytes]:
        response = bmc.handle(IpmiRequest(netfn, cmd, data), context)
        return response.completion_code, response.data

    return call
