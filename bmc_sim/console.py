"""The host's serial console as the BMC sees it (what Serial over LAN carries).

A BMC does not produce console text; the host behind it does.  Whoever owns
the host (``node_sim`` for simulated nodes, a VM's serial port, a test) gives
the :class:`~bmc_sim.device.Bmc` an object with this shape; the SOL payload
handlers read the host's output from it and send the user's keystrokes to it.
Without one, SOL activation answers "payload type disabled" as a BMC with no
serial port would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

ConsoleSink = Callable[[bytes], None]


class HostConsole(Protocol):
    """A host's serial port: output to any number of watchers, input from the BMC."""

    def subscribe(self, sink: ConsoleSink) -> Callable[[], None]:
        """Call ``sink`` with every chunk of console output from now on; return a function that stops it."""
        ...

    def recent(self) -> bytes:
        """The last few KiB of output (a newly attached SOL session may show them first)."""
        ...

    def send(self, data: bytes) -> None:
        """Keystrokes typed on the console (from SOL or any other attached client)."""
        ...
