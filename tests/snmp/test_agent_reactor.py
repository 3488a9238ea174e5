"""install_asyncio_reactor: idempotent, and a clear error if another reactor got there first.

Each case runs in a fresh interpreter, because a Twisted reactor can be installed once per process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )


def test_install_is_idempotent_and_returns_the_reactor_loop() -> None:
    """Two calls return the same loop, the one the installed AsyncioSelectorReactor runs on."""
    r = run(
        """
        from snmp_agent.reactor import install_asyncio_reactor
        first = install_asyncio_reactor()
        second = install_asyncio_reactor()
        from twisted.internet import reactor
        assert first is second is reactor._asyncioEventloop, (first, second)
        print(type(reactor).__name__)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "AsyncioSelectorReactor"


def test_other_reactor_already_installed_is_an_error() -> None:
    """If the default reactor was imported first, the error says what to do."""
    r = run(
        """
        from twisted.internet import reactor
        from snmp_agent.reactor import ReactorMismatchError, install_asyncio_reactor
        try:
            install_asyncio_reactor()
        except ReactorMismatchError as exc:
            print(exc)
        """
    )
    assert r.returncode == 0, r.stderr
    assert "not the asyncio reactor" in r.stdout and "install_asyncio_reactor()" in r.stdout


def test_agent_serves_on_the_twisted_reactor() -> None:
    """An SnmpAgentService on the real reactor answers a pysnmp client driven from Twisted code."""
    r = run(
        """
        from snmp_agent.reactor import install_asyncio_reactor
        install_asyncio_reactor()
        import asyncio
        from twisted.internet import defer, reactor
        from pysnmp.proto import rfc1902
        from pysnmp.hlapi.v3arch.asyncio import (
            CommunityData, ContextData, ObjectIdentity, ObjectType, SnmpEngine, UdpTransportTarget, get_cmd)
        from snmp_agent import MibTable, SnmpAgent, SnmpAgentService

        table = MibTable()
        table.add("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("on the reactor"))
        service = SnmpAgentService(SnmpAgent(table, address="127.30.1.9", port=0, name="r1", clock=reactor))
        service.startService()
        out = []

        async def query():
            engine = SnmpEngine()
            target = await UdpTransportTarget.create(("127.30.1.9", service.agent.port), timeout=2, retries=0)
            err, status, _, binds = await get_cmd(
                engine, CommunityData("public", mpModel=1), target, ContextData(),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.1.1.0")))
            engine.close_dispatcher()
            return str(binds[0][1])

        @defer.inlineCallbacks
        def main():
            try:
                out.append((yield defer.Deferred.fromFuture(asyncio.ensure_future(query()))))
            finally:
                service.stopService()
                reactor.stop()

        reactor.callWhenRunning(main)
        reactor.callLater(20, reactor.stop)
        reactor.run()
        print(out)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['on the reactor']"
