"""Which hardware models each device kind offers, and who makes them.

The spec's ``kind:``/``model:`` pair is looked up here, never in if/elif
chains.  The personalities themselves (FRU and sensor data, MIB content) are
data files owned by the simulators.  Compute models are read from node_sim's
personalities (name, vendor, description, NIC count, the OUIs of the BMC's and each NIC's
MAC), switches from switch_sim's and PDUs from pdu_sim's, so a new model of any kind is its
own files in its simulator and nothing here.  A test checks that every model named here
loads in its simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from node_sim.hardware import hardware_names, load_hardware
from pdu_sim.models import MODELS as PDU_MODELS
from switch_sim.personality import load_model as load_switch_model
from switch_sim.personality import model_names as switch_model_names


@dataclass(frozen=True)
class ModelInfo:
    kind: str
    name: str
    vendor: str
    description: str
    oui: str  # the maker's OUI of the BMC's (compute) or the management interface's MAC
    nic_ouis: tuple[str, ...] = ()  # compute models: the OUI of each onboard NIC of the hardware personality

    @property
    def nics(self) -> int:
        """Onboard NICs of a compute model's hardware personality (0 for PDUs and switches)."""
        return len(self.nic_ouis)

    def nic_oui(self, index: int) -> str:
        """The OUI of NIC ``index``; NICs beyond the onboard ones (VM nodes may add some) take the last one's."""
        return self.nic_ouis[min(index, len(self.nic_ouis) - 1)] if self.nic_ouis else self.oui


@cache
def all_models() -> tuple[ModelInfo, ...]:
    """Every model: the compute personalities node_sim ships, the PDUs pdu_sim ships, the switches switch_sim ships."""
    compute = tuple(
        ModelInfo("compute", hw.name, hw.vendor, hw.description, hw.bmc_oui, tuple(nic.oui for nic in hw.nics))
        for hw in map(load_hardware, hardware_names())
    )
    switches = tuple(
        ModelInfo("switch", sw.name, sw.vendor.lower(), sw.sys_descr, sw.oui)
        for sw in map(load_switch_model, switch_model_names())
    )
    pdus = tuple(ModelInfo("pdu", m.name, m.vendor, m.description, m.oui) for m in PDU_MODELS.values())
    return compute + pdus + switches


def models(kind: str) -> list[str]:
    """Model names of ``kind``, in a stable order."""
    return [m.name for m in all_models() if m.kind == kind]


def model_info(kind: str, name: str) -> ModelInfo:
    for info in all_models():
        if info.kind == kind and info.name == name:
            return info
    raise KeyError(f"unknown {kind} model {name!r} (valid: {', '.join(models(kind))})")


def find_model(kind: str, name: str) -> ModelInfo | None:
    """The model ``name`` of ``kind``, or None when no simulator ships it."""
    try:
        return model_info(kind, name)
    except KeyError:
        return None
