"""Switch personalities load from data files and validate."""

from __future__ import annotations

import pytest

from switch_sim.personality import load_model, model_names


def test_shipped_models() -> None:
    """At least the Arista and Cisco personalities ship, and each one validates."""
    assert {"arista-7050", "cisco-nexus-3000"} <= set(model_names())
    for name in model_names():
        model = load_model(name)
        assert model.name == name
        assert model.vendor in model.sys_descr


def test_unknown_model_lists_valid_names() -> None:
    """An unknown model name raises ValueError naming every valid model."""
    with pytest.raises(ValueError, match=r"unknown switch model 'hp-2910'; valid models: arista-7050, cisco"):
        load_model("hp-2910")


def test_derived_identity_is_stable_and_under_the_vendor_oui() -> None:
    """Derived base MACs and serials depend only on the seed and use the vendor OUI / prefix."""
    arista = load_model("arista-7050")
    assert arista.derived_base_mac(42) == arista.derived_base_mac(42)
    assert arista.derived_base_mac(42) != arista.derived_base_mac(43)
    assert arista.derived_base_mac(42).startswith("00:1c:73:")
    assert arista.derived_base_mac(42).endswith(":00")  # room for port MACs above it
    assert load_model("cisco-nexus-3000").derived_serial(42).startswith("FOC")
