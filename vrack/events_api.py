"""Following the journal over HTTP: the long poll (``GET /api/v1/events``) and Server-Sent Events
(``GET /api/v1/events/stream``), both fed by :meth:`vrack.journal.Journal.follow`.

Both cost O(new matching entries) per flushed batch (at most 20 batches a second), nothing for
other devices' entries, and nothing once the client has gone: a waiter or stream is unregistered
in the same reactor turn that Twisted notices the disconnect (``request.notifyFinish()``).

The stream sends, in order: ``event: run`` (``{"run", "last_seq", "first_seq"}``), an
``event: gap`` if entries after ``after`` already left the in-memory window, the backlog after
``after``, then every new matching entry as ``id: <seq>`` / ``data: <JSON entry>``, a comment
every 15 s so a dead client is noticed, and ``event: end`` when the rack stops.
"""

from __future__ import annotations

from typing import Any, Protocol

from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from vrack.journal import Entry, Journal, encode_entry

KEEPALIVE = 15.0
MAX_WAIT = 60

STREAMING = object()  # what a route returns when it writes and finishes the response itself


class StreamedRequest(Protocol):
    """What answering from the journal needs of an HTTP request: twisted.web's ``Request`` (or its test double)."""

    @property
    def finished(self) -> int: ...

    def setHeader(self, name: bytes, value: bytes) -> None: ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...

    def notifyFinish(self) -> Deferred[None]: ...


def _page(journal: Journal, events: list[Entry]) -> dict[str, Any]:
    return {"events": events, "last_seq": journal.last_seq, "run": journal.run_id}


def _all_unflushed(journal: Journal, found: list[Entry]) -> bool:
    pending = journal.unflushed_from
    return pending is not None and found[0]["seq"] >= pending


def long_poll(
    journal: Journal,
    request: StreamedRequest,
    reactor: Any,
    after: int,
    device: str | None,
    protocol: str | None,
    limit: int,
    wait: int,
) -> dict[str, Any] | Deferred[dict[str, Any]]:
    """Entries after ``after`` now, or (with ``wait``) the first matching ones within ``wait`` seconds."""
    found = journal.entries(after, device, limit, protocol)
    if wait <= 0 or (found and not _all_unflushed(journal, found)):
        return _page(journal, found)
    # Entries the next flush hands to followers anyway are answered with that flush: a poller gets at most
    # one answer per flush (not one per entry appended while it was away), at most 50 ms later.
    result: Deferred[dict[str, Any]] = Deferred()
    pending: list[Deferred[list[Entry]]] = []

    def arm() -> None:
        waiter = journal.wait(device, protocol)
        pending[:] = [waiter]
        waiter.addCallbacks(fired, lambda _failure: None)  # a cancelled waiter: nothing to answer

    def fired(entries: list[Entry]) -> None:
        fresh = [e for e in entries if e["seq"] > after][:limit]
        if not fresh and entries:  # only entries the client had already seen: wait on
            arm()
            return
        finish(fresh)

    def finish(entries: list[Entry]) -> None:
        if timer.active():
            timer.cancel()
        if not result.called:
            result.callback(_page(journal, entries))

    def expire() -> None:
        for waiter in pending:
            waiter.cancel()
        if not result.called:
            result.callback(_page(journal, []))

    def client_gone(_failure: Any) -> None:
        for waiter in pending:
            waiter.cancel()
        if timer.active():
            timer.cancel()

    timer = reactor.callLater(min(wait, MAX_WAIT), expire)
    arm()
    request.notifyFinish().addErrback(client_gone)
    return result


class _LastFrames:
    """The SSE frames of the last list of lines framed: followers with the same filter get the same list
    for a batch (:meth:`Journal.follow`), so N such streams frame each batch once.  The list is kept
    referenced, so its identity cannot be reused while it is cached."""

    lines: list[bytes] | None = None
    frames = b""


def _frames(entries: list[Entry], lines: list[bytes]) -> bytes:
    if lines is _LastFrames.lines:
        return _LastFrames.frames
    frames = b"".join(b"id: %d\ndata: %s\n\n" % (e["seq"], line) for e, line in zip(entries, lines, strict=True))
    _LastFrames.lines, _LastFrames.frames = lines, frames
    return frames


def event_stream(
    journal: Journal, request: StreamedRequest, reactor: Any, after: int, device: str | None, protocol: str | None
) -> object:
    """Serve the journal as Server-Sent Events until the client goes or the rack stops."""
    request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
    request.setHeader(b"cache-control", b"no-cache")
    sent = [after]
    head = {"run": journal.run_id, "last_seq": journal.last_seq, "first_seq": journal.first_seq}
    request.write(b"event: run\ndata: %s\n\n" % encode_entry(head))
    if after + 1 < journal.first_seq:
        gap = {"from": after + 1, "to": journal.first_seq - 1}
        request.write(b"event: gap\ndata: %s\n\n" % encode_entry(gap))
    backlog = journal.entries(after, device, None, protocol)
    if backlog:
        request.write(_frames(backlog, [encode_entry(e) for e in backlog]))
        sent[0] = backlog[-1]["seq"]

    def deliver(entries: list[Entry], lines: list[bytes]) -> None:
        if entries[0]["seq"] <= sent[0]:  # already in the backlog
            pairs = [(e, line) for e, line in zip(entries, lines, strict=True) if e["seq"] > sent[0]]
            entries, lines = [e for e, _ in pairs], [line for _, line in pairs]
        if entries:
            sent[0] = entries[-1]["seq"]
            request.write(_frames(entries, lines))

    def ended() -> None:
        stop_keepalive()
        if not request.finished:
            request.write(b"event: end\ndata: {}\n\n")
            request.finish()

    follower = journal.follow(deliver, device=device, protocol=protocol, on_end=ended)
    keepalive = LoopingCall(lambda: request.write(b": keep-alive\n\n"))
    keepalive.clock = reactor
    keepalive.start(KEEPALIVE, now=False)

    def stop_keepalive() -> None:
        if keepalive.running:
            keepalive.stop()

    def client_gone(_result: Any) -> None:
        follower.cancel()
        stop_keepalive()

    request.notifyFinish().addBoth(client_gone)
    return STREAMING
