"""IPMI request/response values passed between the session layer and the device.

The session layer (:mod:`bmc_sim.session`) decodes a datagram into an
:class:`IpmiRequest` plus a :class:`RequestContext`, asks the device for an
:class:`IpmiResponse`, and reports one :class:`RequestRecord` per handled
request to an observer (``vrack`` turns these into journal entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bmc_sim.config import Privilege


class IpmiRequest(NamedTuple):
    """One IPMI request message, already stripped of session framing.

    :class:`IpmiRequest`, :class:`IpmiResponse` and :class:`RequestRecord` are named tuples, not frozen
    dataclasses: one of each is built per request, and a tuple is built in a quarter of the time.
    """

    netfn: int
    cmd: int
    data: bytes = b""
    lun: int = 0


class IpmiResponse(NamedTuple):
    """A completion code and response data (without the completion code)."""

    completion_code: int
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking: peer address, session and privilege.

    ``privilege`` is the session's current privilege level; sessionless
    requests carry ``Privilege.CALLBACK`` and ``user_id`` 0.  ``in_band`` is
    True for requests arriving over a system interface (KCS), which IPMI treats
    as fully privileged.
    """

    peer: tuple[str, int]
    channel: int = 1
    user_id: int = 0
    user_name: str = ""
    privilege: Privilege = Privilege.CALLBACK
    session_id: int = 0
    in_band: bool = False


class RequestRecord(NamedTuple):
    """What the session layer reports for each request it handled or refused.

    ``outcome`` is ``"ok"`` for a dispatched request (see ``completion_code``)
    or a short reason for a refused one (``"bad-password"``, ``"unknown-user"``,
    ``"bad-integrity"``, ``"replayed"``, ``"session-limit"``, ...).
    Credentials never appear here.
    """

    time: float
    peer: tuple[str, int]
    user_name: str
    netfn: int
    cmd: int
    command: str
    completion_code: int | None
    outcome: str = "ok"
    session_id: int = 0
    interface: str = "lanplus"  # lanplus | lan | sessionless
    detail: str = ""  # what the request asks for in ipmitool's words (bmc_sim.request_detail), if decoded
