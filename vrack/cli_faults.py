"""``vrack fault ...`` and ``vrack scenario ...``: faults and scenarios of a running rack, through its API.

``fault inject KIND TARGET [key=value ...]`` takes parameters as ``key=value``
(values are JSON where they parse as JSON: ``ports=[1,2]``, ``delay=2.5``,
else strings), ``fault list``, ``fault kinds``, ``fault clear ID|--all``.
``scenario run FILE [--wait]``, ``scenario list``, ``scenario stop ID`` and
``scenario validate FILE`` (offline).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from vrack.cli_client import EXIT_OK, CliError, call_api, target_rack


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["ports=[1,2]", "sensor=Temp_CPU0"]`` -> ``{"ports": [1, 2], "sensor": "Temp_CPU0"}``."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise CliError(f"parameter {pair!r} is not key=value (e.g. ports=[1,2] or sensor=Temp_CPU0)", 2)
        try:
            params[key] = json.loads(text)
        except ValueError:
            params[key] = text
    return params


def cmd_fault(args: argparse.Namespace) -> int:
    _, info = target_rack(args)
    if args.fault_command == "inject":
        body = {"kind": args.kind, "target": args.target, "params": parse_params(args.params)}
        if args.seed is not None:
            body["seed"] = args.seed
        fault = call_api(info, "POST", "/api/v1/faults", body)
        print(f"fault {fault['id']}: {fault['kind']} on {', '.join(fault['devices'])}")
    elif args.fault_command == "clear":
        if args.id is None and not args.all:
            raise CliError("say which fault to clear: an id from `vrack fault list`, or --all", 2)
        cleared = (
            call_api(info, "DELETE", "/api/v1/faults")["cleared"]
            if args.all
            else [call_api(info, "DELETE", f"/api/v1/faults/{args.id}")]
        )
        for fault in cleared:
            print(f"fault {fault['id']} ({fault['kind']}) cleared on {', '.join(fault['devices'])}")
        if not cleared:
            print("no faults were active")
    else:
        found = call_api(info, "GET", "/api/v1/faults")
        if args.fault_command == "kinds":
            for kind in found["kinds"]:
                params = ", ".join(sorted(kind["params"].get("properties", {}))) or "none"
                print(f"{kind['name']:<14} {kind['role']:<8} {kind['description']} (params: {params})")
        elif args.json:
            print(json.dumps(found["active"], indent=2))
        else:
            for fault in found["active"]:
                print(
                    f"{fault['id']:>4} {fault['kind']:<14} {', '.join(fault['devices'])}  {json.dumps(fault['params'])}"
                )
            if not found["active"]:
                print("no faults are active")
    return EXIT_OK


def cmd_scenario(args: argparse.Namespace) -> int:
    from vrack.located import SpecError
    from vrack.scenario import load_scenario

    if args.scenario_command == "validate":
        try:
            scenario = load_scenario(args.file)
        except FileNotFoundError:
            raise CliError(f"{args.file}: no such file", 2) from None
        except SpecError as exc:
            raise CliError(f"{exc}\n{len(exc.issues)} error(s) in {args.file}", 2) from None
        print(f"{args.file}: valid scenario {scenario.name!r}: {len(scenario.spec.steps)} steps")
        return EXIT_OK
    _, info = target_rack(args)
    if args.scenario_command == "run":
        try:
            text = open(args.file, encoding="utf-8").read()  # noqa: SIM115 - read once, the rack validates it
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{args.file}: cannot read the scenario: {exc}", 2) from None
        run = call_api(info, "POST", "/api/v1/scenarios", {"text": text, "source": args.file})
        print(f"scenario run {run['id']} ({run['scenario']}): {run['steps']} steps started")
        if args.wait:
            run = _wait(info, run["id"], args.timeout)
            print(f"scenario run {run['id']}: {run['state']}, {len(run['failed_steps'])} step(s) failed")
            for failed in run["failed_steps"]:
                print(f"  step {failed['step']}: {failed['error']}")
            return EXIT_OK if run["state"] == "finished" and not run["failed_steps"] else 1
    elif args.scenario_command == "stop":
        run = call_api(info, "DELETE", f"/api/v1/scenarios/{args.id}")
        print(f"scenario run {run['id']}: {run['state']} after {run['done_steps']} of {run['steps']} steps")
    else:
        for run in call_api(info, "GET", "/api/v1/scenarios"):
            print(f"{run['id']:>4} {run['scenario']:<20} {run['state']:<10} {run['done_steps']}/{run['steps']} steps")
    return EXIT_OK


def _wait(info: dict[str, Any], run_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = call_api(info, "GET", f"/api/v1/scenarios/{run_id}")
        if run["state"] != "running":
            return run
        if time.monotonic() > deadline:
            raise CliError(
                f"scenario run {run_id} still running after {timeout:.0f} s ({run['done_steps']} steps done)"
            )
        time.sleep(0.2)


def add_fault_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``fault`` and ``scenario`` with their subcommands (``add`` is cli.build_parser's helper)."""
    p = add("fault", cmd_fault, "inject, list and clear faults of the running rack", rack=True)
    sub = p.add_subparsers(dest="fault_command", required=True, metavar="ACTION")
    q = sub.add_parser("inject", help="inject a fault", description="inject a fault: vrack fault inject KIND TARGET")
    q.add_argument("kind", help="fault kind (see `vrack fault kinds`)")
    q.add_argument("target", help="device name or pattern, e.g. node02 or 'node0*'")
    q.add_argument("params", nargs="*", metavar="KEY=VALUE", help="fault parameters, e.g. ports=[1,2] delay=2.5")
    q.add_argument("--seed", help="seed of the fault's randomness (default: derived from the rack seed)")
    q = sub.add_parser("list", help="active faults")
    q.add_argument("--json", action="store_true", help="as JSON")
    sub.add_parser("kinds", help="the fault kinds on offer, with their parameters")
    q = sub.add_parser("clear", help="clear one fault, or all")
    q.add_argument("id", nargs="?", type=int, help="fault id (from `vrack fault list`)")
    q.add_argument("--all", action="store_true", help="clear every active fault")

    p = add("scenario", cmd_scenario, "run, list, stop or validate scenarios (timelines of faults)", rack=True)
    sub = p.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    q = sub.add_parser("run", help="run a scenario file on the rack")
    q.add_argument("file", help="scenario YAML file")
    q.add_argument("--wait", action="store_true", help="wait until it finishes; exit 1 if a step failed")
    q.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most (with --wait)")
    sub.add_parser("list", help="scenario runs and their progress")
    q = sub.add_parser("stop", help="stop a scenario run and clear its faults")
    q.add_argument("id", type=int, help="run id (from `vrack scenario list`)")
    q = sub.add_parser("validate", help="check a scenario file offline")
    q.add_argument("file", help="scenario YAML file")
