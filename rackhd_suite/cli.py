"""``vrack test rackhd``: start the rack, run the suite against RackHD, write JUnit XML and a summary.

Registered through the ``vrack.commands`` entry point (vrack's CLI never imports this package).
Exit codes: 0 every test passed; 1 a test failed; 2 a wrong setting or argument (the message names
it); 3 RackHD (or the configured AMQP / MongoDB) is not reachable, nothing was run.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from rackhd_suite.config import GROUPS, ConfigError, SuiteConfig, load_config
from vrack.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CliError

EXIT_UNREACHABLE = 3
DEFAULT_JUNIT = "rackhd-suite.xml"


def register(sub: Any) -> None:
    """Add ``vrack test`` with its ``rackhd`` target to vrack's subcommands."""
    test = sub.add_parser("test", help="run an integration suite against a manager", description=__doc__)
    test.add_argument("--state-dir", default=argparse.SUPPRESS, help="state root (as before the subcommand)")
    targets = test.add_subparsers(dest="target", required=True, metavar="TARGET")
    p = targets.add_parser(
        "rackhd",
        help="run the RackHD suite against a rack started from SPEC",
        description="Start the rack of SPEC, run the RackHD suite (groups: " + ", ".join(GROUPS) + ") against the "
        "RackHD of --config / RACKHD_URL, write JUnit XML and a summary, stop the rack.",
    )
    p.set_defaults(func=cmd_test_rackhd)
    p.add_argument(
        "spec", nargs="?", help="rack spec (default: [rack] spec of the config), e.g. rack_specs/rackhd-loopback.yaml"
    )
    p.add_argument("--group", action="append", choices=GROUPS, help="run only this group (repeatable)")
    p.add_argument("--config", help="ini file with the suite's settings (default $RACKHD_SUITE_CONFIG)")
    p.add_argument("--junit", default=DEFAULT_JUNIT, help=f"where to write JUnit XML (default {DEFAULT_JUNIT})")
    p.add_argument(
        "--mode", choices=["process", "inprocess"], default="process", help="how vrack.testing runs the rack"
    )
    p.add_argument("--state-dir", default=argparse.SUPPRESS, help="state root (as before the subcommand)")


def _config(args: argparse.Namespace) -> SuiteConfig:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    changes: dict[str, Any] = {}
    if args.group:
        changes["groups"] = tuple(g for g in GROUPS if g in args.group)
    if args.spec:
        if not Path(args.spec).is_file():
            raise CliError(f"{args.spec}: no such file (the rack spec)", EXIT_USAGE)
        changes["rack_spec"] = Path(args.spec)
    config = dataclasses.replace(config, **changes)
    if config.rack_spec is None:
        raise CliError("no rack spec: give SPEC or set [rack] spec (RACKHD_SUITE_SPEC)", EXIT_USAGE)
    return config


def cmd_test_rackhd(args: argparse.Namespace) -> int:
    from rackhd_suite.client import RackHDUnreachable
    from rackhd_suite.db import MongoUnreachable
    from rackhd_suite.events import AmqpUnreachable
    from rackhd_suite.report import Report, write_junit, write_summary
    from rackhd_suite.runner import group_suite, run_suite
    from rackhd_suite.session import connect, provide
    from vrack.spec import SpecError
    from vrack.testing import PortsUnavailable, RackStartError, start_rack

    config = _config(args)
    junit = Path(args.junit)
    print(f"RackHD suite, settings from {config.source}:\n{config.describe()}", flush=True)
    unreachable = (RackHDUnreachable, AmqpUnreachable, MongoUnreachable)
    try:
        connect(config).check_reachable()
    except RackHDUnreachable as exc:
        _write_unreachable(junit, str(exc))
        raise CliError(f"{exc}\nnothing was run; JUnit with this error in {junit}", EXIT_UNREACHABLE) from None
    try:
        rack = start_rack(config.rack_spec, mode=args.mode, ports="standard", state_dir=None)  # type: ignore[arg-type]
    except PortsUnavailable as exc:
        hint = "RackHD never passes a port: run as root (or with CAP_NET_BIND_SERVICE)"
        raise CliError(f"{exc}\n{hint}", EXIT_FAIL) from None
    except (SpecError, RackStartError) as exc:
        code = EXIT_USAGE if isinstance(exc, SpecError) else EXIT_FAIL
        raise CliError(f"the rack did not start: {exc}", code) from None
    report = Report()
    try:
        try:
            session = provide(config, rack)
        except unreachable as exc:
            _write_unreachable(junit, str(exc))
            raise CliError(f"{exc}\nnothing was run; JUnit with this error in {junit}", EXIT_UNREACHABLE) from None
        print(f"rack {rack.name} is up ({len(rack.devices())} devices, control API {rack.api_url})", flush=True)
        report = run_suite(group_suite(config.groups))
        rack.failed = not report.ok
        secrets = _secrets(config, rack)
        write_junit(report, junit, secrets)
        write_summary(report, sys.stdout, secrets, title=f"RackHD suite against {config.rackhd_url}")
        print(f"JUnit XML: {junit}")
        session.close()
    finally:
        rack.stop()
    return EXIT_OK if report.ok else EXIT_FAIL


def _secrets(config: SuiteConfig, rack: Any) -> list[str]:
    found = [config.rackhd_password or ""]
    for url in (config.amqp_url, config.mongo_url):
        if url:
            from urllib.parse import urlparse

            found.append(urlparse(url).password or "")
    for node in rack.nodes():
        found += [u.password for u in node.bmc.users]
    return found


def _write_unreachable(junit: Path, message: str) -> None:
    from rackhd_suite.report import ERROR, Outcome, Report, write_junit

    write_junit(Report([Outcome("rackhd_suite.preflight.Preflight.reach_rackhd", ERROR, 0.0, message)]), junit)
