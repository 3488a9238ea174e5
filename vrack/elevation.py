"""Where each device hangs in the rack: cabinet, rack unit (U) and height, from the spec.

A device entry may say ``u`` (its lowest rack unit, counted from 1 at the bottom as on a real cabinet's
rails) and ``height`` (rack units; 0 = a zero-U device mounted at the cabinet's side, as vertical PDUs
are).  Without ``height`` a device takes :data:`DEFAULT_HEIGHT` of its kind; with ``count > 1`` the
devices of an entry stack upwards from ``u``.  Devices without ``u`` are placed from the top down
(switches first, as top-of-rack switches hang, then nodes, in spec order) into the free units, and into
further cabinets of ``units`` each when one is full, so a 1,000-node rack draws as a row of cabinets.
A zero-U device goes to the side of the first cabinet holding a node it feeds (else cabinet 1).

:func:`check_elevation` reports explicit positions that overlap or do not fit, naming the spec entry;
:func:`place` gives every device's :class:`Placement` for a spec that passed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrack.spec_model import ComputeSpec, PduSpec, RackSpec, SwitchSpec
from vrack.yamlsource import PathKey

DEFAULT_HEIGHT = {"compute": 1, "switch": 1, "pdu": 0}
AUTO_ORDER = {"switch": 0, "compute": 1, "pdu": 2}

AnyDevice = ComputeSpec | PduSpec | SwitchSpec


@dataclass(frozen=True)
class Placement:
    """A device's place: ``cabinet`` from 1, ``u`` its lowest unit (0 for zero-U side mounts), ``height``."""

    name: str
    kind: str
    cabinet: int
    u: int
    height: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "cabinet": self.cabinet, "u": self.u, "height": self.height}


def height_of(device: AnyDevice) -> int:
    return device.height if device.height is not None else DEFAULT_HEIGHT[device.kind]


def check_elevation(spec: RackSpec) -> list[tuple[PathKey, str]]:
    """Explicit positions that leave the cabinet or overlap another device, as ``(path, message)``."""
    issues: list[tuple[PathKey, str]] = []
    taken: dict[int, str] = {}
    for index, device in enumerate(spec.devices):
        height = height_of(device)
        if device.u is None or height == 0:
            continue
        names = device.expanded_names()
        top = device.u + len(names) * height - 1
        if top > spec.units:
            what = f"{len(names)} devices of {height}U" if len(names) > 1 else f"a {height}U device"
            issues.append(
                (
                    ("devices", index, "u"),
                    f"{what} from U{device.u} reach U{top}, but a cabinet has {spec.units} units "
                    "(set units, or leave u out to place devices across cabinets)",
                )
            )
            continue
        for i, name in enumerate(names):
            for unit in range(device.u + i * height, device.u + (i + 1) * height):
                if unit in taken:
                    issues.append((("devices", index, "u"), f"{name} at U{unit} overlaps {taken[unit]}"))
                    break
                taken[unit] = name
    return issues


def place(spec: RackSpec) -> list[Placement]:
    """Every device's placement, in spec order."""
    units = spec.units
    used: dict[int, set[int]] = {1: set()}
    placed: dict[str, Placement] = {}
    auto: list[tuple[int, int, str, AnyDevice]] = []
    side: list[tuple[str, AnyDevice]] = []
    for index, device in enumerate(spec.devices):
        height = height_of(device)
        for i, name in enumerate(device.expanded_names()):
            if height == 0:
                side.append((name, device))
            elif device.u is not None:
                low = device.u + i * height
                placed[name] = Placement(name, device.kind, 1, low, height)
                used[1].update(range(low, low + height))
            else:
                auto.append((AUTO_ORDER[device.kind], index, name, device))
    cabinet, top = 1, units
    for _, _, name, device in sorted(auto, key=lambda item: (item[0], item[1])):
        height = height_of(device)
        while True:
            taken = used.setdefault(cabinet, set())
            low = top - height + 1
            while low >= 1 and any(u in taken for u in range(low, low + height)):
                top -= 1
                low = top - height + 1
            if low >= 1:
                break
            cabinet, top = cabinet + 1, units
        placed[name] = Placement(name, device.kind, cabinet, low, height)
        taken.update(range(low, low + height))
        top = low - 1
    feeds: dict[str, list[str]] = {}
    for feed in spec.power:
        feeds.setdefault(feed.outlet.split("/")[0], []).append(feed.to.split("/")[0])
    for name, device in side:
        fed = [placed[n].cabinet for n in feeds.get(name, []) if n in placed]
        placed[name] = Placement(name, device.kind, min(fed) if fed else 1, 0, 0)
    order = [name for device in spec.devices for name in device.expanded_names()]
    return [placed[name] for name in order]
