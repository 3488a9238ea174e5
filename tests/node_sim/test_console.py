"""node_sim.console: what a node prints on its serial port as it powers on, boots and waits at a login
prompt, and what typing does there (fake clock)."""

from __future__ import annotations

from pathlib import Path

from twisted.internet.task import Clock

from node_sim.console import PXE_TIMEOUT, NodeConsole
from node_sim.hardware import load_hardware


def console(tmp_path: Path | None = None) -> tuple[NodeConsole, Clock, bytearray]:
    clock = Clock()
    out = bytearray()
    node = NodeConsole("node01", load_hardware("dell-r630"), clock, tmp_path, macs=("02:00:00:aa:bb:cc",))
    node.subscribe(out.extend)
    return node, clock, out


def test_power_on_without_dhcp_shows_post_the_pxe_failure_and_retries_on_a_key(tmp_path: Path) -> None:
    node, clock, out = console(tmp_path / "node01.console.log")
    assert not (tmp_path / "node01.console.log").exists()  # nothing printed yet: no file, no descriptor
    node.power_on("pxe")
    node.no_network()
    text = out.decode()
    assert "Dell Inc. PowerEdge R630" in text and "CLIENT MAC ADDR: 02:00:00:AA:BB:CC\r\n" in text
    assert "PXE-E51" not in text
    clock.advance(PXE_TIMEOUT)
    assert out.decode().endswith("No bootable device -- press any key to retry the boot.\r\n")
    node.send(b"\r")
    assert out.decode().count("Booting from PXE") == 2
    clock.advance(PXE_TIMEOUT)
    assert out.decode().count("PXE-E51") == 2
    assert (tmp_path / "node01.console.log").read_bytes() == bytes(out)


def test_disk_boot_without_an_os_and_power_off_silences_the_firmware() -> None:
    node, clock, out = console()
    node.power_on("disk")
    assert "Booting from disk...\r\nNo bootable device" in out.decode()
    node.power_on("pxe")
    node.no_network()
    node.power_off()
    clock.advance(PXE_TIMEOUT)
    assert "PXE-E51" not in out.decode()
    node.send(b"x")
    assert out.decode().count("Booting from") == 2  # keys do nothing while the host is off


def test_a_booted_os_shows_a_login_prompt_echoes_names_and_hides_passwords() -> None:
    node, _, out = console()
    node.power_on("pxe")
    node.boot_event("dhcp.request", {})
    node.boot_event("ip.configure", {"address": "172.31.128.5/22"})
    node.kernel("http://172.31.128.1:9080/common/vmlinuz", "console=ttyS0,115200n8")
    node.os_running("monorail-micro", "RancherOS")
    assert "CLIENT IP: 172.31.128.5/22" in out.decode() and "Command line: console=ttyS0,115200n8" in out.decode()
    assert out.decode().endswith("monorail-micro login: ")
    mark = len(out)
    node.send(b"rooX\x7ft\r")
    node.send(b"secret\r")
    typed = out[mark:].decode()
    assert typed == "rooX\b \bt\r\nPassword: \r\n\r\nLogin incorrect\r\nmonorail-micro login: "
    assert "secret" not in out.decode()
