"""The fast path: SNMPv1/v2c community requests answered without the pysnmp engine.

pysnmp spends ~600 us of CPU on one GET, nearly all of it in its message
processing layers and pyasn1.  :class:`FastPath` decodes a v1/v2c request with
:mod:`snmp_agent.ber`, authenticates its community, hands it to the agent's
:class:`~snmp_agent.controller.DeviceController` (the same semantics, errors
and journal records as the engine path) and encodes the response itself.

:meth:`FastPath.answer` returns the response bytes, :data:`DROP` (no answer:
an unknown community, a disabled version, a response that cannot be sent),
or :data:`PYSNMP` for anything it does not handle (v3, malformed or unusual
encodings), which the agent then feeds to pysnmp exactly as before.

The answers are those the engine path gives, down to the byte: for SNMPv1 the
RFC 2576 section 4 translation pysnmp applies (exceptions and Counter64 in a
GET become noSuchName, v2 error statuses map to v1 ones, an error echoes the
request's varbinds; a Counter64 in a GETNEXT/SET response drops the message).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from twisted.logger import Logger

from . import ber
from .config import CommunityConfig, Version
from .controller import DeviceController, Outcome, Principal, VarBind
from .errors import ERROR_STATUS_CODES, v1_error_status

_log = Logger()

#: pysnmp drops responses larger than its engine's maximum message size (no tooBig); so do we.
MAX_MESSAGE_SIZE = 65507


class Verdict(enum.Enum):
    """What to do with a datagram the fast path does not answer."""

    DROP = "drop"
    PYSNMP = "pysnmp"


DROP = Verdict.DROP
PYSNMP = Verdict.PYSNMP

_VERSION_NAMES: dict[int, Version] = {ber.V1: "v1", ber.V2C: "v2c"}
_V1_EXCEPTION_TAGS = frozenset({ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW})


class FastPath:
    """Answers one agent's v1/v2c requests (see module docstring)."""

    def __init__(
        self,
        controller: DeviceController,
        communities: Iterable[CommunityConfig],
        versions: Iterable[str],
        name: str = "",
    ) -> None:
        self.controller = controller
        self.name = name or controller.name
        enabled = frozenset(versions)
        # one Principal per (community, version), built once
        self._principals: dict[tuple[bytes, int], Principal] = {
            (c.name.encode(), number): Principal(c.name, c.access, version)
            for c in communities
            for number, version in _VERSION_NAMES.items()
            if version in enabled
        }
        self.answered = 0

    def answer(self, datagram: bytes, peer: tuple[str, int]) -> bytes | Verdict:
        """The response to ``datagram`` from ``peer``, :data:`DROP` or :data:`PYSNMP`.  Never raises."""
        try:
            request = ber.decode_request(datagram, self._principals)
        except ber.UnknownCommunity:
            return DROP  # unknown community or disabled version: no answer, as pysnmp does
        except ber.BerError:
            return PYSNMP
        except Exception:  # a codec bug must not cost the datagram: pysnmp still gets it
            _log.failure("{device}: fast-path decoder failed", device=self.name)
            return PYSNMP
        principal = self._principals[(request.community, request.version)]
        try:
            response = self._respond(request, principal, f"{peer[0]}:{peer[1]}")
        except Exception:
            _log.failure("{device}: fast-path response failed", device=self.name)
            return DROP
        if response is None or len(response) > MAX_MESSAGE_SIZE:
            return DROP
        self.answered += 1
        return response

    def _respond(self, request: ber.Request, principal: Principal, peer: str) -> bytes | None:
        outcome = self._dispatch(request, principal, peer)
        if request.version == ber.V1:
            return _v1_response(request, outcome)
        varbinds = outcome.varbinds
        return ber.encode_response(
            request.version,
            request.community,
            request.request_id,
            ERROR_STATUS_CODES.get(outcome.error_status, 5),
            outcome.error_index,
            varbinds,
        )

    def _dispatch(self, request: ber.Request, principal: Principal, peer: str) -> Outcome:
        controller = self.controller
        varbinds = request.varbinds
        pdu_type = request.pdu_type
        try:
            if pdu_type == ber.GET:
                return controller.get(varbinds, principal, peer)
            if pdu_type == ber.GETNEXT:
                return controller.get_next(varbinds, principal, peer)
            if pdu_type == ber.GETBULK:
                return controller.get_bulk(varbinds, request.non_repeaters, request.max_repetitions, principal, peer)
            return controller.set(varbinds, principal, peer)
        except Exception:
            _log.failure("{device}: request failed", device=self.name)
            return Outcome(list(varbinds), "genErr", 1 if varbinds else 0)


def _v1_response(request: ber.Request, outcome: Outcome) -> bytes | None:
    """The SNMPv1 response pysnmp's RFC 2576 translation gives, or None when it drops the message."""
    status = 0
    index = 0
    varbinds: list[VarBind] = outcome.varbinds
    for position in range(len(varbinds) - 1, -1, -1):
        tag = ber.value_tag(varbinds[position][1])
        if tag == ber.COUNTER64:
            if request.pdu_type != ber.GET:
                return None
            status, index = 2, position + 1
            break
        if tag in _V1_EXCEPTION_TAGS:
            status, index = 2, position + 1
    v2_status = ERROR_STATUS_CODES.get(outcome.error_status, 5)
    if v2_status:
        status, index = v1_error_status(v2_status), outcome.error_index
    if status:
        varbinds = request.varbinds
    return ber.encode_response(ber.V1, request.community, request.request_id, status, index, varbinds)
