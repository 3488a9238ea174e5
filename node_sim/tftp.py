"""TFTP read client (RFC 1350 with option extension, blksize and tsize: RFC 2347/2348/2349): device logic.

One :class:`TftpClient` reads one file.  It sends RRQ (octet mode, ``blksize`` and ``tsize`` options)
to ``server:69``, locks onto the port of the first reply (the server's transfer id), accepts an
OACK or plain DATA, ACKs each block, re-ACKs duplicates, and finishes on a short block.  The last
packet is retransmitted when nothing arrives within ``timeout`` seconds, ``retries`` times.  Packets
from another port get ERROR 5 and are otherwise ignored; malformed packets are counted and dropped.
An ERROR packet fails the transfer with :class:`TftpError` (ERROR 8 to an RRQ with options makes the
client retry once without options, as RFC 2347 allows).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer

Address = tuple[str, int]
TFTP_PORT = 69
RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6
DEFAULT_BLKSIZE = 1432
ERROR_NAMES = {
    0: "not defined",
    1: "file not found",
    2: "access violation",
    3: "disk full",
    4: "illegal TFTP operation",
    5: "unknown transfer ID",
    6: "file already exists",
    7: "no such user",
    8: "option negotiation refused",
}


class TftpError(Exception):
    """The transfer failed: ``code`` is the TFTP error code (or -1 for a timeout / local limit)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"TFTP error {code} ({ERROR_NAMES.get(code, 'client')}): {message}")
        self.code = code
        self.message = message


class TftpTimeout(TftpError):
    def __init__(self, message: str) -> None:
        super().__init__(-1, message)


