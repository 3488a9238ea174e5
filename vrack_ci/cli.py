"""``vrack ci validate|run|dashboard|history``: continuous test cycles against fresh racks.

Registered through the ``vrack.commands`` entry point (vrack's CLI never imports this package).
Exit codes: 0 done (``run``: every cycle of this run passed); 1 a cycle failed; 2 a wrong config or
argument (the message names the line and path); 3 another ``vrack ci run`` holds the history.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import Any

from vrack.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CliError
from vrack_ci.config import ConfigFile, load_config

EXIT_BUSY = 3


def register(sub: Any) -> None:
    """Add ``vrack ci`` and its commands to vrack's subcommands."""
    ci = sub.add_parser("ci", help="continuous test cycles with GitHub PR gates", description=__doc__)
    commands = ci.add_subparsers(dest="ci_command", required=True, metavar="COMMAND")
    p = commands.add_parser("validate", help="check a vrack ci config (every problem with its line)")
    p.add_argument("config", help="the config YAML, e.g. ci/example.yaml")
    p.set_defaults(func=cmd_validate)
    p = commands.add_parser("run", help="run cycles one after another (until Ctrl-C, or --cycles)")
    p.add_argument("config")
    p.add_argument("--cycles", type=int, default=None, help="stop after this many cycles (default: never)")
    p.set_defaults(func=cmd_run)
    p = commands.add_parser("dashboard", help="serve the dashboard page of the history")
    p.add_argument("config")
    p.add_argument("--host", help="listen address (default: dashboard.host of the config)")
    p.add_argument("--port", type=int, help="listen port (default: dashboard.port of the config; 0: any free)")
    p.set_defaults(func=cmd_dashboard)
    p = commands.add_parser("history", help="print the last cycles, or the flaky tests")
    p.add_argument("config")
    p.add_argument("--limit", type=int, default=20, help="how many cycles (default 20)")
    p.add_argument("--flaky", action="store_true", help="list tests that passed and failed on the same inputs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_history)


def _config(path: str) -> ConfigFile:
    from vrack.spec import SpecError

    try:
        return load_config(path)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file (the vrack ci config)", EXIT_USAGE) from None
    except SpecError as exc:
        count = len(exc.issues)
        raise CliError(f"{exc}\n{count} error{'s' if count != 1 else ''} in {path}", EXIT_USAGE) from None


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = _config(args.config)
    c = cfg.config
    gates = [s.name for s in c.suites if s.gate]
    print(
        f"{args.config}: valid vrack ci config {c.name!r}: {len(c.repositories)} repositories, "
        f"{len(c.suites)} suites ({len(gates)} PR gates{': ' + ', '.join(gates) if gates else ''}), "
        f"rack {c.rack.spec}, history {cfg.history_path}"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from vrack_ci.runner import Runner, RunnerBusy

    cfg = _config(args.config)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runner = Runner(cfg, log=lambda line: print(line, flush=True))
        results = runner.run(cycles=args.cycles, stop=stop)
    except RunnerBusy as exc:
        raise CliError(str(exc), EXIT_BUSY) from None
    except KeyboardInterrupt:
        print("vrack ci: stopped (the history keeps every finished cycle)", flush=True)
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK if all(r.state == "passed" for r in results) else EXIT_FAIL


def cmd_dashboard(args: argparse.Namespace) -> int:
    from vrack_ci.dashboard import serve

    cfg = _config(args.config)
    host = args.host or cfg.config.dashboard.host
    port = cfg.config.dashboard.port if args.port is None else args.port
    server = serve(cfg, host, port)
    print(f"vrack ci dashboard on http://{host}:{server.server_address[1]}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from vrack_ci.history import History

    cfg = _config(args.config)
    if not cfg.history_path.exists():
        raise CliError(f"{cfg.history_path}: no history yet (run: vrack ci run {args.config})", EXIT_USAGE)
    history = History(cfg.history_path)
    try:
        rows = history.flaky() if args.flaky else history.cycles(args.limit)
    finally:
        history.close()
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.flaky:
        for r in rows:
            print(
                f"FLAKY {r['suite']} {r['test_id']}: {r['passed']} passed, {r['failed']} failed on inputs "
                f"{r['inputs_key']} (cycles {r['cycles']})"
            )
        print(f"{len(rows)} flaky test{'s' if len(rows) != 1 else ''}")
    else:
        for r in rows:
            took = f"{r['finished'] - r['started']:.1f} s" if r["finished"] else "running"
            print(
                f"{r['id']:>5} {r['state']:<11} {took:>9}  {r['target_repo']} {r['target_ref']} "
                f"{r['target_sha'][:10]}  {r['reason']}"
            )
    return EXIT_OK
