"""One rack served by several processes (issue 17, ``vrack up --workers K``).

The ``vrack up`` process stays the *coordinator*: it loads the spec, owns the journal, the control API,
``control.json``, the power and cabling model, the PDUs and switches.  K *worker* processes
(:mod:`vrack.split.worker`) each rebuild the same deterministic plan and serve a contiguous part of the
compute nodes (their BMCs over IPMI and Redfish, consoles, simulated hosts).  They talk over one Unix socket
pair each (:mod:`vrack.split.channel`): workers send their journal entries and each node's state after a
change; the coordinator sends AC power and chassis control.  In the coordinator each worker-served node is a
:class:`vrack.split.remote.RemoteNode` that the power model and the control API use like a local node.

Design and what is not split yet: ``docs/scaling.md``.
"""

from vrack.split.partition import partition

__all__ = ["partition"]
