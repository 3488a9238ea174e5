"""``vrack credentials`` and ``vrack completion``: what the rack's owner needs to know, and shell completion.

``credentials`` prints every BMC user (live: what RackHD's credential graph
set is shown, not the spec's) and every SNMP community and v3 user, with
their secrets, for the person who runs the rack.  They come from the control
API (which never logs them) and go to standard output only.

``completion bash|zsh`` prints a completion script generated from the
argument parser, so it always matches the installed commands.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from vrack.cli_client import EXIT_OK, call_api, segment, target_rack


def cmd_credentials(args: argparse.Namespace) -> int:
    _, info = target_rack(args)
    path = f"/api/v1/devices/{segment(args.device)}/credentials" if args.device else "/api/v1/credentials"
    found = call_api(info, "GET", path)
    table: dict[str, Any] = {args.device: found} if args.device else found
    if args.json:
        print(json.dumps(table, indent=2))
        return EXIT_OK
    for name, creds in table.items():
        if "bmc" in creds:
            bmc = creds["bmc"]
            for user in bmc["users"]:
                where = f"{bmc['address']}:{bmc['port']}"
                print(f"{name:<16} ipmi  {where:<22} user {user['name']!r} password {user['password']!r} "
                      f"({user['privilege']})")  # fmt: skip
        if "snmp" in creds:
            snmp = creds["snmp"]
            where = f"{snmp['address']}:{snmp['port']}"
            for community in snmp["communities"]:
                print(f"{name:<16} snmp  {where:<22} community {community['name']!r} ({community['access']})")
            for user in snmp["users"]:
                keys = f"auth {user['auth_protocol']} {user['auth_key']!r}, priv {user['priv_protocol']}"
                if user.get("priv_key"):
                    keys += f" {user['priv_key']!r}"
                print(f"{name:<16} snmp  {where:<22} v3 user {user['name']!r} ({keys}; {user['access']})")
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    from vrack.cli import build_parser

    print(completion_script(build_parser(), args.shell))
    return EXIT_OK


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """Top-level options and, per subcommand, its options and sub-subcommands."""
    top = [o for action in parser._actions for o in action.option_strings]
    commands: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words = [o for a in sub._actions for o in a.option_strings]
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        words += list(inner.choices)
                    elif inner.choices and not inner.option_strings:
                        words += [str(c) for c in inner.choices]
                commands[name] = words
    return top, commands


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A completion function for ``shell``: subcommands, then each one's options and fixed choices."""
    top, commands = _words(parser)
    cases = "\n".join(f'        {name}) words="{" ".join(words)}" ;;' for name, words in sorted(commands.items()))
    body = f"""_vrack() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" cmd="" words="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in -*) ;; *) cmd="${{COMP_WORDS[i]}}"; break ;; esac
    done
    case "$cmd" in
        "") words="{" ".join(sorted(commands))} {" ".join(top)}" ;;
{cases}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    case "$cmd" in up|validate|run) COMPREPLY+=($(compgen -f -- "$cur")) ;; esac
}}
complete -F _vrack vrack"""
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body


def add_info_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("credentials", cmd_credentials, "show the rack's BMC users, passwords and SNMP communities", rack=True)
    p.add_argument("device", nargs="?", help="only this device (default: every device)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p = add("completion", cmd_completion, "print a shell completion script (bash or zsh)")
    p.add_argument("shell", choices=["bash", "zsh"], help='the shell: eval "$(vrack completion bash)"')
