"""The one place that decides how asyncio and Twisted share a loop.

pysnmp 7 runs only on asyncio, so the whole process uses Twisted's
``AsyncioSelectorReactor`` on one asyncio event loop.  Call
:func:`install_asyncio_reactor` before anything imports
``twisted.internet.reactor``; calling it again (or after pytest-twisted
installed the asyncio reactor) returns the same loop.
"""

from __future__ import annotations

import asyncio
import sys


class ReactorMismatchError(RuntimeError):
    """A non-asyncio Twisted reactor was installed before we got the chance."""


def _installed_reactor() -> object | None:
    if "twisted.internet.reactor" not in sys.modules:
        return None
    return sys.modules["twisted.internet.reactor"]


def install_asyncio_reactor() -> asyncio.AbstractEventLoop:
    """Install Twisted's asyncio reactor (once) and return its asyncio loop.

    Idempotent.  Raises :class:`ReactorMismatchError` when another reactor
    (for example the default epoll reactor) is already installed, because
    pysnmp could then never run.
    """
    installed = _installed_reactor()
    if installed is not None:
        return _loop_of(installed)
    from twisted.internet import asyncioreactor

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
    if loop.is_closed() or loop.is_running():
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)
    return loop


def reactor_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop of the installed reactor (installing it if needed)."""
    return install_asyncio_reactor()


def _loop_of(reactor: object) -> asyncio.AbstractEventLoop:
    loop = getattr(reactor, "_asyncioEventloop", None)
    if not isinstance(loop, asyncio.AbstractEventLoop):
        raise ReactorMismatchError(
            f"the installed Twisted reactor is {type(reactor).__name__}, not the asyncio reactor; "
            "call snmp_agent.reactor.install_asyncio_reactor() before importing twisted.internet.reactor "
            "(or run pytest with --reactor=asyncio)"
        )
    return loop
