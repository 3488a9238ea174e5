"""The sealed RMCP+ fast path (``SessionRequests.sealed``) answers, drops and records exactly as the general route.

Two endpoints with the same deterministic randomness (session IDs, RAKP random numbers, reply IVs) get the same
datagrams; one may take the fast path, the other is forced through the general route.  Every reply, record and
counter must be equal, for well-formed requests and for every kind of damage the fast path checks.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
from collections.abc import Callable

import pytest
from twisted.internet.task import Clock

from bmc_sim import crypto, wire
from bmc_sim.message import RequestRecord
from bmc_sim.session import BmcEndpoint
from bmc_sim.session_requests import SEALED_PREFIX
from tests.bmc_sim.ipmi_testkit import DeviceDouble, make_config
from tests.bmc_sim.ipmi_testkit.client import LanplusClient, lan_request

PEER = ("127.20.78.9", 40000)


class Twin:
    """An endpoint whose randomness is a seeded PRNG; ``general`` forces every datagram through the general route."""

    def __init__(self, general: bool) -> None:
        rng = random.Random(1234)
        self.clock = Clock()
        self.clock.advance(1000.0)
        self.records: list[RequestRecord] = []
        self.endpoint = BmcEndpoint(
            DeviceDouble(make_config()), self.clock, observer=self.records.append, random_bytes=rng.randbytes
        )
        ids = itertools.count(0x1000)
        self.endpoint.sessions._id_source = lambda: next(ids)
        self.sealed_answers = 0  # datagrams the fast path decided itself
        sealed = self.endpoint._sealed

        def counted(data: bytes, peer: tuple[str, int], now: float) -> list[bytes] | None:
            if general:
                return None
            replies = sealed(data, peer, now)
            self.sealed_answers += replies is not None
            return replies

        self.endpoint._sealed = counted


@pytest.fixture
def twins() -> tuple[Twin, Twin]:
    return Twin(general=False), Twin(general=True)


def _both(fast: Twin, general: Twin) -> Callable[[bytes], list[bytes]]:
    def send(datagram: bytes) -> list[bytes]:
        replies = fast.endpoint.datagram_received(datagram, PEER)
        assert general.endpoint.datagram_received(datagram, PEER) == replies
        fast.clock.advance(0.01)
        general.clock.advance(0.01)
        return replies

    return send


def _sealed(client: LanplusClient, message: bytes, *, sequence: int | None = None) -> bytes:
    """An in-session IPMI datagram carrying ``message`` as is (a checksum may be wrong on purpose)."""
    assert client.keys is not None
    suite = client.suite
    if sequence is None:
        client.sequence += 1
        sequence = client.sequence
    payload = crypto.aes_encrypt_payload(client.keys.aes_key, message, os.urandom(16))
    integrity = functools.partial(crypto.integrity_auth_code, suite.integrity, client.keys.k1)
    body = wire.encode_rmcpplus(
        wire.PayloadType.IPMI, client.bmc_session_id, sequence, payload, encrypted=True, integrity=integrity
    )
    return wire.encode_rmcp(wire.RmcpClass.IPMI, body)


def _opened(client: LanplusClient, datagram: bytes) -> wire.LanMessage:
    """The LAN message a reply carries (its session, signature and encryption as LanplusClient.parse checks)."""
    assert client.keys is not None
    packet = wire.decode_rmcpplus(wire.decode_rmcp(datagram)[1])
    assert packet.session_id == client.console_session_id and packet.encrypted and packet.authenticated
    return wire.decode_lan_message(crypto.aes_decrypt_payload(client.keys.aes_key, packet.payload))


def _damaged(datagram: bytes, at: int, value: int) -> bytes:
    return datagram[:at] + bytes([value]) + datagram[at + 1 :]


@pytest.mark.parametrize("suite_id", [3, 17])
def test_the_fast_path_answers_drops_and_records_as_the_general_route(twins: tuple[Twin, Twin], suite_id: int) -> None:
    fast, general = twins
    send = _both(fast, general)
    client = LanplusClient(send, suite_id=suite_id, console_random=bytes(range(16)))
    client.login()
    fast.records.clear()
    general.records.clear()
    # well-formed requests: the device, the session layer's own commands, refusals and decoded details
    assert client.command(0x00, 0x01)[0] == 0
    assert client.command(0x06, 0x01)[0] == 0
    assert client.command(0x06, 0x3D, b"\x00")[0] == 0
    assert client.command(0x00, 0x02, b"\x01")[0] == 0
    assert client.command(0x2E, 0x01)[0] == 0xC1
    normal = client.packet(0x00, 0x01)
    assert normal[:6] == SEALED_PREFIX
    assert len(send(normal)) == 1
    assert send(normal) == []  # replayed
    signed_end = len(normal) - crypto.integrity_code_length(client.suite.integrity)
    damaged = [
        _damaged(normal, len(normal) - 1, normal[-1] ^ 0x01),  # AuthCode
        _damaged(normal, 20, normal[20] ^ 0x01),  # ciphertext
        _damaged(normal, signed_end - 1, 0x06),  # next header
        _damaged(normal, signed_end - 2, 3),  # pad length
        _damaged(normal, 2, 0x00),  # RMCP sequence byte: the general route takes it
        _damaged(normal, 6, normal[6] ^ 0x40),  # session ID
        normal[:-1],
        normal + b"\x00",
        normal[:40],
    ]
    for datagram in damaged:
        assert send(datagram) == []
    resent = client.packet(0x00, 0x01)
    assert send(_damaged(resent, 2, 0x00)) != []  # another RMCP sequence byte: answered all the same
    for target, target_lun, source, source_lun, sequence in [(0x20, 2, 0x83, 1, 17), (0x22, 3, 0x41, 3, 63)]:
        message = wire.LanMessage(target, 0x00, target_lun, source, sequence, source_lun, 0x01)
        (reply,) = send(_sealed(client, wire.encode_lan_message(message)))
        answer = _opened(client, reply)  # addresses and LUNs swapped, netFn | 1, the same rqSeq and command
        assert answer._replace(data=b"") == wire.LanMessage(
            source, 0x01, source_lun, target, sequence, target_lun, 0x01
        )
        assert answer.data[0] == 0
    bad_checksum = bytearray(lan_request(0x00, 0x01, b"", 5))
    bad_checksum[2] ^= 0x01
    assert send(_sealed(client, bytes(bad_checksum))) == []
    assert send(_sealed(client, lan_request(0x01, 0x01, b"", 6))) == []  # a response netFn
    assert send(_sealed(client, b"\x20\x18")) == []  # too short for a LAN message
    assert client.command(0x06, 0x3C, client.bmc_session_id.to_bytes(4, "little"))[0] == 0  # Close Session
    assert send(client.packet(0x00, 0x01)) == []  # the session is gone
    assert fast.records == general.records
    assert fast.endpoint.stats == general.endpoint.stats
    stats = fast.endpoint.stats
    assert (stats.replayed, stats.integrity_failures, stats.malformed, stats.unknown_session) == (2, 2, 8, 2)
    assert fast.sealed_answers == 11 and general.sealed_answers == 0
