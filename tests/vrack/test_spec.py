"""Rack spec validation, identities and the plan."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vrack.plan import build_plan
from vrack.spec import SpecError, json_schema, load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "specs" / "bad"


@pytest.mark.parametrize("case", sorted(p.stem for p in BAD.glob("*.yaml")))
def test_bad_spec_reports_every_error_with_path_and_line(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bad spec fails with exactly the errors (path, line, hint) pinned in its .errors.txt."""
    monkeypatch.chdir(BAD)
    with pytest.raises(SpecError) as raised:
        load_spec(f"{case}.yaml")
    expected = (BAD / f"{case}.errors.txt").read_text().strip()
    assert str(raised.value) == expected


@pytest.mark.parametrize("spec", ["small.yaml", "large.yaml"])
def test_shipped_specs_are_valid(spec: str) -> None:
    """The specs in rack_specs/ validate and expand."""
    plan = build_plan(load_spec(ROOT / "rack_specs" / spec))
    assert plan.nodes


def test_same_spec_gives_the_same_rack() -> None:
    """Loading a spec twice gives identical addresses, MACs, serials and UUIDs."""
    first = build_plan(load_spec(ROOT / "rack_specs" / "small.yaml"))
    second = build_plan(load_spec(ROOT / "rack_specs" / "small.yaml"))
    assert first == second


def test_identities_depend_on_seed_not_on_other_devices() -> None:
    """A different seed changes identities; adding a device leaves the others alone."""
    base = "rack: r\nseed: one\ndevices:\n  - {name: a, kind: compute}\n"
    plan = build_plan(parse_spec(base))
    reseeded = build_plan(parse_spec(base.replace("seed: one", "seed: two")))
    grown = build_plan(parse_spec(base + "  - {name: b, kind: compute}\n"))
    assert plan.nodes[0].bmc_mac != reseeded.nodes[0].bmc_mac
    assert plan.nodes[0].system_uuid != reseeded.nodes[0].system_uuid
    assert grown.nodes[0] == plan.nodes[0]


def test_macs_carry_the_vendor_oui() -> None:
    plan = build_plan(parse_spec("rack: r\ndevices:\n  - {name: a, kind: compute, model: dell-r630}\n"))
    assert plan.nodes[0].bmc_mac.startswith("18:66:da:")
    assert len(set(plan.nodes[0].nic_macs)) == len(plan.nodes[0].nic_macs)


def test_auto_addresses_skip_explicit_ones_and_follow_spec_order() -> None:
    """Auto addresses are the management network's hosts in order, skipping taken ones."""
    text = (
        "rack: r\nnetworks: {management: 127.60.0.0/24}\ndevices:\n"
        "  - {name: 'n{n}', kind: compute, count: 3}\n"
        "  - {name: fixed, kind: compute, bmc: {address: 127.60.0.2}}\n"
        "  - {name: p1, kind: pdu}\n"
    )
    plan = build_plan(parse_spec(text))
    addresses = {n.name: str(n.bmc_address) for n in plan.nodes}
    assert addresses == {"n1": "127.60.0.1", "n2": "127.60.0.3", "n3": "127.60.0.4", "fixed": "127.60.0.2"}
    assert str(plan.pdus[0].address) == "127.60.0.5"
    assert plan.nodes[0].bmc_port == 623 and plan.pdus[0].port == 161


def test_count_expands_names_with_the_template() -> None:
    plan = build_plan(parse_spec("rack: r\ndevices:\n  - {name: 'node{n:03d}', kind: compute, count: 3, start: 7}\n"))
    assert [n.name for n in plan.nodes] == ["node007", "node008", "node009"]


def test_count_without_placeholder_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"devices\[0\]: count is 2 but name 'x' has no \{n\} placeholder"):
        parse_spec("rack: r\ndevices:\n  - {name: x, kind: compute, count: 2}\n")


def test_plan_resolves_feeds_and_cables() -> None:
    plan = build_plan(load_spec(ROOT / "rack_specs" / "small.yaml"))
    assert plan.feeds[4].pdu == "pdu1" and plan.feeds[4].outlet == 5
    assert plan.feeds[4].node == "node04" and plan.feeds[4].psu == 2
    assert plan.cables[0].switch == "sw1" and plan.cables[0].port == 1 and plan.cables[0].nic == 0
    assert all(ipaddress.IPv4Address(str(n.bmc_address)).is_loopback for n in plan.nodes)


def test_json_schema_lists_device_kinds_and_forbids_unknown_keys() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert schema["additionalProperties"] is False
    for kind in ("ComputeSpec", "PduSpec", "SwitchSpec"):
        assert kind in schema["$defs"]
    assert '"cipher_suites"' in text


def test_cli_validate_exit_codes() -> None:
    """`vrack validate` exits 0 on a good spec and 2 with every error on a bad one."""
    good = subprocess.run(
        [sys.executable, "-m", "vrack", "validate", str(ROOT / "rack_specs" / "small.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert "valid rack 'small'" in good.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "vrack", "validate", str(BAD / "bad-references.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "10 errors in" in bad.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "vrack", "validate", "/nonexistent.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_netns_mode_needs_private_networks_and_reserves_the_uplink() -> None:
    """netns racks refuse loopback networks and keep the first/last hosts for uplink and bridge."""
    with pytest.raises(SpecError) as raised:
        parse_spec("rack: r\nmode: netns\ndevices:\n  - {name: a, kind: compute}\n")
    assert "networks.management: 127.10.0.0/16 cannot be a netns rack network" in str(raised.value)
    text = (
        "rack: r\nmode: netns\nnetworks: {management: 172.31.0.0/24, provisioning: 172.31.128.0/22}\n"
        "netns: {uplink: 'netns:rackhd'}\ndevices:\n  - {name: 'n{n}', kind: compute, count: 2}\n"
    )
    plan = build_plan(parse_spec(text))
    assert [str(n.bmc_address) for n in plan.nodes] == ["172.31.0.2", "172.31.0.3"]
    assert plan.spec.netns.uplink == "netns:rackhd"
    with pytest.raises(SpecError, match=r"overlaps networks\.management"):
        parse_spec(text.replace("172.31.128.0/22", "172.31.0.128/25"))


def test_shared_ports_are_for_loopback_racks_and_cost_few_descriptors() -> None:
    from vrack.fdlimit import fds_needed

    text = "rack: r\nports: {shared: true}\ndevices:\n  - {name: 'n{n}', kind: compute, count: 500}\n"
    shared, own = build_plan(parse_spec(text)), build_plan(parse_spec(text.replace("true", "false")))
    assert fds_needed(own) - fds_needed(shared) >= 2 * 500 - 3
    with pytest.raises(SpecError) as refused:
        parse_spec(text.replace("rack: r\n", "rack: r\nmode: netns\n"))
    assert "<string>:3: ports.shared: serves loopback racks only" in str(refused.value)  # the ports: line
