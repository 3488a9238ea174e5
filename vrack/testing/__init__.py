"""vrack's public test API: start a rack for a test, drive its devices, assert on its journal.

::

    from vrack.testing import start_rack

    with start_rack("rack.yaml", mode="inprocess") as rack:
        mark = rack.journal.mark()
        rack.node("node01").power("on")
        rack.journal.wait_for(device="node01", operation="host-power", since=mark, timeout=10)

See :func:`start_rack`, :class:`RackHandle`, :class:`RackJournal`; the pytest plugin
(:mod:`vrack.testing.pytest_plugin`, registered through the ``pytest11`` entry point) and
:class:`RackTestCase` for unittest, nose2 and pytest.  ``docs``: the README's "Testing with vrack".
"""

from vrack.testing.assertions import JournalTimeout, RackJournal, matches
from vrack.testing.case import RackTestCase
from vrack.testing.handle import (
    BmcCredential,
    BmcHandle,
    NodeHandle,
    OutletHandle,
    PduHandle,
    RackApiError,
    SnmpCommunity,
    SwitchHandle,
)
from vrack.testing.process import RackStartError
from vrack.testing.rack import RackHandle, start_rack
from vrack.testing.specinput import PortsUnavailable, can_bind_privileged

__all__ = [
    "BmcCredential",
    "BmcHandle",
    "JournalTimeout",
    "NodeHandle",
    "OutletHandle",
    "PduHandle",
    "PortsUnavailable",
    "RackApiError",
    "RackHandle",
    "RackJournal",
    "RackStartError",
    "RackTestCase",
    "SnmpCommunity",
    "SwitchHandle",
    "can_bind_privileged",
    "matches",
    "start_rack",
]
