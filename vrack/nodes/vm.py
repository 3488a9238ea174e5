"""A compute node backed by a libvirt/QEMU VM that PXE-boots on the rack's provisioning bridge.

:class:`VmDomain` holds the blocking libvirt calls; :class:`VmNode` is the Twisted face of it, running
each call in the reactor's thread pool (``deferToThreadPool``) and returning a Deferred.  libvirt's
errors become :class:`VmError` in one place (:meth:`VmDomain._call`).

The domain is persistent (``defineXML``): :meth:`VmNode.power_on` rewrites ``<os><boot dev>`` to the
node's boot device, then starts it; :meth:`VmNode.power_off` is a hard ``destroy``; :meth:`VmNode.reset`
is a hard reset, or a destroy + start when the boot device changed since the VM started (QEMU keeps the
boot order of its start, a real BMC's boot override applies at the next reset).  libvirt-python is an
optional dependency (``pip install 'vrack[vm]'``), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, ParamSpec, Protocol, TypeVar

from twisted.internet.defer import Deferred

from vrack.nodes.vm_xml import BootDevice, VmConfig, cdrom_xml, check_boot_device, domain_xml, with_boot_device

PowerState = Literal["on", "off", "undefined"]
P = ParamSpec("P")
T = TypeVar("T")

# virDomainState values (libvirt-domain.h), so state() needs no libvirt import in tests.
_DOMAIN_SHUTOFF, _DOMAIN_CRASHED, _DOMAIN_NOSTATE = 5, 6, 0
_ERR_NO_DOMAIN = 42  # VIR_ERR_NO_DOMAIN
_AFFECT_LIVE, _AFFECT_CONFIG = 1, 2  # VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_AFFECT_CONFIG
_MODIFY_FORCE = 4  # VIR_DOMAIN_DEVICE_MODIFY_FORCE: eject even if the guest locked the tray
_ERR_OPERATION_INVALID = 55  # VIR_ERR_OPERATION_INVALID: e.g. destroy of a domain that is not running


class VmError(Exception):
    """A libvirt operation on a VM node failed; ``code`` is libvirt's error number (virErrorNumber)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class _Domain(Protocol):
    def create(self) -> int: ...
    def destroy(self) -> int: ...
    def reset(self, flags: int = 0) -> int: ...
    def undefine(self) -> int: ...
    def state(self, flags: int = 0) -> list[int]: ...
    def XMLDesc(self, flags: int = 0) -> str: ...
    def updateDeviceFlags(self, xml: str, flags: int = 0) -> int: ...


class _Connection(Protocol):
    def defineXML(self, xml: str) -> _Domain: ...
    def lookupByName(self, name: str) -> _Domain: ...
    def close(self) -> int: ...


def open_libvirt(uri: str) -> _Connection:
    """``libvirt.open(uri)``, imported on first use; libvirt's printing of errors is switched off."""
    import libvirt

    # libvirt's default handler prints every error (also "domain not found" that we expect) to stderr.
    libvirt.registerErrorHandler(_ignore_libvirt_error, None)
    conn: _Connection = libvirt.open(uri)
    return conn


def _ignore_libvirt_error(_context: object, _error: object) -> None:
    """Errors reach the caller as exceptions (VmError); nothing is printed."""


