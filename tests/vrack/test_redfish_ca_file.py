"""The rack's Redfish CA file (vrack.devices.redfish_bmc.write_ca): written once for all the rack's BMCs,
written again when it went missing or holds another CA."""

from __future__ import annotations

from pathlib import Path

from vrack.devices.redfish_bmc import CA_FILE, rack_authority, write_ca


def test_the_ca_file_is_written_once_and_again_when_removed_or_changed(tmp_path: Path) -> None:
    authority = rack_authority("ca-seed", "carack")
    path = write_ca(tmp_path, authority)
    assert path == tmp_path / CA_FILE
    assert path.read_bytes() == authority.pem
    written = path.stat().st_mtime_ns

    for _ in range(3):  # every further BMC of the rack
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
