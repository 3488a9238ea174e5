"""N journal followers of a running rack in one asyncio process (the load ``bench.journal_bench`` adds).

Each follower is its own HTTP connection to the control API, as ``vrack events -f``, the test kit and
the web view make them:

* ``stream``: ``GET /api/v1/events/stream?after=S`` (Server-Sent Events), read as they arrive;
* ``poll``: ``GET /api/v1/events?after=S&wait=30`` in a loop (long polling), ``S`` the last seq seen.

Prints ``following`` once every follower is connected (the stream's ``run`` frame, or a first poll
answered), then follows until SIGTERM or SIGINT, then prints one JSON line: followers connected, events
received (all followers together) and errors.

    python -m bench.journal_followers --api http://127.0.0.1:PORT --count 100 --mode stream
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    connected: int = 0
    events: int = 0
    errors: int = 0
    last_seen: list[int] = field(default_factory=list)  # per follower: the newest seq it got


async def _open(host: str, port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise ConnectionError(f"GET {path}: {status.decode(errors='replace').strip()}")
    while (await reader.readline()).strip():  # headers
        pass
    return reader, writer


async def follow_stream(
    host: str, port: int, after: int, device: str, tally: Tally, ready: asyncio.Event, me: int
) -> None:
    """One SSE follower: counts ``data:`` frames of entries (not the ``run`` head)."""
    reader, writer = await _open(host, port, f"/api/v1/events/stream?after={after}{device}")
    try:
        connected = False
        while line := await reader.readline():
            if line.startswith(b"event: run") and not connected:
                connected = True
                tally.connected += 1
                ready.set()
            elif line.startswith(b"id: "):
                tally.events += 1
                tally.last_seen[me] = int(line[4:])
    finally:
        writer.close()


async def _chunked_body(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return body
        body += await reader.readexactly(size)
        await reader.readline()


async def follow_poll(
    host: str, port: int, after: int, device: str, tally: Tally, ready: asyncio.Event, me: int
) -> None:
    """One long-poll follower on a kept-alive connection: asks for what came after the last seq it saw."""
    reader, writer = await asyncio.open_connection(host, port)
    first = True
    try:
        while True:
            path = f"/api/v1/events?after={after}&wait={0 if first else 30}&limit=10000{device}"
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            await writer.drain()
            status = await reader.readline()
            if not status:
                return
            length, chunked = None, False
            while (header := (await reader.readline()).strip()) != b"":
                name, _, value = header.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            body = await _chunked_body(reader) if chunked else await reader.readexactly(length or 0)
            page = json.loads(body)
            if first:
                first = False
                tally.connected += 1
                ready.set()
            tally.events += len(page["events"])
            if page["events"]:
                after = tally.last_seen[me] = page["events"][-1]["seq"]
    finally:
        writer.close()


def _last_seq(api: str) -> int:
    with urllib.request.urlopen(f"{api}/api/v1/events?after=0&limit=1", timeout=10) as answer:
        return int(json.load(answer)["last_seq"])


async def run(api: str, count: int, mode: str, after: int, device: str | None = None) -> Tally:
    parts = urlsplit(api)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = Tally(last_seen=[after] * count)
    query = f"&device={device}" if device else ""
    follower = follow_stream if mode == "stream" else follow_poll
    readies = [asyncio.Event() for _ in range(count)]
    tasks = [
        asyncio.create_task(follower(host, port, after, query, tally, ready, me)) for me, ready in enumerate(readies)
    ]

    def count_error(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            tally.errors += 1

    for task in tasks:
        task.add_done_callback(count_error)
    await asyncio.wait([asyncio.create_task(r.wait()) for r in readies], timeout=60)
    print("following", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    # told to stop: first let every live follower get what the rack journalled until now (bounded)
    last = await asyncio.to_thread(_last_seq, api) if not device else after
    for _ in range(1000):
        if all(seen >= last or task.done() for seen, task in zip(tally.last_seen, tasks, strict=True)):
            break
        await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="N journal followers of a running rack")
    parser.add_argument("--api", required=True, help="the control API's base URL (control.json 'api')")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--mode", choices=("stream", "poll"), default="stream")
    parser.add_argument("--after", type=int, default=0, help="follow from the entry after this seq")
    parser.add_argument("--device", help="follow only this device's entries")
    args = parser.parse_args(argv)
    tally = asyncio.run(run(args.api, args.count, args.mode, args.after, args.device))
    print(json.dumps({"connected": tally.connected, "events": tally.events, "errors": tally.errors}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
