"""Messages between the coordinator and a worker: length-prefixed JSON (orjson) over a Unix socket pair.

A frame is a 4-byte big-endian length and that many bytes of one JSON object.  Both ends read frames
blocking while a worker starts (:func:`read_message`) and through Twisted afterwards
(:class:`MessageProtocol`).  Message kinds (``"t"``), worker to coordinator: ``ready`` (every node bound,
with each node's state), ``failed`` (bind errors), ``events`` (journal entries as ``[device, protocol,
operation, fields]``, in the order the worker appended them), ``state`` (one node after a change),
``reply`` (the answer to a ``call``).  Coordinator to worker: ``ac``, ``op`` (a fault or record command),
``call`` (a read, a SEL event or a chassis control, answered by ``reply``),
``neighbors`` (what the node's LLDP agent hears now), ``stop``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

import orjson
from twisted.internet.protocol import Protocol

_LENGTH = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a ready message of 50,000 nodes' states fits several times over

Message = dict[str, Any]


class ChannelClosed(Exception):
    """The other end closed the socket (or sent a frame that cannot be a message)."""


def encode(message: Message) -> bytes:
    """One frame carrying ``message``."""
    body = orjson.dumps(message)
    return _LENGTH.pack(len(body)) + body


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    chunks, missing = [], count
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other end closed the channel")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_message(sock: socket.socket) -> Message:
    """The next message, read blocking (the socket's timeout applies); :class:`ChannelClosed` at the end."""
    (length,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    if length > MAX_FRAME:
        raise ChannelClosed(f"a frame of {length} bytes (at most {MAX_FRAME})")
    message = orjson.loads(_read_exactly(sock, length))
    if not isinstance(message, dict):
        raise ChannelClosed("a frame that is not a JSON object")
    return message


class MessageProtocol(Protocol):
    """Frames in, ``on_message(message)`` for each; ``on_closed()`` once the connection is gone."""

    def __init__(self, on_message: Callable[[Message], None], on_closed: Callable[[], None]) -> None:
        self._on_message = on_message
        self._on_closed = on_closed
        self._buffer = bytearray()

    def send(self, message: Message) -> None:
        transport: Any = self.transport
        if transport is not None:
            transport.write(encode(message))

    def dataReceived(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(buffer)
            if length > MAX_FRAME:
                transport: Any = self.transport
                transport.loseConnection()
                return
            end = _LENGTH.size + length
            if len(buffer) < end:
                return
            message = orjson.loads(bytes(buffer[_LENGTH.size : end]))
            del buffer[:end]
            self._on_message(message)

    def connectionLost(self, reason: Any = None) -> None:
        self._on_closed()
