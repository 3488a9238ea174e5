"""Domain XML of a VM node: TCG, SeaBIOS on serial, NICs on the bridge, boot device rewrites."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vrack.nodes.vm_xml import (
    VmConfig,
    boot_device_of,
    cdrom_image_of,
    cdrom_xml,
    check_boot_device,
    domain_xml,
    with_boot_device,
)

CONFIG = VmConfig(
    name="vrt-vm-x",
    macs=("52:54:00:e8:00:01", "52:54:00:e8:00:02"),
    bridge="prov0",
    serial_log=Path("/state/x/serial.log"),
)


def test_domain_is_tcg_with_serial_bios_nics_and_serial_file() -> None:
    root = ET.fromstring(domain_xml(CONFIG, "pxe"))
    assert root.get("type") == "qemu" and root.findtext("name") == "vrt-vm-x"
    assert root.find("memory") is not None and root.findtext("memory") == "256"
    assert root.find("memory").get("unit") == "MiB"  # type: ignore[union-attr]
    assert [b.get("dev") for b in root.findall("os/boot")] == ["network"]
    assert root.find("os/bios").get("useserial") == "yes"  # type: ignore[union-attr]
    nics = root.findall("devices/interface")
    assert [n.get("type") for n in nics] == ["bridge", "bridge"]
    assert [n.find("source").get("bridge") for n in nics] == ["prov0", "prov0"]  # type: ignore[union-attr]
    assert [n.find("mac").get("address") for n in nics] == list(CONFIG.macs)  # type: ignore[union-attr]
    assert [n.find("model").get("type") for n in nics] == ["virtio", "virtio"]  # type: ignore[union-attr]
    serial = root.find("devices/serial")
    assert serial is not None and serial.get("type") == "file"
    assert serial.find("source").get("path") == "/state/x/serial.log"  # type: ignore[union-attr]
    assert [d.get("device") for d in root.findall("devices/disk")] == ["cdrom"]  # an empty CD drive, no disk
    assert root.find("devices/graphics") is None


def test_the_cd_drive_is_empty_ide_read_only_and_bootable() -> None:
    root = ET.fromstring(domain_xml(CONFIG, "cdrom"))
    assert [b.get("dev") for b in root.findall("os/boot")] == ["cdrom"]
    drive = root.find("devices/disk[@device='cdrom']")
    assert drive is not None and drive.find("source") is None and drive.find("readonly") is not None
    assert drive.find("target").attrib == {"dev": "hdc", "bus": "ide"}  # type: ignore[union-attr]
    assert cdrom_image_of(ET.tostring(root, encoding="unicode")) is None
    loaded = cdrom_xml(Path("/images/live.iso"))
    assert ET.fromstring(loaded).find("source").get("file") == "/images/live.iso"  # type: ignore[union-attr]
    xml = ET.tostring(root, encoding="unicode").replace(cdrom_xml(None), loaded)
    assert cdrom_image_of(xml) == "/images/live.iso"
    assert boot_device_of(with_boot_device(xml, "pxe")) == "pxe" and cdrom_image_of(with_boot_device(xml, "pxe"))
    config = VmConfig(name="n", macs=("52:54:00:e8:00:05",), bridge="br", serial_log=Path("/s"), cdrom=False)
    assert ET.fromstring(domain_xml(config, "pxe")).find("devices/disk") is None


def test_disk_boot_and_optional_disk() -> None:
    config = VmConfig(name="d", macs=("52:54:00:e8:00:03",), bridge="br", serial_log=Path("/s"), disk=Path("/d.qcow2"))
    root = ET.fromstring(domain_xml(config, "disk"))
    assert [b.get("dev") for b in root.findall("os/boot")] == ["hd"]
    assert root.find("devices/disk/driver").get("type") == "qcow2"  # type: ignore[union-attr]
    assert root.find("devices/disk/source").get("file") == "/d.qcow2"  # type: ignore[union-attr]


def test_with_boot_device_rewrites_only_the_boot_element() -> None:
    """libvirt's own XML (with extra elements and per-device boot order) keeps everything but <boot>."""
    xml = domain_xml(CONFIG, "pxe").replace(
        '<model type="virtio" /></interface>', '<model type="virtio" /><boot order="1" /></interface>', 1
    )
    xml = xml.replace("<os>", "<os><loader readonly='yes'>/x</loader>")
    assert boot_device_of(xml) == "pxe"
    changed = with_boot_device(xml, "disk")
    root = ET.fromstring(changed)
    assert boot_device_of(changed) == "disk"
    assert [b.get("dev") for b in root.findall("os/boot")] == ["hd"]
    assert root.findall(".//interface/boot") == []
    assert root.findtext("os/loader") == "/x" and [c.tag for c in root.find("os")][:2] == ["loader", "type"]  # type: ignore[union-attr]
    assert len(root.findall("devices/interface")) == 2
    assert boot_device_of(with_boot_device(changed, "pxe")) == "pxe"


def test_boot_device_and_mac_validation() -> None:
    assert check_boot_device("pxe") == "pxe" and check_boot_device("disk") == "disk"
    assert check_boot_device("cdrom") == "cdrom"
    with pytest.raises(ValueError, match="boot device must be one of pxe, disk, cdrom"):
        check_boot_device("floppy")
    with pytest.raises(ValueError, match="not a unicast MAC"):
        VmConfig(name="m", macs=("01:00:5e:00:00:01",), bridge="b", serial_log=Path("/s"))
    with pytest.raises(ValueError, match="not a unicast MAC"):
        VmConfig(name="m", macs=("52-54-00-00-00-01",), bridge="b", serial_log=Path("/s"))
    with pytest.raises(ValueError, match="at least one MAC"):
        VmConfig(name="m", macs=(), bridge="b", serial_log=Path("/s"))
    assert boot_device_of("<domain><os><boot dev='cdrom'/></os></domain>") == "cdrom"
    assert boot_device_of("<domain><os><boot dev='fd'/></os></domain>") is None