class VmDomain:
    """Blocking control of one VM node's libvirt domain (run these from a thread, or use VmNode)."""

    def __init__(self, config: VmConfig, boot: BootDevice, uri: str, connect: Callable[[str], _Connection]) -> None:
        self.config = config
        self.boot = boot
        self.uri = uri
        self._connect = connect
        self._conn: _Connection | None = None
        self._started_with: BootDevice | None = None

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one libvirt call; a libvirt error (an exception with ``get_error_code``) becomes VmError."""
        try:
            return fn(*args, **kwargs)
        except VmError:
            raise
        except Exception as error:
            get_code = getattr(error, "get_error_code", None)
            if not callable(get_code):
                raise
            code = get_code()
            raise VmError(f"{self.config.name}: {error}", code if isinstance(code, int) else None) from error

    def _connection(self) -> _Connection:
        if self._conn is None:
            self._conn = self._call(self._connect, self.uri)
        return self._conn

    def _lookup(self) -> _Domain | None:
        try:
            return self._call(self._connection().lookupByName, self.config.name)
        except VmError as error:
            if error.code == _ERR_NO_DOMAIN:
                return None
            raise

    def _running(self, domain: _Domain) -> bool:
        state = self._call(domain.state)[0]
        return state not in (_DOMAIN_SHUTOFF, _DOMAIN_CRASHED, _DOMAIN_NOSTATE)

    def define(self) -> _Domain:
        """Define (or redefine) the domain with the current boot device; the running VM is not changed."""
        domain = self._lookup()
        xml = domain_xml(self.config, self.boot)
        if domain is not None:
            xml = with_boot_device(self._call(domain.XMLDesc, 2), self.boot)  # VIR_DOMAIN_XML_INACTIVE
        return self._call(self._connection().defineXML, xml)

    def power_on(self, boot: BootDevice | None = None) -> None:
        """Start the VM from ``boot`` (default: the node's boot device); nothing if it already runs."""
        if boot is not None:
            self.boot = check_boot_device(boot)
        domain = self._lookup()
        if domain is not None and self._running(domain):
            return
        domain = self.define()
        self._call(domain.create)
        self._started_with = self.boot

    def power_off(self) -> None:
        """Hard power off (``destroy``); nothing if the VM is off or undefined."""
        domain = self._lookup()
        if domain is not None and self._running(domain):
            self._destroy(domain)

    def _destroy(self, domain: _Domain) -> None:
        try:
            self._call(domain.destroy)
        except VmError as error:
            if error.code != _ERR_OPERATION_INVALID:  # not: it stopped by itself meanwhile
                raise

    def reset(self) -> None:
        """Hard reset, from the current boot device; nothing if the VM is off."""
        domain = self._lookup()
        if domain is None or not self._running(domain):
            return
        if self._started_with == self.boot:
            self._call(domain.reset, 0)
            return
        self._destroy(domain)
        self.power_on()

    def set_boot_device(self, boot: BootDevice) -> None:
        """Boot from ``boot`` at the next power on or reset."""
        self.boot = check_boot_device(boot)
        if self._lookup() is not None:
            self.define()

    def set_media(self, image: Path | None) -> None:
        """Put ``image`` (a local ISO file) in the CD-ROM drive, or empty it (None): in the definition and, while
        the VM runs, live (QEMU's media change: the guest sees a disc inserted or ejected)."""
        domain = self._lookup() or self.define()
        flags = _AFFECT_CONFIG | (_AFFECT_LIVE if self._running(domain) else 0)
        if image is None:  # a BMC's eject takes the virtual drive's medium away whatever the guest thinks
            flags |= _MODIFY_FORCE
        self._call(domain.updateDeviceFlags, cdrom_xml(image), flags)

    def state(self) -> PowerState:
        """``on`` (running, paused, ...), ``off`` (defined, not running) or ``undefined``."""
        domain = self._lookup()
        if domain is None:
            return "undefined"
        return "on" if self._running(domain) else "off"

    def undefine(self) -> None:
        """Power off and remove the domain definition; nothing if it is not defined."""
        domain = self._lookup()
        if domain is None:
            return
        if self._running(domain):
            self._destroy(domain)
        self._call(domain.undefine)
        self._started_with = None

    def close(self) -> None:
        """Close the libvirt connection (a later call opens a new one)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._call(conn.close)


class VmNode:
    """A VM node: every method runs :class:`VmDomain`'s blocking call in a thread and returns a Deferred.

    ``reactor`` (the rack's; never a global fallback) must provide IReactorThreads.
    ``connect`` opens a libvirt connection for a URI (default :func:`open_libvirt`).
    """

    def __init__(
        self,
        name: str,
        macs: Sequence[str],
        boot_device: BootDevice = "pxe",
        libvirt_uri: str = "qemu:///system",
        bridge: str = "prov0",
        *,
        serial_log: Path,
        serial_socket: Path | None = None,
        memory_mib: int = 256,
        nic_model: str = "virtio",
        disk: Path | None = None,
        reactor: Any,
        connect: Callable[[str], _Connection] = open_libvirt,
    ) -> None:
        config = VmConfig(
            name=name,
            macs=tuple(mac.lower() for mac in macs),
            bridge=bridge,
            serial_log=serial_log,
            serial_socket=serial_socket,
            memory_mib=memory_mib,
            nic_model=nic_model,
            disk=disk,
        )
        self.domain = VmDomain(config, check_boot_device(boot_device), libvirt_uri, connect)
        self._reactor = reactor

    @property
    def name(self) -> str:
        return self.domain.config.name

    @property
    def boot_device(self) -> BootDevice:
        return self.domain.boot

    def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Deferred[T]:
        from twisted.internet.threads import deferToThreadPool

        return deferToThreadPool(self._reactor, self._reactor.getThreadPool(), fn, *args, **kwargs)

    def define(self) -> Deferred[None]:
        """Define the domain (powered off) so ``virsh list --all`` shows it."""
        return self._run(self._define)

    def _define(self) -> None:
        self.domain.define()

    def power_on(self, boot: BootDevice | None = None) -> Deferred[None]:
        """Rewrite ``<os><boot dev>`` to ``boot`` (default: the node's boot device), then start."""
        return self._run(self.domain.power_on, boot)

    def power_off(self) -> Deferred[None]:
        """Hard power off (libvirt ``destroy``)."""
        return self._run(self.domain.power_off)

    def reset(self) -> Deferred[None]:
        """Hard reset (picks up a boot device set since the start)."""
        return self._run(self.domain.reset)

    def set_boot_device(self, boot: BootDevice) -> Deferred[None]:
        """Boot from ``boot`` (``pxe``, ``disk`` or ``cdrom``) at the next power on or reset."""
        return self._run(self.domain.set_boot_device, boot)

    def set_media(self, image: Path | None) -> Deferred[None]:
        """Insert ``image`` in the CD-ROM drive, or eject (None); live when the VM runs."""
        return self._run(self.domain.set_media, image)

    def state(self) -> Deferred[PowerState]:
        """``on``, ``off`` or ``undefined``."""
        return self._run(self.domain.state)

    def undefine(self) -> Deferred[None]:
        """Power off and remove the domain definition."""
        return self._run(self.domain.undefine)

    def close(self) -> Deferred[None]:
        """Close the libvirt connection."""
        return self._run(self.domain.close)
