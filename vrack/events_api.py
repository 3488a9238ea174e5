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

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.web.http import Request

from vrack.journal import Entry, Journal, encode_entry

KEEPALIVE = 15.0
MAX_WAIT = 60

STREAMING = object()  # what a route returns when it writes and finishes the response itself


def _page(journal: Journal, events: list[Entry]) -> dict[str, Any]:
    return {"events": events, "last_seq": journal.last_seq, "run": journal.run_id}


def long_poll(
    journal: Journal,
    request: Request,
    reactor: Any,
    after: int,
    device: str | None,
    protocol: str | None,
    limit: int,
    wait: int,
) -> dict[str, Any] | Deferred[dict[str, Any]]:
    """Entries after ``after`` now, or (with ``wait``) the first matching ones within ``wait`` seconds."""
    found = journal.entries(after, device, limit, protocol)
    if found or wait <= 0:
        return _page(journal, found)
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


def _frames(entries: list[Entry], lines: list[bytes]) -> bytes:
    return b"".join(b"id: %d\ndata: %s\n\n" % (e["seq"], line) for e, line in zip(entries, lines, strict=True))


def event_stream(
    journal: Journal, request: Request, reactor: Any, after: int, device: str | None, protocol: str | None
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
