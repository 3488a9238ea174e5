"""What a node's SEL holds when the rack starts: the spec's ``bmc.sel`` entries and ``bmc.sel_history`` days
of its hardware model's typical entries, merged oldest first.

The history is drawn from the rack seed and the node's name (:func:`vrack.identity.digest`), so the same
spec gives every node the same entries, run after run, while nodes differ from each other.  A quarter of
the SEL's capacity stays free for what happens while the rack runs.
"""

from __future__ import annotations

from bmc_sim.models import load_model
from bmc_sim.sel import SelEvent
from bmc_sim.sel_history import history
from vrack import identity
from vrack.spec_model import BmcSpec


def initial_sel(
    bmc: BmcSpec, model: str, seed: str, node: str, epoch: float, capacity: int
) -> list[tuple[SelEvent, int]]:
    """The (event, timestamp) pairs to seed, oldest first; the spec's own entries are always kept."""
    explicit = [
        (
            SelEvent(e.sensor_type, e.sensor_number, e.offset, e.asserted, e.event_type, e.data2, e.data3),
            int(epoch - e.age),
        )
        for e in bmc.sel
    ]
    room = max(0, capacity * 3 // 4 - len(explicit))
    drawn = history(
        load_model(model).sel_history, bmc.sel_history, identity.digest(seed, node, "sel"), int(epoch), room
    )
    return sorted(drawn + explicit, key=lambda entry: entry[1])
