"""``vrack events``: a running rack's journal through its control API (``-f`` follows its Server-Sent
Events stream until the rack stops), a stopped rack's (or another run's, ``--run``) from the files it
kept, saying which run it shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vrack.cli_client import EXIT_FAIL, EXIT_FOR_STATUS, EXIT_NO_RACK, EXIT_OK, CliError, call_api, http_detail, segment
from vrack.statedir import RackDir, rack_dir, running_racks, state_root


def add_events_parser(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("events", cmd_events, "print the event journal (of a stopped rack too)", rack=True)
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new events until the rack stops")
    p.add_argument("--device", help="only this device's events")
    p.add_argument("--protocol", help="only events of this protocol (ipmi, snmp, power, control, ...)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--run", help="read this run of the rack (default: the running or latest one)")
    p.add_argument("--list-runs", action="store_true", help="list the kept runs of the rack")


def cmd_events(args: argparse.Namespace) -> int:
    """A running rack's journal through its API (``-f`` follows its event stream); a stopped rack's, or
    another run's (``--run``), from the files it kept."""
    if args.list_runs:
        return _list_runs(args)
    root = state_root(args.state_dir)
    running = dict(running_racks(root))
    name = args.rack or (next(iter(running)) if len(running) == 1 else None)
    info = running.get(name) if name else None
    if info is not None and args.run in (None, info.get("run")):
        return _follow_events(args, info) if args.follow else _page_events(args, info)
    if args.follow:
        raise CliError(f"rack {name or '?'} is not running; `--follow` needs a running rack")
    return _stored_events(args, root, name)


def _query(args: argparse.Namespace) -> str:
    query = f"&device={segment(args.device)}" if args.device else ""
    return query + (f"&protocol={segment(args.protocol)}" if args.protocol else "")


def _page_events(args: argparse.Namespace, info: dict[str, Any]) -> int:
    after = 0
    while True:
        found = call_api(info, "GET", f"/api/v1/events?after={after}&limit=5000{_query(args)}")
        for event in found["events"]:
            _print_event(args, event)
            after = event["seq"]
        if len(found["events"]) < 5000:
            return EXIT_OK


def _follow_events(args: argparse.Namespace, info: dict[str, Any]) -> int:
    """Follow the Server-Sent Events stream until the rack stops (or Ctrl-C)."""
    url = info["api"] + f"/api/v1/events/stream?after=0{_query(args)}"
    try:
        request = urllib.request.Request(url)
        if info.get("token"):
            request.add_header("authorization", f"Bearer {info['token']}")
        stream = urllib.request.urlopen(request, timeout=60)  # a keep-alive comment comes every 15 s
    except urllib.error.HTTPError as exc:
        raise CliError(http_detail(exc), EXIT_FOR_STATUS.get(exc.code, EXIT_FAIL)) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        raise CliError(f"cannot reach the rack at {info['api']}: {exc}", EXIT_NO_RACK) from None
    event, data = "message", ""
    with stream:
        for raw in stream:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif not line:
                if event == "message" and data:
                    _print_event(args, json.loads(data))
                elif event == "gap":
                    gap = json.loads(data)
                    print(f"vrack: events {gap['from']}..{gap['to']} already left the window", file=sys.stderr)
                elif event == "end":
                    print(f"vrack: rack {info['rack']} stopped (run {info.get('run')})", file=sys.stderr)
                    return EXIT_OK
                event, data = "message", ""
    print(f"vrack: rack {info['rack']} went away (run {info.get('run')})", file=sys.stderr)
    return EXIT_OK


def _stored_events(args: argparse.Namespace, root: Path, name: str | None) -> int:
    from vrack.journalfiles import ReadReport, read_run

    rdir = _stored_rack(root, name)
    runs = rdir.runs.runs()
    run = args.run or (runs[-1] if runs else None)
    if run is None or run not in runs:
        known = ", ".join(runs[-5:]) or "none"
        raise CliError(f"rack {rdir.path.name} has no run {args.run!r} (latest runs: {known}; all: --list-runs)")
    alive = dict(running_racks(root)).get(rdir.path.name)
    state = "running" if alive and alive.get("run") == run else "stopped"
    print(f"vrack: rack {rdir.path.name}, run {run} ({state}; {len(runs)} runs kept)", file=sys.stderr)
    report = ReadReport()
    for event in read_run(rdir.runs.path(run), report):
        if args.device and event.get("device") != args.device:
            continue
        if args.protocol and event.get("protocol") != args.protocol:
            continue
        _print_event(args, event)
    if report.skipped:
        print(f"vrack: skipped {report.skipped} torn line(s) (the rack was killed mid-write)", file=sys.stderr)
    return EXIT_OK


def _stored_rack(root: Path, name: str | None) -> RackDir:
    """The rack whose kept journal to read: ``name``, else the only rack under ``root`` that has runs."""
    if name is not None:
        rdir = rack_dir(root, name)
        if not rdir.runs.runs():
            raise CliError(f"no journal of a rack named {name!r} under {root}")
        return rdir
    kept = [RackDir(p) for p in sorted(root.iterdir()) if RackDir(p).runs.runs()] if root.is_dir() else []
    if not kept:
        raise CliError(f"no running rack and no kept journal under {root}; start one with `vrack up SPEC`")
    if len(kept) > 1:
        names = ", ".join(r.path.name for r in kept)
        raise CliError(f"journals of several racks are kept ({names}); choose one with --rack")
    return kept[0]


def _list_runs(args: argparse.Namespace) -> int:
    root = state_root(args.state_dir)
    rdir = _stored_rack(root, args.rack)
    alive = dict(running_racks(root)).get(rdir.path.name)
    for run in rdir.runs.runs():
        note = "  (running)" if alive and alive.get("run") == run else ""
        size = sum(p.stat().st_size for p in rdir.runs.path(run).iterdir() if p.is_file())
        print(f"{run}  {size:>12,} bytes{note}")
    return EXIT_OK


def _print_event(args: argparse.Namespace, event: dict[str, Any]) -> None:
    print(json.dumps(event) if args.json else _event_line(event), flush=True)


def _event_line(event: dict[str, Any]) -> str:
    skip = {"seq", "time", "elapsed", "device", "protocol", "operation"}
    rest = " ".join(f"{k}={v}" for k, v in event.items() if k not in skip)
    return f"{event['seq']:>6} {event['time']} {event['device']:<14} {event['protocol']:<7} {event['operation']} {rest}"