class TftpDecodeError(ValueError):
    """A malformed TFTP packet; ``field`` names what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"TFTP {field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class TftpResult:
    data: bytes
    blksize: int
    tsize: int | None
    server: Address
    retransmits: int


# -- codec ----------------------------------------------------------------------------------------


def encode_rrq(filename: str, options: dict[str, str]) -> bytes:
    parts = [filename.encode(), b"octet"]
    for key, value in options.items():
        parts += [key.encode(), value.encode()]
    return struct.pack("!H", RRQ) + b"".join(p + b"\x00" for p in parts)


def encode_ack(block: int) -> bytes:
    return struct.pack("!HH", ACK, block & 0xFFFF)


def encode_error(code: int, message: str) -> bytes:
    return struct.pack("!HH", ERROR, code) + message.encode() + b"\x00"


def encode_data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", DATA, block & 0xFFFF) + payload


def encode_oack(options: dict[str, str]) -> bytes:
    return struct.pack("!H", OACK) + b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in options.items())


def _strings(data: bytes, field_name: str) -> list[str]:
    if data and not data.endswith(b"\x00"):
        raise TftpDecodeError(field_name, "not NUL-terminated")
    return [p.decode("latin-1") for p in data.split(b"\x00")[:-1]] if data else []


def decode(data: bytes) -> tuple[int, Any]:
    """``(opcode, body)``: DATA -> (block, payload), ACK -> block, ERROR -> (code, message),
    OACK -> {option: value}, RRQ/WRQ -> (filename, mode, {option: value})."""
    if len(data) < 2:
        raise TftpDecodeError("opcode", f"{len(data)} bytes")
    (opcode,) = struct.unpack_from("!H", data)
    if opcode in (DATA, ACK, ERROR) and len(data) < 4:
        raise TftpDecodeError("block", "packet shorter than 4 bytes")
    if opcode == DATA:
        return opcode, (struct.unpack_from("!H", data, 2)[0], data[4:])
    if opcode == ACK:
        return opcode, struct.unpack_from("!H", data, 2)[0]
    if opcode == ERROR:
        message = data[4:].split(b"\x00", 1)[0].decode("latin-1")
        return opcode, (struct.unpack_from("!H", data, 2)[0], message)
    if opcode == OACK:
        items = _strings(data[2:], "OACK options")
        if len(items) % 2:
            raise TftpDecodeError("OACK options", "odd number of strings")
        return opcode, {items[i].lower(): items[i + 1] for i in range(0, len(items), 2)}
    if opcode in (RRQ, WRQ):
        items = _strings(data[2:], "request")
        if len(items) < 2 or len(items) % 2:
            raise TftpDecodeError("request", "needs filename, mode and option pairs")
        options = {items[i].lower(): items[i + 1] for i in range(2, len(items), 2)}
        return opcode, (items[0], items[1].lower(), options)
    raise TftpDecodeError("opcode", f"unknown opcode {opcode}")


# -- client ---------------------------------------------------------------------------------------


class TftpClient:
    """Reads ``filename`` from ``server`` (see the module docstring); :meth:`start` -> Deferred[TftpResult]."""

    def __init__(
        self,
        clock: Any,
        send: Callable[[bytes, Address], None],
        server: str,
        filename: str,
        *,
        port: int = TFTP_PORT,
        blksize: int = DEFAULT_BLKSIZE,
        tsize: bool = True,
        timeout: float = 1.0,
        retries: int = 5,
        max_size: int = 1 << 30,
    ) -> None:
        self.clock = clock
        self.send = send
        self.server = server
        self.port = port
        self.filename = filename
        self.requested_blksize = blksize
        self.want_tsize = tsize
        self.timeout = timeout
        self.retries = retries
        self.max_size = max_size
        self.malformed = 0
        self.retransmits = 0
        self._use_options = blksize != 512 or tsize
        self._blksize = 512
        self._tsize: int | None = None
        self._peer: Address | None = None
        self._expected = 1
        self._chunks: list[bytes] = []
        self._size = 0
        self._last: bytes = b""
        self._tries = 0
        self._timer: Any = None
        self._deferred: defer.Deferred[TftpResult] | None = None

    def start(self) -> defer.Deferred[TftpResult]:
        if self._deferred is not None:
            raise RuntimeError("a TftpClient runs once")
        deferred: defer.Deferred[TftpResult] = defer.Deferred(lambda _d: self.cancel())
        self._deferred = deferred
        self._send_rrq()
        return deferred

    def cancel(self) -> None:
        """Stop at once: no timer, nothing more sent; a pending Deferred fails with CancelledError."""
        self._stop_timer()
        deferred, self._deferred = self._deferred, None
        if deferred is not None and not deferred.called:
            deferred.errback(defer.CancelledError())

    def _send_rrq(self) -> None:
        options: dict[str, str] = {}
        if self._use_options:
            options["blksize"] = str(self.requested_blksize)
            if self.want_tsize:
                options["tsize"] = "0"
        self._peer = None
        self._transmit(encode_rrq(self.filename, options), (self.server, self.port))

    def _transmit(self, packet: bytes, address: Address) -> None:
        self._last = packet
        self._tries = 0
        self.send(packet, address)
        self._arm()

    def _arm(self) -> None:
        self._stop_timer()
        self._timer = self.clock.callLater(self.timeout, self._timed_out)

    def _stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _timed_out(self) -> None:
        self._timer = None
        if self._deferred is None:
            return
        self._tries += 1
        if self._tries > self.retries:
            self._fail(TftpTimeout(f"no reply from {self.server} for {self.filename!r} after {self.retries} retries"))
            return
        self.retransmits += 1
        self.send(self._last, self._peer or (self.server, self.port))
        self._arm()

    def datagram_received(self, data: bytes, source: Address) -> None:
        if self._deferred is None:
            return
        if source[0] != self.server:
            return
        if self._peer is None:
            self._peer = source
        elif source != self._peer:
            self.send(encode_error(5, "Unknown transfer ID"), source)
            return
        try:
            opcode, body = decode(data)
        except TftpDecodeError:
            self.malformed += 1
            return
        if opcode == ERROR:
            code, message = body
            if code == 8 and self._use_options and self._expected == 1 and not self._chunks:
                self._use_options = False
                self._blksize = 512
                self._send_rrq()
                return
            self._fail(TftpError(code, message or ERROR_NAMES.get(code, "")))
        elif opcode == OACK and self._expected == 1 and not self._chunks:
            self._oack(body)
        elif opcode == DATA:
            self._data(*body)
        else:
            self.malformed += 1

    def _oack(self, options: dict[str, str]) -> None:
        try:
            if "blksize" in options:
                value = int(options["blksize"])
                if not 8 <= value <= self.requested_blksize:
                    raise ValueError(value)
                self._blksize = value
            if "tsize" in options:
                self._tsize = int(options["tsize"])
        except ValueError:
            self.send(encode_error(8, "bad option value in OACK"), self._peer or (self.server, self.port))
            self._fail(TftpError(8, f"server acknowledged unusable options {options}"))
            return
        if self._tsize is not None and self._tsize > self.max_size:
            self.send(encode_error(3, "file too large"), self._peer or (self.server, self.port))
            self._fail(TftpError(3, f"{self.filename!r} is {self._tsize} bytes, more than {self.max_size}"))
            return
        self._transmit(encode_ack(0), self._peer or (self.server, self.port))

    def _data(self, block: int, payload: bytes) -> None:
        peer = self._peer or (self.server, self.port)
        expected = self._expected & 0xFFFF
        if block != expected:
            if block == (expected - 1) & 0xFFFF:
                self.send(encode_ack(block), peer)  # our ACK was lost: repeat it
            return
        if len(payload) > self._blksize:
            self.malformed += 1
            return
        self._chunks.append(payload)
        self._size += len(payload)
        if self._size > self.max_size:
            self.send(encode_error(3, "file too large"), peer)
            self._fail(TftpError(3, f"{self.filename!r} exceeds {self.max_size} bytes"))
            return
        self._expected += 1
        if len(payload) < self._blksize:
            self._stop_timer()
            self.send(encode_ack(block), peer)
            self._finish()
        else:
            self._transmit(encode_ack(block), peer)

    def _finish(self) -> None:
        deferred, self._deferred = self._deferred, None
        assert self._peer is not None
        if deferred is not None:
            result = TftpResult(b"".join(self._chunks), self._blksize, self._tsize, self._peer, self.retransmits)
            deferred.callback(result)

    def _fail(self, error: TftpError) -> None:
        self._stop_timer()
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.errback(error)
