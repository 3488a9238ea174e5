"""``vrack power``, ``vrack outlet`` and ``vrack cable``: a node's power, a PDU outlet, a switch port's cable.

With ``--wait`` the command waits (polling the control API) until the device reaches the state the request
leads to; it says so, or what the state is now and what it will be.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from vrack.cli_client import EXIT_OK, CliError, call_api, segment, target_rack

# What each request leads to once it completes (soft: once the OS shuts down; cycle: off, then on again).
POWER_OUTCOME = {"on": True, "off": False, "cycle": True, "reset": True, "soft": False}
OUTLET_OUTCOME = {"on": True, "off": False, "reboot": True}


def _word(on: bool) -> str:
    return "on" if on else "off"


def _wait_until(fetch: Any, wanted: bool, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while fetch() != wanted:
        if time.monotonic() > deadline:
            raise CliError(f"{what} is still {_word(not wanted)} after {timeout:.0f} s")
        time.sleep(0.1)


def cmd_power(args: argparse.Namespace) -> int:
    _, info = target_rack(args)
    path = f"/api/v1/devices/{segment(args.node)}"
    if args.action == "status":
        print(f"{args.node}: host power {_word(call_api(info, 'GET', path).get('power', False))}")
        return EXIT_OK
    now = bool(call_api(info, "POST", f"{path}/power", {"action": args.action}).get("power"))
    final = POWER_OUTCOME[args.action]
    if args.wait and (now != final or args.action == "cycle"):
        if args.action == "cycle" and now:  # the cycle has not begun its off phase yet
            _wait_until(lambda: bool(call_api(info, "GET", path).get("power")), False, args.timeout, args.node)
        _wait_until(lambda: bool(call_api(info, "GET", path).get("power")), final, args.timeout, args.node)
        print(f"{args.node}: power {args.action} done; host power {_word(final)}")
    elif now == final and args.action != "cycle":
        print(f"{args.node}: power {args.action} requested; host power {_word(now)}")
    else:
        later = "once the OS shuts down (ACPI)" if args.action == "soft" else "when it completes"
        print(f"{args.node}: power {args.action} requested; host power {_word(now)} now, {_word(final)} {later}")
    return EXIT_OK


def cmd_outlet(args: argparse.Namespace) -> int:
    _, info = target_rack(args)
    device = call_api(info, "POST", f"/api/v1/pdus/{segment(args.pdu)}/outlets/{args.outlet}", {"action": args.action})

    def state(found: dict[str, Any]) -> bool:
        return bool(next(o for o in found["outlets"] if o["outlet"] == args.outlet)["on"])

    now, final = state(device), OUTLET_OUTCOME[args.action]
    where = f"{args.pdu}/{args.outlet}"
    if args.wait and (now != final or args.action == "reboot"):
        if args.action == "reboot" and now:
            _wait_until(
                lambda: state(call_api(info, "GET", f"/api/v1/devices/{segment(args.pdu)}")), False, args.timeout, where
            )
        _wait_until(
            lambda: state(call_api(info, "GET", f"/api/v1/devices/{segment(args.pdu)}")), final, args.timeout, where
        )
        print(f"{where}: {args.action} done; outlet {_word(final)}")
    elif now == final and args.action != "reboot":
        print(f"{where}: {args.action} requested; outlet {_word(now)}")
    else:
        print(f"{where}: {args.action} requested; outlet {_word(now)} now, {_word(final)} when it completes")
    return EXIT_OK


def cmd_cable(args: argparse.Namespace) -> int:
    _, info = target_rack(args)
    call_api(
        info, "POST", f"/api/v1/switches/{segment(args.switch)}/ports/{args.port}", {"plugged": args.action == "plug"}
    )
    print(f"{args.switch}/{args.port}: cable {'plugged' if args.action == 'plug' else 'unplugged'}")
    return EXIT_OK
