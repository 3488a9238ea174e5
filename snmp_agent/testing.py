"""Test helpers: agents on a private asyncio loop, driven by real SNMP clients.

:class:`AgentLoop` owns an asyncio event loop that is *not* the Twisted
reactor's, so tests need neither a running reactor nor pytest-twisted.
Agents started through it are served while the loop runs, that is while the
test awaits a client: a net-snmp command line (:meth:`AgentLoop.tool`, an
asyncio subprocess) or the pysnmp hlapi client (:meth:`AgentLoop.run`).
Time for records and device logic comes from a ``twisted.internet.task.Clock``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from twisted.internet.task import Clock

from .agent import SnmpAgent
from .hub import HubPool
from .source import MibSource

T = TypeVar("T")

#: net-snmp must not try to load MIB files (numeric OIDs only, as in RackHD's PDU commands).
TOOL_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MIBS": "", "MIBDIRS": "/nonexistent", "HOME": "/tmp"}


@dataclass(frozen=True)
class ToolResult:
    """Exit status and decoded output of a command line."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]


def snmp_port() -> int:
    """161 when we may bind it (root), else 0 (an ephemeral port)."""
    return 161 if os.geteuid() == 0 else 0


def target(agent: SnmpAgent) -> str:
    """The net-snmp agent argument: ``ip`` on port 161 (as RackHD passes it), else ``ip:port``."""
    return agent.address if agent.port == 161 else f"{agent.address}:{agent.port}"


class AgentLoop:
    """A private asyncio loop with agents on it; close it to stop them all."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clock = Clock()
        self.agents: list[SnmpAgent] = []

    def agent(self, source: MibSource, **kwargs: Any) -> SnmpAgent:
        """Create and start an agent on this loop (``clock`` defaults to :attr:`clock`)."""
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("port", snmp_port())
        agent = SnmpAgent(source, loop=self.loop, **kwargs)
        agent.start()
        self.agents.append(agent)
        return agent

    def run(self, awaitable: Awaitable[T], timeout: float = 30.0) -> T:
        """Run the loop (serving every agent) until ``awaitable`` completes."""

        async def bounded() -> T:
            return await asyncio.wait_for(awaitable, timeout)

        return self.loop.run_until_complete(bounded())

    def tool(self, *args: str, timeout: float = 30.0) -> ToolResult:
        """Run a command line (``snmpget ...``) while the agents serve, and return its result."""
        if shutil.which(args[0], path=TOOL_ENV["PATH"]) is None:
            raise FileNotFoundError(f"{args[0]} is not installed (Debian package 'snmp')")
        return self.run(self._tool(args, timeout), timeout + 5)

    def tools(self, commands: Sequence[Sequence[str]], timeout: float = 60.0) -> list[ToolResult]:
        """Run several command lines concurrently; results in the order given."""

        async def all_of() -> list[ToolResult]:
            return list(await asyncio.gather(*(self._tool(tuple(c), timeout) for c in commands)))

        return self.run(all_of(), timeout + 5)

    async def _tool(self, args: Sequence[str], timeout: float) -> ToolResult:
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=TOOL_ENV
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        return ToolResult(tuple(args), process.returncode or 0, out.decode(), err.decode())

    def close(self) -> None:
        """Stop every agent (releasing its port) and close the loop."""
        for agent in self.agents:
            agent.stop()
        self.agents.clear()
        HubPool.close_loop(self.loop)
        self.loop.run_until_complete(asyncio.sleep(0))
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()
