"""Libvirt domain XML for a VM node (pure functions, no libvirt needed).

A VM node is a TCG guest (``<domain type='qemu'>``: KVM is unusable for firmware on the CI machine,
see platform-notes §4): SeaBIOS with its console on the serial port, one virtio NIC per MAC on a
Linux bridge (the iPXE option ROM that Debian's ``ipxe-qemu`` ships boots it), the first serial
port written to a file and, when ``serial_socket`` is set, also served on that UNIX socket (QEMU
listens; a console relay connects to it, as SOL does to a real server's serial port), no graphics.
The boot device is ``pxe`` (``<boot dev='network'/>``),
``disk`` (``<boot dev='hd'/>``) or ``cdrom`` (``<boot dev='cdrom'/>``), one device only, so a PXE node never
falls through to a disk and back.  Every VM has a read-only IDE CD-ROM drive, empty until the BMC's virtual
media puts an image in it (:func:`cdrom_xml`, for libvirt's ``updateDeviceFlags``), as a server shows its BMC's
virtual CD drive whether or not media is inserted.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

BootDevice = Literal["pxe", "disk", "cdrom"]
BOOT_DEVICES: tuple[BootDevice, ...] = ("pxe", "disk", "cdrom")
_LIBVIRT_BOOT = {"pxe": "network", "disk": "hd", "cdrom": "cdrom"}
CDROM_TARGET = "hdc"  # the IDE secondary master, where a PC's CD drive sits
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


@dataclass(frozen=True)
class VmConfig:
    """What a VM node is made of.  ``macs`` in NIC order (lower case ``aa:bb:..``)."""

    name: str
    macs: tuple[str, ...]
    bridge: str
    serial_log: Path
    memory_mib: int = 256
    vcpus: int = 1
    nic_model: str = "virtio"
    disk: Path | None = None
    serial_socket: Path | None = None
    cdrom: bool = True

    def __post_init__(self) -> None:
        if not self.macs:
            raise ValueError(f"VM {self.name}: at least one MAC is needed")
        for mac in self.macs:
            if not _MAC.match(mac) or int(mac[:2], 16) & 1:
                raise ValueError(f"VM {self.name}: {mac!r} is not a unicast MAC in aa:bb:cc:dd:ee:ff form")


def check_boot_device(boot: str) -> BootDevice:
    """``boot`` as a :data:`BootDevice`; ValueError for anything else."""
    if boot == "pxe":
        return "pxe"
    if boot == "disk":
        return "disk"
    if boot == "cdrom":
        return "cdrom"
    raise ValueError(f"boot device must be one of {', '.join(BOOT_DEVICES)}, not {boot!r}")


def domain_xml(config: VmConfig, boot: BootDevice) -> str:
    """The persistent domain definition of ``config``, booting from ``boot``."""
    domain = ET.Element("domain", type="qemu")
    ET.SubElement(domain, "name").text = config.name
    ET.SubElement(domain, "memory", unit="MiB").text = str(config.memory_mib)
    ET.SubElement(domain, "vcpu").text = str(config.vcpus)
    os_ = ET.SubElement(domain, "os")
    ET.SubElement(os_, "type", arch="x86_64", machine="pc").text = "hvm"
    ET.SubElement(os_, "boot", dev=_LIBVIRT_BOOT[boot])
    ET.SubElement(os_, "bios", useserial="yes", rebootTimeout="5000")
    ET.SubElement(domain, "clock", offset="utc")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        ET.SubElement(domain, event).text = action
    devices = ET.SubElement(domain, "devices")
    if config.disk is not None:
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type="qcow2" if config.disk.suffix == ".qcow2" else "raw")
        ET.SubElement(disk, "source", file=str(config.disk))
        ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if config.cdrom:
        devices.append(ET.fromstring(cdrom_xml(None)))
    for mac in config.macs:
        nic = ET.SubElement(devices, "interface", type="bridge")
        ET.SubElement(nic, "source", bridge=config.bridge)
        ET.SubElement(nic, "mac", address=mac)
        ET.SubElement(nic, "model", type=config.nic_model)
    if config.serial_socket is None:
        serial = ET.SubElement(devices, "serial", type="file")
        ET.SubElement(serial, "source", path=str(config.serial_log), append="on")
    else:
        serial = ET.SubElement(devices, "serial", type="unix")
        ET.SubElement(serial, "source", mode="bind", path=str(config.serial_socket))
        ET.SubElement(serial, "log", file=str(config.serial_log), append="on")
    ET.SubElement(serial, "target", port="0")
    video = ET.SubElement(devices, "video")
    ET.SubElement(video, "model", type="none")
    ET.SubElement(devices, "memballoon", model="none")
    return ET.tostring(domain, encoding="unicode")


def cdrom_xml(image: Path | None) -> str:
    """The CD-ROM drive's ``<disk>`` element holding ``image`` (a local ISO file), or empty when None."""
    disk = ET.Element("disk", type="file", device="cdrom")
    ET.SubElement(disk, "driver", name="qemu", type="raw")
    if image is not None:
        ET.SubElement(disk, "source", file=str(image))
    ET.SubElement(disk, "target", dev=CDROM_TARGET, bus="ide")
    ET.SubElement(disk, "readonly")
    return ET.tostring(disk, encoding="unicode")


def cdrom_image_of(xml: str) -> str | None:
    """The file in a domain definition's CD-ROM drive, or None when it is empty or there is no drive."""
    for disk in ET.fromstring(xml).findall("devices/disk"):
        target = disk.find("target")
        if disk.get("device") == "cdrom" and target is not None and target.get("dev") == CDROM_TARGET:
            source = disk.find("source")
            return None if source is None else source.get("file")
    return None


def with_boot_device(xml: str, boot: BootDevice) -> str:
    """``xml`` (a domain definition) with its ``<os><boot dev>`` replaced by ``boot``, nothing else changed.

    Per-device ``<boot order>`` elements are removed: libvirt refuses them next to ``<os><boot>``.
    """
    domain = ET.fromstring(xml)
    os_ = domain.find("os")
    if os_ is None:
        raise ValueError("domain XML has no <os> element")
    for old in os_.findall("boot"):
        os_.remove(old)
    for parent in domain.iter():
        for order in parent.findall("boot"):
            if parent is not os_:
                parent.remove(order)
    position = [child.tag for child in os_].index("type") + 1 if os_.find("type") is not None else 0
    os_.insert(position, ET.Element("boot", dev=_LIBVIRT_BOOT[boot]))
    return ET.tostring(domain, encoding="unicode")


def boot_device_of(xml: str) -> BootDevice | None:
    """The boot device a domain definition names first, or None if it is neither network nor disk."""
    boot = ET.fromstring(xml).find("os/boot")
    dev = None if boot is None else boot.get("dev")
    for ours, theirs in _LIBVIRT_BOOT.items():
        if dev == theirs:
            return check_boot_device(ours)
    return None
