"""RackNetwork: namespace, bridges, uplink veths and addresses; destroy leaves nothing behind."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from tests.netns.conftest import TEST_PREFIX, RackFactory
from tests.netns.nstools import addresses, link_info, link_names, netns_names, uplink_namespace
from vrack.netns import NetnsError, RackNetwork


def test_rack_side_takes_last_hosts_and_uplink_side_first_hosts(make_rack: RackFactory) -> None:
    """Bridges mgmt0/prov0 are up with the LAST host of each network; the uplink veths (in the uplink
    namespace) carry the FIRST host; the rack ends of the veths are ports of the bridges."""
    with uplink_namespace("vrt-ns-up1") as up:
        net = make_rack("layout", 10, f"netns:{up}")
        assert net.netns == "vrt-ns-layout" and net.exists()
        assert addresses("mgmt0", net.netns) >= {"10.232.10.126/25"}
        assert addresses("prov0", net.netns) >= {"10.232.10.254/25"}
        for bridge in ("mgmt0", "prov0"):
            assert "state UP" in link_info(bridge, net.netns) and " bridge " in link_info(bridge, net.netns)
            assert f"master {bridge} state UP" in link_info(f"{bridge}-up", net.netns)
        assert addresses(net.uplink_ifname("mgmt0"), up) >= {"10.232.10.1/25"}
        assert addresses(net.uplink_ifname("prov0"), up) >= {"10.232.10.129/25"}
        assert str(net.uplink_address("prov0")) == "10.232.10.129/25"
        assert str(net.rack_address("mgmt0")) == "10.232.10.126/25"


def test_destroy_removes_everything_and_is_idempotent(make_rack: RackFactory, tmp_path: Path) -> None:
    """After destroy: no namespace, no uplink veth in the host, no state file; a second destroy is fine."""
    host_links_before = link_names()
    net = make_rack("gone", 11)
    uplinks = {net.uplink_ifname("mgmt0"), net.uplink_ifname("prov0")}
    assert uplinks <= link_names() and net.netns in netns_names()
    assert addresses(net.uplink_ifname("mgmt0")) >= {"10.232.11.1/25"}
    state = json.loads(net.state_file.read_text())
    assert state["netns"] == net.netns and state["uplink_netns"] is None
    net.destroy()
    assert net.netns not in netns_names() and not net.exists()
    assert not uplinks & link_names()
    assert link_names() - host_links_before == set()
    assert not net.state_file.exists()
    net.destroy()
    assert not net.exists()


def test_create_refuses_an_existing_namespace_and_a_missing_uplink(make_rack: RackFactory, tmp_path: Path) -> None:
    """Creating a rack twice fails without harming the first; a missing uplink namespace fails cleanly."""
    first = make_rack("twice", 12)
    again = RackNetwork(
        "twice",
        first.networks["mgmt0"],
        first.networks["prov0"],
        prefix=TEST_PREFIX,
        state_dir=tmp_path / "other",
    )
    with pytest.raises(NetnsError, match="already exists"):
        again.create()
    assert first.exists() and first.uplink_ifname("prov0") in link_names()
    orphan = RackNetwork(
        "orphan",
        ipaddress.IPv4Network("10.232.13.0/25"),
        ipaddress.IPv4Network("10.232.13.128/25"),
        "netns:vrt-ns-no-such-uplink",
        prefix=TEST_PREFIX,
        state_dir=tmp_path / "state",
    )
    with pytest.raises(NetnsError, match="uplink namespace vrt-ns-no-such-uplink does not exist"):
        orphan.create()
    assert not orphan.exists() and not orphan.state_file.exists()
    with pytest.raises(ValueError, match="uplink must be"):
        RackNetwork("x", first.networks["mgmt0"], first.networks["prov0"], "bridge:br0")


def test_add_address_prefix_rules_and_idempotence(make_rack: RackFactory) -> None:
    """In-network IPv4 takes the network's prefix, others /32, explicit lengths stay, IPv6 too; repeats
    change nothing."""
    net = make_rack("addr", 14)
    net.add_address("mgmt0", "10.232.14.5")
    net.add_address("mgmt0", ipaddress.IPv4Address("10.232.14.5"))
    net.add_address("mgmt0", "10.232.99.7")
    net.add_addresses("prov0", ["10.232.14.140/28", ipaddress.IPv6Interface("fd00:232:14::fe/64")])
    assert {"10.232.14.5/25", "10.232.99.7/32"} <= addresses("mgmt0", net.netns)
    assert {"10.232.14.140/28", "fd00:232:14::fe/64"} <= addresses("prov0", net.netns)
    assert sorted(addresses("mgmt0", net.netns)).count("10.232.14.5/25") == 1
    with pytest.raises(ValueError, match="mgmt9"):
        net.add_address("mgmt9", "10.232.14.6")  # type: ignore[arg-type]
