"""What every fault kind is made of: its context, parameters model and undo (shared by the kind modules).

A kind is data: a name, the role of the devices it targets (``any`` for every
device with a management link), a description, a pydantic model of its
parameters and an apply function that makes the fault true on one device and
returns the function that undoes it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from vrack.journal import Journal

if TYPE_CHECKING:
    from vrack.rack import Rack

Undo = Callable[[], None]


@dataclass(frozen=True)
class FaultContext:
    """What an apply function gets: the rack, its reactor and journal, a seeded RNG and the fault's id."""

    rack: Rack
    reactor: Any
    journal: Journal
    rng: random.Random
    fault_id: int

    @property
    def cause(self) -> str:
        return f"fault {self.fault_id}"


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class FaultKind:
    name: str
    role: Literal["compute", "pdu", "switch", "any"]
    description: str
    params: type[NoParams]
    apply: Callable[[FaultContext, str, dict[str, Any]], Undo]
    one_shot: bool = False

    def candidates(self, rack: Rack) -> list[str]:
        """Names of the devices this kind can target, in rack order."""
        if self.role == "any":
            return list(rack.devices)
        if self.role == "compute":
            return list(rack.nodes)
        return list(rack.pdus if self.role == "pdu" else rack.switches)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "description": self.description,
            "one_shot": self.one_shot,
            "params": self.params.model_json_schema(),
        }
