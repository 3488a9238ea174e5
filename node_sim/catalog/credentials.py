"""RackHD's ``set_bmc_credentials.sh``, emulated step by step against the node's BMC.

The rendered template carries the user and password (``ipmitool user set name
$userNumber <user>``, ``ipmitool user set password $userNumber <password>``).
The script's logic is followed literally, with every ``ipmitool`` call going
through the emulated ipmitool: find the first channel whose ``user list``
succeeds; overwrite the user if the name is listed, otherwise pick a free ID
from the listing and ``user summary``'s maximum; then set name, password,
channel access (callin, ipmi, link on, privilege 4) and enable the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.ipmitool import run_ipmitool

_NAME = re.compile(rb"ipmitool user set name \S+ (\S+)")
_PASSWORD = re.compile(rb"ipmitool user set password \S+ (\S+)")


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


def rendered_credentials(script: bytes) -> Credentials | None:
    """User and password a rendered ``set_bmc_credentials.sh`` sets; None when not found."""
    name, password = _NAME.search(script), _PASSWORD.search(script)
    if name is None or password is None:
        return None
    return Credentials(name.group(1).decode(), password.group(1).decode())


class _Run:
    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        self.stdout: list[str] = []
        self.stderr: list[str] = []

    def echo(self, text: str) -> None:
        self.stdout.append(text + "\n")

    def ipmitool(self, *args: str, show: bool = True) -> CommandResult:
        result = run_ipmitool(list(args), self.ctx)
        if show:
            self.stdout.append(result.stdout)
            self.stderr.append(result.stderr)
        return result

    def result(self, code: int) -> CommandResult:
        return CommandResult("".join(self.stdout), "".join(self.stderr), code)


def set_bmc_credentials(ctx: NodeContext, creds: Credentials) -> CommandResult:
    run = _Run(ctx)
    channel = next((ch for ch in range(1, 16) if run.ipmitool("user", "list", str(ch), show=False).ok), None)
    run.echo(f"channel number is {channel if channel is not None else ''}")
    if channel is None:
        run.echo("Channel number was not set correctly, exiting script")
        return run.result(1)
    run.echo(" Getting the user list")
    listing = run.ipmitool("user", "list", str(channel), show=False)
    run.stderr.append(listing.stderr)
    words = listing.stdout.split()
    userlist = listing.stdout.splitlines()
    user_number = len(userlist) - 1 if len(userlist) > 1 else len(userlist)
    for i, word in enumerate(words):
        if word == creds.user:
            run.echo("Username already present, overwriting existing user")
            return _apply(run, channel, words[i - 1], creds)
    run.echo("Creating a new user")
    summary = run.ipmitool("user", "summary", str(channel), show=False)
    run.stderr.append(summary.stderr)
    summary_words = summary.stdout.split()
    max_count = summary_words[3] if len(summary_words) > 3 else ""
    if not max_count.isdigit() or user_number >= int(max_count):
        run.echo("reach max user count")
        return run.result(1)
    new_number = 0
    for i in range(1, len(userlist)):
        fields = userlist[i].split()
        if (fields[0] if fields else "") != str(i):
            new_number = i
            break
    if new_number == 0:
        new_number = user_number + 1
    return _apply(run, channel, str(new_number), creds)


def _apply(run: _Run, channel: int, user_id: str, creds: Credentials) -> CommandResult:
    run.ipmitool("user", "set", "name", user_id, creds.user)
    run.ipmitool("user", "set", "password", user_id, creds.password)
    run.ipmitool("channel", "setaccess", str(channel), user_id, "callin=on", "ipmi=on", "link=on", "privilege=4")
    return run.result(run.ipmitool("user", "enable", user_id).exit_code)
