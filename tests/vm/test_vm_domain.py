"""VmDomain/VmNode logic against an in-memory libvirt double (no libvirt, no threads)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.python.failure import Failure

from vrack.nodes.vm import VmError, VmNode
from vrack.nodes.vm_xml import boot_device_of, cdrom_image_of

RUNNING, SHUTOFF = 1, 5


class FakeLibvirtError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    def get_error_code(self) -> int:
        return self.code


class FakeDomain:
    def __init__(self, conn: FakeConnection, xml: str) -> None:
        self.conn, self.xml, self.running_xml, self.status = conn, xml, "", SHUTOFF

    def create(self) -> int:
        if self.status == RUNNING:
            raise FakeLibvirtError("already running", 55)
        self.conn.calls.append("create")
        self.status, self.running_xml = RUNNING, self.xml
        return 0

    def destroy(self) -> int:
        if self.status != RUNNING:
            raise FakeLibvirtError("domain is not running", 55)
        self.conn.calls.append("destroy")
        self.status = SHUTOFF
        return 0

    def reset(self, flags: int = 0) -> int:
        self.conn.calls.append("reset")
        return 0

    def undefine(self) -> int:
        self.conn.calls.append("undefine")
        del self.conn.domains[self.name]
        return 0

    def state(self, flags: int = 0) -> list[int]:
        return [self.status, 0]

    def XMLDesc(self, flags: int = 0) -> str:
        assert flags == 2, "the inactive definition must be the base of a redefinition"
        return self.xml

    def updateDeviceFlags(self, xml: str, flags: int = 0) -> int:
        """libvirt's media change: the CD-ROM ``<disk>`` of the definition (flag 2) and the running VM (flag 1)."""
        self.conn.calls.append(f"media:{flags}:{cdrom_image_of(f'<domain><devices>{xml}</devices></domain>')}")
        if flags & 1 and self.status != RUNNING:
            raise FakeLibvirtError("domain is not running", 55)

        def swap(domain_xml: str) -> str:
            root = ET.fromstring(domain_xml)
            devices = root.find("devices")
            assert devices is not None
            old = next(d for d in devices.findall("disk") if d.get("device") == "cdrom")
            devices.insert(list(devices).index(old), ET.fromstring(xml))
            devices.remove(old)
            return ET.tostring(root, encoding="unicode")

        if flags & 2:
            self.xml = swap(self.xml)
        if flags & 1:
            self.running_xml = swap(self.running_xml)
        return 0

    @property
    def name(self) -> str:
        return self.xml.split("<name>")[1].split("</name>")[0]


class FakeConnection:
    def __init__(self) -> None:
        self.domains: dict[str, FakeDomain] = {}
        self.calls: list[str] = []
        self.closed = False

    def defineXML(self, xml: str) -> FakeDomain:
        self.calls.append(f"define:{boot_device_of(xml)}")
        name = xml.split("<name>")[1].split("</name>")[0]
        domain = self.domains.get(name)
        if domain is None:
            domain = self.domains[name] = FakeDomain(self, xml)
        domain.xml = xml
        return domain

    def lookupByName(self, name: str) -> FakeDomain:
        if name not in self.domains:
            raise FakeLibvirtError(f"Domain not found: no domain with matching name '{name}'", 42)
        return self.domains[name]

    def close(self) -> int:
        self.closed = True
        return 0


