"""LibvirtDaemon helpers that need no daemon: /dev/kvm access, refusing a second libvirtd, idempotent stop."""

from __future__ import annotations

import grp
import os
import socket
import stat
from pathlib import Path

import pytest

from vrack.nodes import libvirtd
from vrack.nodes.libvirtd import LibvirtDaemon, LibvirtDaemonError, ensure_kvm_group_access, socket_answers


def test_kvm_device_gets_the_udev_permissions_once(tmp_path: Path) -> None:
    """600 root:root (no udev) becomes 660 root:kvm; a second call changes nothing; no device, no change."""
    device = tmp_path / "kvm"
    device.write_bytes(b"")
    os.chown(device, 0, 0)
    os.chmod(device, 0o600)
    assert ensure_kvm_group_access(device) is True
    info = device.stat()
    assert stat.S_IMODE(info.st_mode) == 0o660 and info.st_gid == grp.getgrnam("kvm").gr_gid and info.st_uid == 0
    assert ensure_kvm_group_access(device) is False
    assert ensure_kvm_group_access(tmp_path / "absent") is False


def test_start_refuses_when_a_libvirtd_already_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sock_path = tmp_path / "libvirt-sock"
    assert not socket_answers(sock_path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(sock_path))
        listener.listen(1)
        assert socket_answers(sock_path)
        monkeypatch.setattr(libvirtd, "LIBVIRT_SOCKET", sock_path)
        daemon = LibvirtDaemon(run_dir=tmp_path / "run", fix_kvm=False)
        with pytest.raises(LibvirtDaemonError, match="already answers"):
            daemon.start()
    assert not (tmp_path / "run").exists()  # refused before doing anything


def test_stop_without_start_is_harmless(tmp_path: Path) -> None:
    daemon = LibvirtDaemon(netns="vrt-ns-none", run_dir=tmp_path)
    (tmp_path / "libvirtd.pid").write_text("999999999\n")  # no such process
    daemon.stop()
    daemon.stop()
    assert not daemon.running() and not (tmp_path / "libvirtd.pid").exists()
