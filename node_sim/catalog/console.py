"""Collects what an emulated tool prints, then becomes a :class:`CommandResult`."""

from __future__ import annotations

from node_sim.catalog.context import CommandResult


class Console:
    """stdout and stderr of one emulated command, in write order."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._err: list[str] = []

    def print(self, text: str = "") -> None:
        """One stdout line (``printf("...\\n")``)."""
        self._out.append(text + "\n")

    def write(self, text: str) -> None:
        """stdout without a newline."""
        self._out.append(text)

    def error(self, text: str) -> None:
        """One stderr line."""
        self._err.append(text + "\n")

    def result(self, exit_code: int = 0) -> CommandResult:
        return CommandResult("".join(self._out), "".join(self._err), exit_code)
