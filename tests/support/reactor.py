"""The reactor pytest-twisted installed, typed as the concrete class it is.

``from twisted.internet import reactor`` gives mypy a module whose interface methods lack ``self``; the
installed reactor is a :class:`PosixReactorBase` (epoll, select or asyncio), checked here at run time.
"""

from __future__ import annotations

from twisted.internet.posixbase import PosixReactorBase


def installed_reactor() -> PosixReactorBase:
    """The global reactor (installing the default one if none is yet)."""
    from twisted.internet import reactor

    assert isinstance(reactor, PosixReactorBase), type(reactor)
    return reactor
