"""The rack's Redfish CA file (vrack.devices.redfish_bmc.write_ca, once per rack start before its BMCs are
built): left alone when it holds the rack's CA, written again when it went missing or holds another CA; and
a rack with Redfish has it in its state directory."""

from __future__ import annotations

from pathlib import Path

from vrack.devices.redfish_bmc import CA_FILE, rack_authority, write_ca


def test_the_ca_file_is_written_once_and_again_when_removed_or_changed(tmp_path: Path) -> None:
    authority = rack_authority("ca-seed", "carack")
    path = write_ca(tmp_path, authority)
    assert path == tmp_path / CA_FILE
    assert path.read_bytes() == authority.pem
    written = path.stat().st_mtime_ns

    for _ in range(3):  # the rack started again
        assert write_ca(tmp_path, authority) == path
    assert path.stat().st_mtime_ns == written

    path.unlink()
    write_ca(tmp_path, authority)
    assert path.read_bytes() == authority.pem

    other = rack_authority("other-seed", "carack")
    write_ca(tmp_path, other)
    assert path.read_bytes() == other.pem
    path.write_bytes(b"not a certificate")  # changed behind the rack's back: the next start restores it
    write_ca(tmp_path, authority)
    assert path.read_bytes() == authority.pem


def test_no_state_directory_writes_nothing() -> None:
    assert write_ca(None, rack_authority("ca-seed", "carack")) is None


def test_building_a_rack_with_redfish_writes_its_ca_file_once(tmp_path: Path) -> None:
    from twisted.internet.testing import MemoryReactorClock

    from bench.peers import vrack_spec
    from vrack.clock import RackClock
    from vrack.devices import RackContext
    from vrack.devices.compute import build_compute_devices
    from vrack.journal import Journal
    from vrack.plan import build_plan
    from vrack.spec import parse_spec

    plan = build_plan(parse_spec(vrack_spec("carack", "127.60.92.0/24", 3)))
    reactor = MemoryReactorClock()
    clock = RackClock(reactor, plan.spec.epoch)
    nodes = list(build_compute_devices(plan, RackContext(reactor, Journal(clock), clock, None, tmp_path)))
    assert len(nodes) == 3
    assert (tmp_path / CA_FILE).read_bytes() == rack_authority(plan.spec.identity_seed, "carack").pem
