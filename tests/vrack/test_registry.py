"""Every model the spec offers loads in its simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bmc_sim.models import load_model as load_bmc_model
from pdu_sim.models import get_model as load_pdu_model
from switch_sim.personality import load_model as load_switch_model
from vrack import registry

LOADERS: dict[str, Callable[[str], object]] = {
    "compute": load_bmc_model,
    "pdu": load_pdu_model,
    "switch": load_switch_model,
}


@pytest.mark.parametrize("info", registry.all_models(), ids=lambda m: f"{m.kind}:{m.name}")
def test_registry_model_loads_in_its_simulator(info: registry.ModelInfo) -> None:
    assert LOADERS[info.kind](info.name) is not None


@pytest.mark.parametrize("info", [m for m in registry.all_models() if m.kind == "compute"], ids=lambda m: m.name)
def test_compute_models_nic_count_matches_the_hardware_personality(info: registry.ModelInfo) -> None:
    from node_sim.hardware import load_hardware

    assert info.nics == len(load_hardware(info.name).nics)
