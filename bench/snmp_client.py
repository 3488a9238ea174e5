"""Asyncio SNMPv2c client helpers for the benchmarks: a GETBULK walker and a readiness probe.

Both use :class:`bench.udp.Endpoint` (one UDP socket per target) and the
codec of :mod:`bench.snmp_wire`; a datagram that is malformed or answers
another request is counted as a stray and ignored.  Traffic goes only to the
addresses the caller names (the benchmarks keep them in 127.0.0.0/8).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from bench.rmcpplus_client import ProtocolError
from bench.snmp_wire import (
    REQUEST_ID_MIN,
    MalformedResponse,
    Oid,
    Response,
    VarBind,
    encode_get,
    encode_getbulk,
    parse_response,
)
from bench.udp import Endpoint

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
_request_ids = itertools.count(REQUEST_ID_MIN + 0x100000)


class WalkError(Exception):
    """A walk could not finish: no answer, an error status, or OIDs that do not increase."""


def _answer_to(request_id: int) -> Callable[[bytes], Response]:
    def parse(datagram: bytes) -> Response:
        try:
            response = parse_response(datagram)
        except MalformedResponse as exc:
            raise ProtocolError(str(exc)) from None
        if response.request_id != request_id:
            raise ProtocolError("answer to another request")
        return response

    return parse


async def request(endpoint: Endpoint, datagram: bytes, request_id: int, timeout: float, retries: int) -> Response:
    """Send ``datagram`` (with ``request_id``) up to ``1 + retries`` times; the first answer, or WalkError."""
    for _ in range(retries + 1):
        response = await endpoint.exchange(datagram, _answer_to(request_id), timeout)
        if response is not None:
            return response
    raise WalkError(f"no answer after {retries + 1} tries")


async def walk(
    host: str,
    port: int = 161,
    community: str = "public",
    start: Oid = (1, 0),
    max_repetitions: int = 25,
    timeout: float = 2.0,
    retries: int = 2,
) -> list[VarBind]:
    """Every instance after ``start`` in the agent's view, by GETBULK, in order (no exception values)."""
    endpoint = await Endpoint.connect(host, port)
    found: list[VarBind] = []
    cursor = start
    try:
        while True:
            request_id = next(_request_ids)
            datagram = encode_getbulk(community, cursor, request_id, max_repetitions)
            response = await request(endpoint, datagram, request_id, timeout, retries)
            if response.error_status:
                raise WalkError(f"error-status {response.error_status} after {cursor}")
            if not response.varbinds:
                raise WalkError(f"empty response after {cursor}")
            for vb in response.varbinds:
                if vb.is_exception:
                    return found
                if vb.oid <= cursor:
                    raise WalkError(f"OID {vb.oid} does not increase after {cursor}")
                found.append(vb)
                cursor = vb.oid
    finally:
        endpoint.close()


async def get(
    host: str, oids: list[Oid], port: int = 161, community: str = "public", timeout: float = 2.0, retries: int = 2
) -> Response:
    """One GetRequest for ``oids``; raises WalkError when unanswered."""
    endpoint = await Endpoint.connect(host, port)
    try:
        request_id = next(_request_ids)
        return await request(endpoint, encode_get(community, oids, request_id), request_id, timeout, retries)
    finally:
        endpoint.close()


async def wait_answering(
    hosts: list[str], port: int = 161, community: str = "public", timeout: float = 60.0, interval: float = 0.25
) -> dict[str, float]:
    """Probe every host with GET sysDescr.0 until it answers or ``timeout`` passes.

    Returns ``{host: monotonic time of its first answer}`` for the hosts that
    answered (a missing host never did).
    """
    deadline = time.monotonic() + timeout
    answered: dict[str, float] = {}

    async def probe(host: str) -> None:
        endpoint = await Endpoint.connect(host, port)
        try:
            while time.monotonic() < deadline:
                request_id = next(_request_ids)
                datagram = encode_get(community, [SYS_DESCR], request_id)
                wait = min(interval * 4, max(0.01, deadline - time.monotonic()))
                response = await endpoint.exchange(datagram, _answer_to(request_id), wait)
                if response is not None and not response.error_status:
                    answered[host] = time.monotonic()
                    return
                await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        finally:
            endpoint.close()

    await asyncio.gather(*(probe(host) for host in hosts))
    return answered
