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
from switch_sim.mibtree import MibTree

if TYPE_CHECKING:
    from switch_sim.device import Switch
    from switch_sim.personality import SwitchModel

Builder = Callable[[MibTree, "Switch"], None]

STANDARD: tuple[Builder, ...] = (add_system, add_ifmib, add_host_resources, add_entity, add_bridge, add_lldp)
VENDOR_MIBS: dict[str, Builder] = {"cisco": add_cisco}


def check_vendor_mibs(model: SwitchModel) -> None:
    """ValueError naming the model when it lists a vendor MIB no builder knows (checked when a switch is made)."""
    unknown = [name for name in model.vendor_mibs if name not in VENDOR_MIBS]
    if unknown:
        raise ValueError(f"{model.name}: unknown vendor_mibs {unknown}; known: {sorted(VENDOR_MIBS)}")


def build_tree(sw: Switch) -> MibTree:
    """The complete MIB view of ``sw``."""
    check_vendor_mibs(sw.model)
    tree = MibTree()
    for build in STANDARD:
        build(tree, sw)
    for name in sw.model.vendor_mibs:
        VENDOR_MIBS[name](tree, sw)
    return tree
