"""A simulated host booting from its BMC's virtual CD: the BMC reads the inserted image, the host boots it.

When the host starts with boot device ``cdrom`` (an IPMI ``bootdev cdrom`` or a Redfish override to ``Cd``)
while the BMC's virtual media slot holds an image, :class:`VirtualCdBoot` is the boot attempt instead of the
node backend's: the BMC fetches the image over HTTP(S) from its own address (as a real BMC's virtual media
does), checks that it is an ISO 9660 image (the ``CD001`` identifier of its first volume descriptor) and the
host "boots" it: the console shows the CD boot, a kernel and a login prompt, and the journal records it as
PXE boots are (``host boot`` with ``boot_device: virtual-cd`` and the image, then ``host boot-outcome`` with
``kind``, HTTP ``status`` and ``bytes`` read, then ``host os-running``).  A missing, unreadable or non-ISO
image, or one outside the networks the rack may reach, fails the boot (``kind: failed`` with the reason) and
the console shows "No bootable device".  Power off or a reset cancels a read in flight.  The image is
counted and dropped as it streams: only its first 36 KiB are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from twisted.internet import endpoints, protocol, ssl
from twisted.internet.defer import Deferred
from twisted.web import client
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer

from vrack.journal import Journal

BOOT_DEVICE = "virtual-cd"
ISO_MAGIC_AT = 32769  # ISO 9660: volume descriptors start at sector 16 (2048-byte sectors), id at byte 1
ISO_MAGIC = b"CD001"
KEEP = 36 * 1024
TIMEOUT = 30.0


@implementer(IAgentEndpointFactory)
class _FromBmcAddress:
    """Connections from the BMC's own address when ``source`` is given (IP literals only: no resolver thread
    pool)."""

    def __init__(self, reactor: Any, source: str | None) -> None:
        self.reactor, self.source = reactor, source

    def endpointForURI(self, uri: Any) -> Any:
        host = uri.host.decode()
        bind = (self.source, 0) if self.source else None
        endpoint: Any = endpoints.TCP4ClientEndpoint(self.reactor, host, uri.port, timeout=TIMEOUT, bindAddress=bind)
        if uri.scheme == b"https":
            endpoint = endpoints.wrapClientTLS(ssl.optionsForClientTLS(host), endpoint)
        return endpoint


class _Reader(protocol.Protocol):
    """Counts an image's bytes, keeping the first :data:`KEEP`."""

    def __init__(self, done: Deferred[tuple[int, bytes]]) -> None:
        self.done, self.size, self.head = done, 0, bytearray()

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if len(self.head) < KEEP:
            self.head += data[: KEEP - len(self.head)]

    def connectionLost(self, reason: Any = None) -> None:
        if reason is not None and not reason.check(client.ResponseDone, PotentialDataLoss):
            self.done.errback(reason)
        else:
            self.done.callback((self.size, bytes(self.head)))


class VirtualCdBoot:
    """The boot of one node from its BMC's virtual CD (see the module docstring)."""

    def __init__(
        self,
        node: str,
        reactor: Any,
        journal: Journal,
        console: Any,
        bmc_address: str | None,
        allow: Callable[[str], bool],
    ) -> None:
        self.node, self.reactor, self.journal, self.console = node, reactor, journal, console
        self.allow = allow
        self._agent = client.Agent.usingEndpointFactory(reactor, _FromBmcAddress(reactor, bmc_address))
        self._request: Deferred[Any] | None = None
        self.running = False
        self.os_running = False  # the live CD's system is up (it takes ACPI requests)

    def boot(self, image: str, cause: str) -> None:
        """Read ``image`` and boot it (the host has just started with the virtual CD as boot device)."""
        self.cancel()
        self.running = True
        self.journal.append(self.node, "host", "boot", boot_device=BOOT_DEVICE, image=image, cause=cause)
        if urlsplit(image).scheme not in ("http", "https"):
            self._failed(image, 0, 0, "this BMC reads virtual media over http(s) only")
            return
        if not self.allow(image):
            self._failed(image, 0, 0, "the image is outside the networks this rack may reach")
            return
        d = self._agent.request(b"GET", image.encode(), Headers({b"User-Agent": [b"vrack-bmc-virtual-media"]}))
        self._request = d
        d.addCallback(self._read, image)
        d.addErrback(self._unreachable, image)

    def cancel(self) -> None:
        """Power off or reset: stop reading and forget the boot."""
        self.running = self.os_running = False
        request, self._request = self._request, None
        if request is not None:
            request.cancel()

    def _read(self, response: Any, image: str) -> Deferred[Any] | None:
        status = int(response.code)
        if status != 200:
            response.deliverBody(protocol.Protocol())  # drop the error page
            self._failed(image, status, 0, f"HTTP {status}")
            return None
        done: Deferred[tuple[int, bytes]] = Deferred()
        response.deliverBody(_Reader(done))
        return done.addCallback(lambda result: self._booted(image, status, *result))

    def _unreachable(self, failure: Any, image: str) -> None:
        from twisted.internet.defer import CancelledError

        if failure.check(CancelledError) or not self.running:
            return
        self._failed(image, 0, 0, f"cannot read the image: {failure.getErrorMessage()}")

    def _booted(self, image: str, status: int, size: int, head: bytes) -> None:
        if not self.running:
            return
        self._request = None
        if head[ISO_MAGIC_AT : ISO_MAGIC_AT + len(ISO_MAGIC)] != ISO_MAGIC:
            self._failed(image, status, size, "not an ISO 9660 image (no CD001 volume descriptor)")
            return
        name = urlsplit(image).path.rsplit("/", 1)[-1] or image
        self.journal.append(self.node, "host", "boot-outcome", kind=BOOT_DEVICE, image=image, status=status, bytes=size)
        self.journal.append(self.node, "host", "os-running", kernel=f"{name}:/isolinux/vmlinuz", microkernel=False)
        self.os_running = True
        if self.console is not None:
            self.console.kernel(f"{name}:/isolinux/vmlinuz", f"initrd=initrd.img boot=live cdroot={name}")
            self.console.os_running(self.node, f"Linux (live CD {name})")

    def _failed(self, image: str, status: int, size: int, reason: str) -> None:
        self._request = None
        self.journal.append(
            self.node, "host", "boot-outcome", kind="failed", image=image, status=status, bytes=size, reason=reason
        )
        if self.console is not None:
            self.console.boot_failed(f"Virtual CD: {reason}")
