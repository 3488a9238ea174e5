"""The ``vrack`` command line.

``vrack up SPEC`` runs a rack (foreground, or ``--detach``); ``status``,
``down``, ``power``, ``outlet``, ``cable`` and ``events`` talk to a running
rack through its control API; ``validate`` and ``schema`` work offline.  This
is the only module that exits the process or prints errors for the user.

Here: the parser, the spec commands and the rack's lifecycle (up, status, down,
cleanup).  Elsewhere: the control API client (:mod:`vrack.cli_client`), device
control (:mod:`vrack.cli_control`), faults and scenarios (:mod:`vrack.cli_faults`),
credentials and completion (:mod:`vrack.cli_info`), the journal (:mod:`vrack.events_cli`).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

from vrack.cli_client import (
    EXIT_FAIL,
    EXIT_FOR_STATUS,
    EXIT_NO_RACK,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAUTHORIZED,
    EXIT_USAGE,
    CliError,
    call_api,
    http_detail,
    segment,
    target_rack,
)
from vrack.cli_control import cmd_cable, cmd_outlet, cmd_power
from vrack.cli_faults import add_fault_commands
from vrack.cli_info import add_info_commands
from vrack.events_cli import add_events_parser
from vrack.statedir import RackDir, rack_dir, running_racks, state_root

__all__ = [  # the exit codes and CliError are what packages that add subcommands use (vrack.commands)
    "EXIT_FAIL",
    "EXIT_FOR_STATUS",
    "EXIT_NO_RACK",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAUTHORIZED",
    "EXIT_USAGE",
    "CliError",
    "build_parser",
    "call_api",
    "http_detail",
    "main",
    "segment",
    "target_rack",
]

# A rack name, as vrack.spec_model.NAME_PATTERN says (not imported: pydantic is slow to load for a CLI).
RACK_NAME = r"[a-z][a-z0-9-]*"

# --------------------------------------------------------------------------- spec commands


def _load(spec_path: str) -> Any:
    from vrack.plan import build_plan
    from vrack.spec import SpecError, load_spec

    try:
        spec = load_spec(spec_path)
    except FileNotFoundError:
        raise CliError(f"{spec_path}: no such file", EXIT_USAGE) from None
    except SpecError as exc:
        count = len(exc.issues)
        raise CliError(f"{exc}\n{count} error{'s' if count != 1 else ''} in {spec_path}", EXIT_USAGE) from None
    return build_plan(spec)


def cmd_validate(args: argparse.Namespace) -> int:
    plan = _load(args.spec)
    print(
        f"{args.spec}: valid rack {plan.spec.rack!r}: {len(plan.nodes)} nodes, {len(plan.pdus)} PDUs, "
        f"{len(plan.switches)} switches, {len(plan.feeds)} power feeds, {len(plan.cables)} cables"
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from vrack.spec import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_up(args: argparse.Namespace) -> int:
    plan = _load(args.spec)
    root = state_root(args.state_dir)
    rdir = rack_dir(root, plan.spec.rack)
    existing = rdir.read_control()
    if existing and any(name == plan.spec.rack for name, _ in running_racks(root)):
        raise CliError(f"rack {plan.spec.rack!r} is already running (pid {existing['pid']}, {existing['api']})")
    if args.detach:
        return _up_detached(args, rdir)
    from vrack import runner

    settings: dict[str, Any] = {}
    if args.journal_segment_size is not None:
        settings["segment_size"] = args.journal_segment_size
    if args.journal_keep_runs is not None:
        if args.journal_keep_runs < 1:
            raise CliError("--journal-keep-runs must be at least 1", EXIT_USAGE)
        settings["keep_runs"] = args.journal_keep_runs
    if args.workers < 0:
        raise CliError(f"--workers must be 0 (one process) or more, got {args.workers}", EXIT_USAGE)
    if args.workers:
        settings["workers"] = args.workers
    from vrack.logsetup import level_from

    try:
        level = level_from(args.log_level)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not args.progress_interval >= 0:
        raise CliError(f"--progress-interval must be 0 or more seconds, got {args.progress_interval}", EXIT_USAGE)
    try:
        return runner.run(plan, rdir, args.spec, log_level=level, progress_interval=args.progress_interval, **settings)
    except KeyboardInterrupt:
        return EXIT_OK


def _up_detached(args: argparse.Namespace, rdir: RackDir) -> int:
    rdir.path.mkdir(parents=True, exist_ok=True)
    rdir.remove_control()
    command = [sys.executable, "-m", "vrack", "--state-dir", str(rdir.path.parent), "up", args.spec]
    if args.journal_segment_size is not None:
        command += ["--journal-segment-size", str(args.journal_segment_size)]
    if args.journal_keep_runs is not None:
        command += ["--journal-keep-runs", str(args.journal_keep_runs)]
    if args.log_level is not None:
        command += ["--log-level", args.log_level]
    command += ["--progress-interval", str(args.progress_interval)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    with rdir.log_file.open("ab") as log:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        info = rdir.read_control()
        if info and info.get("pid") == child.pid and info.get("status") == "running":
            print(f"rack {rdir.path.name} is up in the background (pid {child.pid}); control API {info['api']}")
            for url in info.get("web", []):
                print(f"web view: {url}")
            print(f"log: {rdir.log_file}; stop with `vrack down`")
            return EXIT_OK
        if child.poll() is not None:
            tail = rdir.log_file.read_text(errors="replace").strip().splitlines()[-20:]
            raise CliError("the rack failed to start:\n" + "\n".join(tail))
        time.sleep(0.05)
    child.terminate()
    raise CliError(f"the rack did not come up within {args.timeout:.0f} s; see {rdir.log_file}")


# --------------------------------------------------------------------------- running-rack commands


def cmd_status(args: argparse.Namespace) -> int:
    name, info = target_rack(args)
    rack = call_api(info, "GET", "/api/v1/rack")
    devices = call_api(info, "GET", "/api/v1/devices")
    if args.json:
        print(json.dumps({"rack": rack, "devices": devices}, indent=2))
        return EXIT_OK
    counts = ", ".join(f"{n} {k}" for k, n in rack["devices"].items())
    print(f"rack {name}: running (pid {info['pid']}), {counts}; control API {info['api']}; rack time {rack['time']}")
    for path in rack.get("web", []):
        print(f"web view: {info['api']}{path}")
    for device in devices:
        print("  " + _device_line(device))
    return EXIT_OK


def _device_line(device: dict[str, Any]) -> str:
    kind = device["kind"]
    if kind == "compute":
        bmc = device["bmc"]
        state = "on" if device["power"] else "off"
        reach = "answering" if bmc["responsive"] else "silent"
        users = ",".join(bmc["users"]) or "none"
        where = f"BMC {bmc['address']}:{bmc['port']} {reach}"
        return f"{device['name']:<16} compute  power {state:<3}  {where}  users {users}"
    if kind == "pdu":
        on = sum(1 for o in device["outlets"] if o["on"])
        where = f"SNMP {device['address']}:{device['port']}"
        return f"{device['name']:<16} pdu      {on}/{len(device['outlets'])} outlets on  {where}"
    if kind == "switch":
        up = sum(1 for p in device["ports"] if p["oper_up"])
        where = f"SNMP {device['address']}:{device['port']}"
        return f"{device['name']:<16} switch   {up}/{len(device['ports'])} ports up  {where}"
    return f"{device['name']:<16} {kind}"


def cmd_down(args: argparse.Namespace) -> int:
    name, info = target_rack(args)
    pid = int(info["pid"])
    try:
        call_api(info, "POST", "/api/v1/shutdown", {}, timeout=10)
    except CliError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print(f"rack {name} stopped")
            return EXIT_OK
        time.sleep(0.05)
    raise CliError(f"rack {name} (pid {pid}) did not stop within {args.timeout:.0f} s")


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Crash recovery: remove rack networks whose vrack process is gone, and stale control files.

    By default only the racks of the state directory (``--rack NAME``: that one); ``--all`` also
    sweeps every stale vrack network on the host, whoever started it.
    """
    from vrack.netns_cleanup import cleanup_stale

    root = state_root(args.state_dir)
    if args.rack is not None:
        if not re.fullmatch(RACK_NAME, args.rack):
            raise CliError(f"--rack {args.rack!r} is not a rack name (lower case letters, digits, '-')", EXIT_USAGE)
        rack_dirs = [root / args.rack]
    else:
        rack_dirs = sorted(child for child in root.iterdir() if child.is_dir()) if root.is_dir() else []
    removed = cleanup_stale(rack_dirs=None if args.all else rack_dirs)
    alive = {name for name, _ in running_racks(root)}
    stale = []
    for child in rack_dirs:
        rdir = RackDir(child)
        if rdir.control_file.exists() and child.name not in alive:
            rdir.remove_control()
            stale.append(child.name)
    for name in removed:
        print(f"removed rack network {name}")
    for name in stale:
        print(f"removed stale control file of rack {name}")
    if not removed and not stale:
        scope = "on this host" if args.all else f"for rack {args.rack}" if args.rack else f"in {root}"
        print(f"nothing to clean up {scope}")
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def _version() -> str:
    try:
        return importlib.metadata.version("vrack")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    number, unit = (text[:-1], text[-1].lower()) if text and text[-1].lower() in units else (text, "")
    try:
        value = int(number) * units.get(unit, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (bytes, or a number with K, M or G)") from None
    if value < 4096:
        raise argparse.ArgumentTypeError(f"{text!r} is too small (at least 4096 bytes)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vrack", description="a deterministic virtual rack for bare-metal testing")
    parser.add_argument("--state-dir", help="state root (default $VRACK_STATE_DIR or ~/.local/state/vrack)")
    parser.add_argument("--version", action="version", version=f"vrack {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Any, help_text: str, rack: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        # global options work after the subcommand too (vrack status --state-dir X)
        p.add_argument("--state-dir", default=argparse.SUPPRESS, help="state root (as before the subcommand)")
        if rack:
            p.add_argument("--rack", help="which running rack (needed when several run)")
        return p

    p = add("up", cmd_up, "start the rack described by SPEC")
    p.add_argument("spec", help="the rack spec (YAML), e.g. rack_specs/small.yaml")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for a detached rack")
    p.add_argument(
        "--progress-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="while a big rack starts, print devices built/bound and the time left to stderr every S s (default 1)",
    )
    p.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="what the rack logs to stderr (vrack.log when detached); default $VRACK_LOG_LEVEL or warning",
    )
    p.add_argument(
        "--journal-segment-size",
        type=_size,
        metavar="SIZE",
        help="rotate the journal's file at this size (bytes, or with K/M/G; default: spec journal.segment_size, 64M)",
    )
    p.add_argument(
        "--journal-keep-runs",
        type=int,
        metavar="N",
        help="keep the journals of the newest N runs (default: spec journal.keep_runs, 5)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="K",
        help="serve the compute nodes from K worker processes (one journal, API and power model here; "
        "loopback racks of simulated nodes; default 0: everything in this process)",
    )
    p = add("validate", cmd_validate, "check SPEC and report every error")
    p.add_argument("spec", help="the rack spec (YAML) to check")
    add("schema", cmd_schema, "print the JSON Schema of rack specs")
    p = add("status", cmd_status, "show the running rack and its devices", rack=True)
    p.add_argument("--json", action="store_true")
    p = add("down", cmd_down, "stop the running rack", rack=True)
    p.add_argument("--timeout", type=float, default=30.0)
    p = add(
        "cleanup",
        cmd_cleanup,
        "remove what crashed racks of the state dir left behind (namespaces, veths, control files)",
        rack=True,
    )
    p.add_argument("--all", action="store_true", help="also every stale vrack network on the host")
    p = add("power", cmd_power, "control a node's power through its BMC", rack=True)
    p.add_argument("node", help="compute node name, e.g. node01")
    p.add_argument("action", choices=["on", "off", "cycle", "reset", "soft", "status"], help="what to do")
    p.add_argument("--wait", action="store_true", help="wait until the host reaches the state it leads to")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most (with --wait)")
    p = add("outlet", cmd_outlet, "switch a PDU outlet", rack=True)
    p.add_argument("pdu", help="PDU name, e.g. pdu1")
    p.add_argument("outlet", type=int, help="outlet number (from 1)")
    p.add_argument("action", choices=["on", "off", "reboot"], help="what to do")
    p.add_argument("--wait", action="store_true", help="wait until the outlet reaches the state it leads to")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most (with --wait)")
    p = add("cable", cmd_cable, "plug or unplug the cable at a switch port", rack=True)
    p.add_argument("switch", help="switch name, e.g. sw1")
    p.add_argument("port", type=int, help="port number (from 1)")
    p.add_argument("action", choices=["plug", "unplug"], help="what to do with the cable")
    add_events_parser(add)
    add_fault_commands(add)
    add_info_commands(add)
    add_plugin_commands(sub)
    return parser


PLUGIN_GROUP = "vrack.commands"


def add_plugin_commands(sub: Any) -> None:
    """Let packages that stand on vrack add subcommands (``vrack ci``, ``vrack test``, ...).

    Each entry point of the group ``vrack.commands`` names a callable ``register(subparsers)`` that adds
    its parsers and sets ``func`` (``func(args) -> int``, raising :class:`CliError` for the user).  vrack
    never imports those packages itself, so the arrow points from them to vrack, never back.
    """
    for entry in sorted(importlib.metadata.entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        entry.load()(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"vrack: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
