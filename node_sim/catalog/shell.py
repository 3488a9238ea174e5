"""A small ``/bin/sh -c`` for catalog command strings.

Handles what RackHD sends: ``;``, ``&&``, ``||`` lists, ``sudo`` (dropped),
quoted words, ``cd`` and ``echo``.  Programs are looked up in
:data:`node_sim.catalog.programs.PROGRAMS`.  A missing program behaves as on
the microkernel: ``sh: 1: X: not found`` and exit 127, or through ``sudo``
``sudo: X: command not found`` and exit 1.  Pipes and redirections are not
interpreted (such a command line is treated as one unknown program).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from node_sim.catalog.context import CommandResult, NodeContext

Program = Callable[[list[str], NodeContext], CommandResult]
_OPERATORS = re.compile(r"(;|&&|\|\|)")


def split_list(command: str) -> list[tuple[str, str]]:
    """``"a; b || c"`` -> ``[("", "a"), (";", "b"), ("||", "c")]`` (operator before each part)."""
    parts = _OPERATORS.split(command)
    out: list[tuple[str, str]] = [("", parts[0])]
    for i in range(1, len(parts) - 1, 2):
        out.append((parts[i], parts[i + 1]))
    return out


def run_shell(command: str, ctx: NodeContext, programs: dict[str, Program]) -> CommandResult:
    """Run a command line; the result's exit status is that of the last command run."""
    result = CommandResult()
    for operator, part in split_list(command):
        if operator == "&&" and result.exit_code != 0:
            continue
        if operator == "||" and result.exit_code == 0:
            continue
        step = run_simple(part.strip(), ctx, programs)
        result = CommandResult(result.stdout + step.stdout, result.stderr + step.stderr, step.exit_code)
    return result


def run_simple(command: str, ctx: NodeContext, programs: dict[str, Program]) -> CommandResult:
    if not command:
        return CommandResult()
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return CommandResult("", f"sh: 1: Syntax error: {exc}\n", 2)
    via_sudo = False
    while words and words[0] == "sudo":
        via_sudo = True
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    if not words:
        return CommandResult("", "usage: sudo command\n", 1) if via_sudo else CommandResult()
    name, args = words[0], words[1:]
    if name in BUILTINS:
        return BUILTINS[name](args, ctx)
    program = programs.get(name) or programs.get(name.rsplit("/", 1)[-1] if name.startswith("/usr/") else "")
    if program is None and name.startswith("./"):
        program = _script_program(name[2:], ctx, programs)
    if program is None:
        if via_sudo:
            return CommandResult("", f"sudo: {name}: command not found\n", 1)
        return CommandResult("", f"sh: 1: {name}: not found\n", 127)
    return program(args, ctx)


def _script_program(filename: str, ctx: NodeContext, programs: dict[str, Program]) -> Program | None:
    """``./script.sh`` runs a downloaded file (through its interpreter) if it exists."""
    if filename not in ctx.files:
        return None
    interpreter = programs["bash"]
    return lambda args, ctx: interpreter([filename, *args], ctx)


def _echo(args: list[str], ctx: NodeContext) -> CommandResult:
    if args and args[0] == "-n":
        return CommandResult(" ".join(args[1:]))
    return CommandResult(" ".join(args) + "\n")


BUILTINS: dict[str, Program] = {
    "echo": _echo,
    "true": lambda args, ctx: CommandResult(),
    "false": lambda args, ctx: CommandResult(exit_code=1),
    "cd": lambda args, ctx: CommandResult(),
    ":": lambda args, ctx: CommandResult(),
}
