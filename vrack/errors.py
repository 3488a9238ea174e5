"""Errors of the composition layer, in the rack's own terms.

Devices, the power model, faults and the rack raise these; they know nothing
of HTTP or exit codes.  The control API maps them to HTTP statuses in one
place (:data:`vrack.api.HTTP_STATUS`) and the CLI maps HTTP statuses to exit
codes in one place, so a new error kind is added here and mapped there.

Every error carries what the user gave (``parameter``) and, where there is a
finite answer, what would have been valid (``valid``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RackError(Exception):
    """Something the rack cannot do as asked; ``parameter`` names the input at fault."""

    def __init__(self, message: str, parameter: str | None = None, valid: Sequence[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.valid = list(valid) if valid is not None else None

    def as_dict(self) -> dict[str, Any]:
        """``{"error", "parameter", "valid"}``: the control API's error body."""
        body: dict[str, Any] = {"error": self.message}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        if self.valid is not None:
            body["valid"] = self.valid
        return body


class InvalidArgument(RackError):
    """A value outside what the operation accepts (an unknown action, an outlet number out of range)."""


class UnknownDevice(RackError):
    """No device has that name."""


class WrongKind(RackError):
    """The device exists but cannot do this (e.g. power control on a switch)."""


class NotFound(RackError):
    """A named part of a device does not exist (a cable at an empty port, a fault id)."""


class DeviceStateConflict(RackError):
    """The device's present state refuses the operation, as the hardware would (no AC power; reset while off)."""


class RequestTooLarge(RackError):
    """A request body beyond the API's limit."""


class Unauthorized(RackError):
    """A request without the token a remotely reachable control API requires."""


class Unavailable(RackError):
    """The rack is starting or stopping and cannot take the request now."""
