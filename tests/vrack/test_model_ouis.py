"""MAC OUIs come from each model's own file, and a rack's MACs did not change when they moved there.

The expected MACs below were printed by the rack before the OUIs moved out of ``vrack/identity.py``
(seed ``oui-golden``): users key DHCP reservations and test fixtures on them, so they must stay.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from node_sim.hardware import Hardware, load_hardware
from pdu_sim.models import MODELS as PDU_MODELS
from switch_sim.personality import load_model as load_switch_model
from vrack import registry
from vrack.plan import build_plan
from vrack.spec import parse_spec

GOLDEN: dict[str, tuple[str, ...]] = {
    "c-dell-r630": (
        "18:66:da:9e:e5:0a",
        "18:66:da:73:3c:89",
        "18:66:da:78:1b:2d",
        "18:66:da:26:1a:8a",
        "18:66:da:56:11:49",
    ),
    "c-generic": ("00:25:90:e8:94:f0", "00:25:90:09:e8:6c", "00:25:90:c1:cc:39"),
    "c-quanta-d51": ("2c:60:0c:90:42:5c", "2c:60:0c:d3:77:21", "2c:60:0c:f5:77:24"),
    "v-generic": (
        "00:25:90:c4:7a:3f",
        "00:25:90:d9:6b:72",
        "00:25:90:ad:8b:8f",
        "00:25:90:5a:bc:f3",
        "00:25:90:c2:a4:d5",
    ),
    "p-apc-powernet": ("00:c0:b7:f9:44:24",),
    "p-servertech-sentry3": ("00:0a:9c:06:40:a6",),
    "p-sinetica-hawk-i2": ("00:1a:55:44:39:e3",),
    "s-arista-7050": ("00:1c:73:14:61:31",),
    "s-cisco-nexus-3000": ("00:1b:54:d1:e3:74",),
}


def _every_model_rack() -> str:
    lines = ["rack: r", "seed: oui-golden", "devices:"]
    lines += [f"  - {{name: c-{m}, kind: compute, model: {m}}}" for m in registry.models("compute")]
    lines.append("  - {name: v-generic, kind: compute, model: generic, backend: vm, nics: 4}")
    lines += [f"  - {{name: p-{m}, kind: pdu, model: {m}}}" for m in registry.models("pdu")]
    lines += [f"  - {{name: s-{m}, kind: switch, model: {m}}}" for m in registry.models("switch")]
    return "\n".join(lines) + "\n"


def test_a_rack_keeps_the_macs_it_had() -> None:
    """BMC, NIC and management MACs of every shipped model are the ones racks had before."""
    plan = build_plan(parse_spec(_every_model_rack()))
    macs = {n.name: (n.bmc_mac, *n.nic_macs) for n in plan.nodes}
    macs |= {d.name: (d.mac,) for d in (*plan.pdus, *plan.switches)}
    assert macs == GOLDEN


def test_the_oui_is_read_from_the_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing a personality's OUIs changes the rack's MACs: nothing in vrack restates them."""

    def relabelled(name: str) -> Hardware:
        hardware = load_hardware(name)
        nics = tuple(replace(nic, oui="02:cc:dd") for nic in hardware.nics)
        return replace(hardware, bmc_oui="02:aa:bb", nics=nics)

    monkeypatch.setattr(registry, "load_hardware", relabelled)
    registry.all_models.cache_clear()
    try:
        plan = build_plan(parse_spec("rack: r\ndevices:\n  - {name: a, kind: compute, model: generic}\n"))
    finally:
        monkeypatch.undo()
        registry.all_models.cache_clear()
    assert plan.nodes[0].bmc_mac.startswith("02:aa:bb:")
    assert all(mac.startswith("02:cc:dd:") for mac in plan.nodes[0].nic_macs)


@pytest.mark.parametrize("kind", ["compute", "pdu", "switch"])
def test_every_model_names_its_makers_oui(kind: str) -> None:
    """The registry's OUI of each model is the one its simulator's own file carries."""
    for name in registry.models(kind):
        info = registry.model_info(kind, name)
        if kind == "compute":
            hardware = load_hardware(name)
            assert (info.oui, info.nic_ouis) == (hardware.bmc_oui, tuple(n.oui for n in hardware.nics))
        elif kind == "pdu":
            assert info.oui == PDU_MODELS[name].oui
        else:
            assert info.oui == load_switch_model(name).oui