def _sync(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
    return maybeDeferred(fn, *args, **kwargs)


def _result(d: Deferred[Any]) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    assert box, "the Deferred did not fire"
    if isinstance(box[0], Failure):
        box[0].raiseException()
    return box[0]


@pytest.fixture
def node_and_conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[VmNode, FakeConnection]:
    conn = FakeConnection()
    uris: list[str] = []

    def connect(uri: str) -> FakeConnection:
        uris.append(uri)
        return conn

    node = VmNode("vrt-vm-fake", ["52:54:00:E8:00:01"], "pxe", "qemu:///system", "prov0",
                  serial_log=tmp_path / "serial.log", reactor=None, connect=connect)  # fmt: skip
    monkeypatch.setattr(node, "_run", _sync)
    return node, conn


def test_power_on_defines_with_the_boot_device_then_starts(node_and_conn: tuple[VmNode, FakeConnection]) -> None:
    node, conn = node_and_conn
    assert _result(node.state()) == "undefined"
    _result(node.power_on())
    assert conn.calls == ["define:pxe", "create"] and _result(node.state()) == "on"
    assert "52:54:00:e8:00:01" in conn.domains["vrt-vm-fake"].xml  # MACs are normalised to lower case
    _result(node.power_on())  # already on: nothing happens
    assert conn.calls == ["define:pxe", "create"]
    _result(node.power_off())
    _result(node.power_off())  # already off: nothing happens
    assert conn.calls[-1] == "destroy" and conn.calls.count("destroy") == 1 and _result(node.state()) == "off"
    _result(node.power_on("disk"))
    assert conn.calls[-2:] == ["define:disk", "create"] and node.boot_device == "disk"


def test_reset_picks_up_a_changed_boot_device(node_and_conn: tuple[VmNode, FakeConnection]) -> None:
    """Same boot device: a plain reset.  Changed since start: destroy and start with the new one."""
    node, conn = node_and_conn
    _result(node.reset())
    assert conn.calls == []  # off: nothing to reset
    _result(node.power_on())
    _result(node.reset())
    assert conn.calls[-1] == "reset"
    _result(node.set_boot_device("disk"))
    assert conn.calls[-1] == "define:disk" and conn.domains["vrt-vm-fake"].running_xml.count("network") == 1
    _result(node.reset())
    assert conn.calls[-3:] == ["destroy", "define:disk", "create"]
    assert boot_device_of(conn.domains["vrt-vm-fake"].running_xml) == "disk"


def test_media_goes_in_the_definition_and_live_into_a_running_vm(node_and_conn: tuple[VmNode, FakeConnection]) -> None:
    """Insert before definition defines the domain (config only); into a running VM live too; the disc stays in
    across a redefinition for another boot device; eject is forced (flag 4) and empties both."""
    node, conn = node_and_conn
    iso = Path("/var/lib/libvirt/images/vrack/r/n.iso")
    _result(node.set_media(iso))
    assert conn.calls == ["define:pxe", f"media:2:{iso}"]
    domain = conn.domains["vrt-vm-fake"]
    assert cdrom_image_of(domain.xml) == str(iso)
    _result(node.power_on("cdrom"))
    assert conn.calls[-2:] == ["define:cdrom", "create"] and cdrom_image_of(domain.running_xml) == str(iso)
    _result(node.set_media(None))
    assert conn.calls[-1] == "media:7:None"
    assert cdrom_image_of(domain.xml) is None and cdrom_image_of(domain.running_xml) is None
    _result(node.set_media(iso))
    assert conn.calls[-1] == f"media:3:{iso}" and cdrom_image_of(domain.running_xml) == str(iso)
    _result(node.power_off())
    _result(node.power_on("pxe"))
    assert boot_device_of(domain.running_xml) == "pxe" and cdrom_image_of(domain.running_xml) == str(iso)


def test_set_boot_device_before_definition_and_undefine(node_and_conn: tuple[VmNode, FakeConnection]) -> None:
    node, conn = node_and_conn
    _result(node.set_boot_device("disk"))
    assert conn.calls == [] and node.boot_device == "disk"
    _result(node.define())
    assert _result(node.state()) == "off" and conn.calls == ["define:disk"]
    _result(node.power_on())
    _result(node.undefine())
    assert conn.calls[-2:] == ["destroy", "undefine"] and _result(node.state()) == "undefined"
    _result(node.undefine())
    _result(node.close())
    assert conn.closed
    with pytest.raises(ValueError, match="boot device"):
        _result(node.set_boot_device("floppy"))  # type: ignore[arg-type]


def test_libvirt_errors_become_vm_errors(node_and_conn: tuple[VmNode, FakeConnection]) -> None:
    node, conn = node_and_conn

    def refuse(xml: str) -> FakeDomain:
        raise FakeLibvirtError("unsupported configuration: bridge prov0 not found", 67)

    conn.defineXML = refuse  # type: ignore[method-assign]
    with pytest.raises(VmError, match="vrt-vm-fake: unsupported configuration") as raised:
        _result(node.power_on())
    assert raised.value.code == 67


def test_real_threads_run_the_blocking_calls(tmp_path: Path) -> None:
    """Without the synchronous stand-in, calls go through the reactor's thread pool."""
    from twisted.internet.testing import MemoryReactor

    class ThreadedReactor(MemoryReactor):
        def __init__(self) -> None:
            super().__init__()
            self.pool_calls: list[Callable[[], Any]] = []

        def getThreadPool(self) -> Any:
            outer = self

            class Pool:
                def callInThreadWithCallback(self, on_result: Any, fn: Any, *a: Any, **kw: Any) -> None:
                    outer.pool_calls.append(lambda: on_result(True, fn(*a, **kw)))

            return Pool()

        def callFromThread(self, fn: Any, *a: Any, **kw: Any) -> None:
            fn(*a, **kw)

    reactor = ThreadedReactor()
    conn = FakeConnection()
    node = VmNode("vrt-vm-t", ["52:54:00:e8:00:09"], serial_log=tmp_path / "s", reactor=reactor, connect=lambda _: conn)
    d = node.state()
    assert not d.called and len(reactor.pool_calls) == 1  # nothing ran on the reactor thread
    reactor.pool_calls.pop()()
    assert _result(d) == "undefined"
