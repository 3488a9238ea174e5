"""MIB builders: each adds one MIB's columns for a :class:`~switch_sim.device.Switch` to a tree.

:func:`build_tree` assembles the standard set every switch serves plus the
vendor extras its personality names in ``vendor_mibs`` (a registry, not an
if/elif chain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from switch_sim.mibs.bridge import add_bridge
from switch_sim.mibs.cisco import add_cisco
from switch_sim.mibs.entity import add_entity
from switch_sim.mibs.hostres import add_host_resources
from switch_sim.mibs.ifmib import add_ifmib
from switch_sim.mibs.lldp import add_lldp
from switch_sim.mibs.system import add_system
from switch_sim.mibtree import BoundTree, SharedTree

if TYPE_CHECKING:
    from switch_sim.device import Switch
    from switch_sim.personality import SwitchModel

Builder = Callable[[SharedTree["Switch"], "Switch"], None]
Shape = tuple[str, int, bool]

STANDARD: tuple[Builder, ...] = (add_system, add_ifmib, add_host_resources, add_entity, add_bridge, add_lldp)
VENDOR_MIBS: dict[str, Builder] = {"cisco": add_cisco}


def check_vendor_mibs(model: SwitchModel) -> None:
    """ValueError naming the model when it lists a vendor MIB no builder knows (checked when a switch is made)."""
    unknown = [name for name in model.vendor_mibs if name not in VENDOR_MIBS]
    if unknown:
        raise ValueError(f"{model.name}: unknown vendor_mibs {unknown}; known: {sorted(VENDOR_MIBS)}")


_TREES: dict[Shape, tuple[SwitchModel, SharedTree[Switch]]] = {}


def build_tree(sw: Switch) -> BoundTree[Switch]:
    """The complete MIB view of ``sw``: the tree of its shape (model, port count, with or without a management
    address), built the first time a switch of that shape asks, bound to ``sw``."""
    shape: Shape = (sw.model.name, sw.port_count, sw.management_ip is not None)
    known = _TREES.get(shape)
    if known is None or known[0] is not sw.model:
        known = _TREES[shape] = (sw.model, shared_tree(sw))
    return known[1].bind(sw)


def shared_tree(shape: Switch) -> SharedTree[Switch]:
    """A new tree for every switch of ``shape``'s model, port count and management-address presence.

    The builders read only those from ``shape``; every value is read from the switch bound at request time.
    """
    check_vendor_mibs(shape.model)
    tree: SharedTree[Switch] = SharedTree()
    for build in STANDARD:
        build(tree, shape)
    for name in shape.model.vendor_mibs:
        VENDOR_MIBS[name](tree, shape)
    return tree
