"""vrack switch simulator: an SNMP switch whose ports, counters, FDB and LLDP follow the cabling.

:class:`Switch` is the device (no sockets); its :attr:`Switch.source` is the
:class:`~snmp_agent.source.MibSource` an SNMP agent serves.
"""

from switch_sim.device import LinkEvent, Neighbor, Switch
from switch_sim.personality import SwitchModel, load_model, model_names
from switch_sim.ports import LinkPeer

__all__ = ["LinkEvent", "LinkPeer", "Neighbor", "Switch", "SwitchModel", "load_model", "model_names"]
