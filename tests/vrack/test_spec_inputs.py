"""Specs that are not YAML files, and rules that hold in every mode, fail with a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from vrack.spec import SpecError, load_spec, parse_spec


def _error(path: Path) -> str:
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    return str(raised.value)


def test_a_binary_file_is_not_utf8(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"rack: r\n\xff\xfe\x00binary")
    assert _error(spec) == f"{spec}:2: <document>: is not UTF-8 text (byte 0xff at offset 8); a spec is a YAML file"


def test_a_directory_is_not_a_spec(tmp_path: Path) -> None:
    assert _error(tmp_path) == f"{tmp_path}: <document>: is a directory; give the path of a YAML file"


def test_nul_bytes_are_refused(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"rack: r\ndevices: []\x00\n")
    assert _error(spec) == f"{spec}:2: <document>: contains NUL bytes; not a YAML file"


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("rack: r\n")
    spec.chmod(0)
    try:
        if spec.open("rb"):  # root reads anything: then the spec is simply valid
            assert load_spec(spec).rack == "r"
    except PermissionError:
        assert "cannot be read" in _error(spec)


def test_overlapping_networks_are_refused_in_loopback_mode_too() -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec("rack: r\nnetworks: {management: 127.10.0.0/16, provisioning: 127.10.1.0/24}\n")
    assert "networks.provisioning: overlaps networks.management" in str(raised.value)


def test_a_control_api_off_loopback_needs_an_explicit_opt_in() -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec("rack: r\ncontrol: {address: 0.0.0.0}\n")
    message = str(raised.value)
    assert "<string>:2: control.address:" in message and "allow_remote: true" in message
    assert parse_spec("rack: r\ncontrol: {address: 0.0.0.0, allow_remote: true}\n").control.allow_remote


def test_traps_go_only_to_loopback_in_a_loopback_rack() -> None:
    text = "rack: r\ndevices:\n  - {name: pdu1, kind: pdu, snmp: {traps: [{address: 10.1.2.3}]}}\n"
    with pytest.raises(SpecError) as raised:
        parse_spec(text)
    message = str(raised.value)
    assert "<string>:3: devices[0].snmp.traps[0].address: 10.1.2.3 is outside 127.0.0.0/8" in message, message
    ok = parse_spec(text.replace("10.1.2.3", "127.0.0.9"))
    assert ok.devices[0].snmp.traps[0].port == 162  # type: ignore[union-attr]
