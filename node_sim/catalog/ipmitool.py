"""The in-band ``ipmitool`` of the microkernel: options, subcommands, exit status.

Each subcommand sends the IPMI requests ipmitool 1.8.19 sends (through the
node's in-band callable) and prints the replies in ipmitool's format, so the
catalogs RackHD builds from a simulated node match those of real hardware.
Supported: ``lan print``, ``sel [info|list]``, ``mc info``, ``user summary|list|
set name|set password|enable|disable``, ``channel setaccess``, ``fru [print]``,
``chassis power|bootdev|status``, ``raw``.  Out-of-band use (``-H``) is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from node_sim.catalog.console import Console
from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.ipmi_chassis import bootdev, power
from node_sim.catalog.ipmi_client import NO_DEVICE, InbandIpmi, IpmiCommandError
from node_sim.catalog.ipmi_fru import fru_print_all, print_fru
from node_sim.catalog.ipmi_lan import lan_print
from node_sim.catalog.ipmi_mc import mc_info
from node_sim.catalog.ipmi_sel import sel_info, sel_list
from node_sim.catalog.ipmi_user import (
    channel_setaccess,
    user_enable,
    user_list,
    user_set_name,
    user_set_password,
    user_summary,
)

CURRENT_CHANNEL = 0x0E
VALUE_OPTIONS = frozenset({"-I", "-H", "-U", "-P", "-p", "-C", "-L", "-R", "-N", "-y", "-k", "-t", "-b", "-m", "-o"})


@dataclass(frozen=True)
class Options:
    """Global options: ``-c`` (CSV) and the version-dependent ``user list`` behaviour."""

    csv: bool = False
    all_user_slots: bool = True


class UsageError(Exception):
    """Bad command line: message for stderr, exit status 1."""


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError(f"Given value '{text}' is invalid.") from None


def _arg(args: list[str], index: int) -> str:
    if index >= len(args):
        raise UsageError("Not enough parameters given.")
    return args[index]


def run_ipmitool(argv: list[str], ctx: NodeContext) -> CommandResult:
    """Run ``ipmitool`` with ``argv`` (without the program name) against the node's BMC."""
    console = Console()
    csv = False
    interface = "open"
    args: list[str] = []
    i = 0
    while i < len(argv):  # glibc getopt permutes: options may follow the subcommand ("sel list -c")
        arg = argv[i]
        if arg == "--":
            args += argv[i + 1 :]
            break
        if arg == "-c":
            csv = True
        elif arg in ("-v", "-vv", "-vvv"):
            pass
        elif arg in VALUE_OPTIONS and i + 1 < len(argv):
            if arg == "-I":
                interface = argv[i + 1]
            elif arg == "-H":
                interface = "lan"
            i += 1
        else:
            args.append(arg)
        i += 1
    if interface != "open":
        console.error("Unable to establish IPMI v2 / RMCP+ session")
        return console.result(1)
    if ctx.ipmi is None:
        return CommandResult("", NO_DEVICE, 1)
    if not args:
        console.error("No command provided!")
        return console.result(1)
    ipmi = InbandIpmi(ctx.ipmi)
    try:
        code = _dispatch(ipmi, console, args, Options(csv, ctx.ipmitool_version != "1.8.14"))
    except UsageError as exc:
        console.error(str(exc))
        code = 1
    return console.result(code)


def _dispatch(ipmi: InbandIpmi, c: Console, args: list[str], opts: Options) -> int:
    handlers: dict[str, Callable[[InbandIpmi, Console, list[str], Options], int]] = {
        "lan": _lan,
        "sel": _sel,
        "mc": _mc,
        "bmc": _mc,
        "user": _user,
        "channel": _channel,
        "fru": _fru,
        "chassis": _chassis,
        "power": lambda ipmi, c, rest, opts: power(ipmi, c, rest[0] if rest else "status"),
        "raw": _raw,
    }
    handler = handlers.get(args[0])
    if handler is None:
        raise UsageError(f"Invalid command: {args[0]}")
    return handler(ipmi, c, args[1:], opts)


def _lan(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if not rest or rest[0] != "print":
        raise UsageError("usage: lan print [<channel number>]")
    return lan_print(ipmi, c, _int(rest[1]) if len(rest) > 1 else None)


def _sel(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if not rest or rest[0] == "info":
        return sel_info(ipmi, c)
    if rest[0] in ("list", "elist"):
        return sel_list(ipmi, c, opts.csv)
    raise UsageError(f"Invalid SEL command: {rest[0]}")


def _mc(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if rest and rest[0] == "info":
        return mc_info(ipmi, c)
    raise UsageError("usage: mc info")


def _user(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    sub = _arg(rest, 0)
    if sub == "summary":
        return user_summary(ipmi, c, _int(rest[1]) if len(rest) > 1 else CURRENT_CHANNEL)
    if sub == "list":
        channel = _int(rest[1]) if len(rest) > 1 else CURRENT_CHANNEL
        return user_list(ipmi, c, channel, opts.csv, opts.all_user_slots)
    if sub == "set" and _arg(rest, 1) == "name":
        return user_set_name(ipmi, c, _int(_arg(rest, 2)), _arg(rest, 3))
    if sub == "set" and rest[1] == "password":
        size = _int(rest[4]) if len(rest) > 4 else None
        return user_set_password(ipmi, c, _int(_arg(rest, 2)), rest[3] if len(rest) > 3 else "", size)
    if sub in ("enable", "disable"):
        return user_enable(ipmi, c, _int(_arg(rest, 1)), sub == "enable")
    raise UsageError(f"Invalid user command: '{sub}'")


def _channel(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if _arg(rest, 0) != "setaccess":
        raise UsageError(f"Invalid CHANNEL command: {rest[0]}")
    return channel_setaccess(ipmi, c, _int(_arg(rest, 1)), _int(_arg(rest, 2)), rest[3:])


def _fru(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if not rest or (rest[0] in ("print", "list") and len(rest) == 1):
        return fru_print_all(ipmi, c)
    if rest[0] in ("print", "list"):
        return print_fru(ipmi, c, _int(rest[1]))
    raise UsageError(f"Invalid FRU command: {rest[0]}")


def _chassis(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    sub = _arg(rest, 0)
    if sub == "power":
        return power(ipmi, c, _arg(rest, 1))
    if sub == "bootdev":
        return bootdev(ipmi, c, _arg(rest, 1))
    if sub == "status":
        return power(ipmi, c, "status")
    raise UsageError(f"Invalid chassis command: {sub}")


def _raw(ipmi: InbandIpmi, c: Console, rest: list[str], opts: Options) -> int:
    if len(rest) < 2:
        raise UsageError("Not enough parameters given.")
    netfn, cmd = _int(rest[0]), _int(rest[1])
    data = bytes(_int(b) & 0xFF for b in rest[2:])
    try:
        reply = ipmi.request(netfn, cmd, data)
    except IpmiCommandError as exc:
        c.error(
            f"Unable to send RAW command (channel=0x0 netfn=0x{netfn:x} lun=0x0 cmd=0x{cmd:x} "
            f"rsp=0x{exc.code:x}): {exc.text}"
        )
        return 1
    line = ""
    for n, b in enumerate(reply, start=1):
        line += f" {b:02x}"
        if n % 16 == 0:
            c.print(line)
            line = ""
    c.print(line)
    return 0
