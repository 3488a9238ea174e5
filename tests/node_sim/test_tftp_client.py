"""TFTP client against a fake server on a fake clock: options, lost packets, errors, foreign ports."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer, task

from node_sim import tftp
from node_sim.tftp import TftpClient, TftpError, TftpResult, TftpTimeout

SERVER = "10.231.0.1"
TID = (SERVER, 40000)


class FakeServer:
    """Answers like a TFTP server; ``drop`` lists (kind, block) packets from the client to lose once."""

    def __init__(self, content: bytes, *, options: bool = True, drop: set[tuple[str, int]] | None = None) -> None:
        self.content = content
        self.options = options
        self.drop = drop or set()
        self.blksize = 512
        self.received: list[tuple[int, Any]] = []
        self.client: TftpClient | None = None

    def block(self, number: int) -> bytes:
        start = (number - 1) * self.blksize
        return tftp.encode_data(number, self.content[start : start + self.blksize])

    def send(self, data: bytes, address: tuple[str, int]) -> None:
        assert self.client is not None
        opcode, body = tftp.decode(data)
        self.received.append((opcode, body))
        if opcode == tftp.RRQ:
            if ("rrq", 0) in self.drop:
                self.drop.discard(("rrq", 0))
                return
            _name, mode, options = body
            assert mode == "octet" and address == (SERVER, 69)
            if options and self.options:
                self.blksize = int(options["blksize"])
                answer = {"blksize": options["blksize"], "tsize": str(len(self.content))}
                self.client.datagram_received(tftp.encode_oack(answer), TID)
            else:
                self.client.datagram_received(self.block(1), TID)
        elif opcode == tftp.ACK:
            assert address == TID
            if ("ack", body) in self.drop:
                self.drop.discard(("ack", body))
                return
            if body * self.blksize <= len(self.content):
                self.client.datagram_received(self.block(body + 1), TID)


def run(server: FakeServer, clock: task.Clock | None = None, **kwargs: Any) -> tuple[TftpClient, list[Any]]:
    client = TftpClient(clock or task.Clock(), server.send, SERVER, "monorail.ipxe", **kwargs)
    server.client = client
    results: list[Any] = []
    client.start().addBoth(results.append)
    return client, results


def test_blksize_and_tsize_are_negotiated_and_the_file_arrives_whole() -> None:
    content = bytes(range(256)) * 40  # 10240 bytes: 7 full blocks of 1432 and a short one
    server = FakeServer(content)
    _client, results = run(server)
    result: TftpResult = results[0]
    assert result.data == content and result.blksize == 1432 and result.tsize == len(content)
    rrq = server.received[0][1]
    assert rrq[2] == {"blksize": "1432", "tsize": "0"}
    assert [b for op, b in server.received if op == tftp.ACK] == list(range(0, 9))


def test_exact_multiple_of_blksize_ends_with_an_empty_block() -> None:
    server = FakeServer(b"x" * 1024, options=False)
    _client, results = run(server, blksize=512, tsize=False)
    assert results[0].data == b"x" * 1024 and results[0].tsize is None


def test_server_without_option_support_sends_data_straight_away() -> None:
    server = FakeServer(b"#!ipxe\necho hi\n", options=False)
    _client, results = run(server)
    assert results[0].data == b"#!ipxe\necho hi\n" and results[0].blksize == 512


def test_lost_rrq_and_lost_ack_are_retransmitted_after_the_timeout() -> None:
    clock = task.Clock()
    content = b"k" * 3000
    server = FakeServer(content, drop={("rrq", 0), ("ack", 1)})
    _client, results = run(server, clock, timeout=1.0)
    assert not results
    clock.advance(1.0)  # RRQ again
    assert not results
    clock.advance(1.0)  # ACK 1 again
    assert results[0].data == content and results[0].retransmits == 2


def test_duplicate_data_is_acked_again_not_appended() -> None:
    clock = task.Clock()
    client = TftpClient(clock, lambda d, a: None, SERVER, "f", tsize=False, blksize=512)
    sent: list[bytes] = []
    client.send = lambda d, a: sent.append(d)
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.datagram_received(tftp.encode_data(1, b"a" * 512), TID)
    client.datagram_received(tftp.encode_data(1, b"a" * 512), TID)
    client.datagram_received(tftp.encode_data(2, b"b"), TID)
    assert results[0].data == b"a" * 512 + b"b"
    assert [tftp.decode(p) for p in sent[1:]] == [(tftp.ACK, 1), (tftp.ACK, 1), (tftp.ACK, 2)]


def test_error_packet_fails_with_its_code_and_message() -> None:
    client = TftpClient(task.Clock(), lambda d, a: None, SERVER, "missing.ipxe")
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.datagram_received(tftp.encode_error(1, "file /srv/missing.ipxe not found"), TID)
    assert results[0].check(TftpError) and results[0].value.code == 1
    assert "not found" in str(results[0].value)


def test_option_refusal_retries_without_options() -> None:
    sent: list[tuple[int, Any]] = []
    client = TftpClient(task.Clock(), lambda d, a: sent.append(tftp.decode(d)), SERVER, "f")
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.datagram_received(tftp.encode_error(8, "no options"), TID)
    assert sent[-1] == (tftp.RRQ, ("f", "octet", {}))
    client.datagram_received(tftp.encode_data(1, b"tiny"), (SERVER, 40001))
    assert results[0].data == b"tiny"


def test_packets_from_another_port_get_error_5_and_do_not_disturb_the_transfer() -> None:
    sent: list[tuple[bytes, tuple[str, int]]] = []
    client = TftpClient(task.Clock(), lambda d, a: sent.append((d, a)), SERVER, "f", tsize=False, blksize=512)
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.datagram_received(tftp.encode_data(1, b"a" * 512), TID)
    client.datagram_received(tftp.encode_data(2, b"evil"), (SERVER, 40999))
    client.datagram_received(b"\x00", TID)
    assert tftp.decode(sent[-1][0]) == (tftp.ERROR, (5, "Unknown transfer ID")) and sent[-1][1] == (SERVER, 40999)
    assert client.malformed == 1 and not results
    client.datagram_received(tftp.encode_data(2, b"good"), TID)
    assert results[0].data == b"a" * 512 + b"good"


def test_silence_ends_in_a_timeout_after_the_retries() -> None:
    clock = task.Clock()
    sent: list[bytes] = []
    client = TftpClient(clock, lambda d, a: sent.append(d), SERVER, "f", timeout=1.0, retries=3)
    results: list[Any] = []
    client.start().addBoth(results.append)
    for _ in range(4):
        clock.advance(1.0)
    assert results[0].check(TftpTimeout) and len(sent) == 4


def test_too_large_tsize_is_refused() -> None:
    sent: list[bytes] = []
    client = TftpClient(task.Clock(), lambda d, a: sent.append(d), SERVER, "f", max_size=100)
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.datagram_received(tftp.encode_oack({"blksize": "1432", "tsize": "5000"}), TID)
    assert results[0].check(TftpError) and tftp.decode(sent[-1])[0] == tftp.ERROR


def test_cancel_sends_nothing_more() -> None:
    clock = task.Clock()
    sent: list[bytes] = []
    client = TftpClient(clock, lambda d, a: sent.append(d), SERVER, "f")
    results: list[Any] = []
    client.start().addBoth(results.append)
    client.cancel()
    clock.advance(10)
    client.datagram_received(tftp.encode_data(1, b"x"), TID)
    assert len(sent) == 1 and results[0].check(defer.CancelledError)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x03\x00", b"\x00\x06blksize", b"\x00\x09xx"])
def test_decode_rejects_malformed_packets(data: bytes) -> None:
    with pytest.raises(tftp.TftpDecodeError):
        tftp.decode(data)
