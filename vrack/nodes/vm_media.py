"""The BMC's virtual CD as a VM node's CD-ROM drive.

When Redfish ``VirtualMedia.InsertMedia`` (or a PATCH of ``Image``/``Inserted``) puts an image in the BMC's
virtual CD slot, :meth:`VmMedia.insert` reads it over HTTP(S) (as a real BMC's virtual media client does; from
the rack process, where the simulated nodes' virtual CD reads it too) into a file QEMU may open, checks that it
is ISO 9660 (``CD001`` in the first volume descriptor) and puts the file in the VM's CD-ROM drive with
libvirt's ``updateDeviceFlags``: in the definition and, when the VM runs, live, so the guest sees a disc
arrive.  :meth:`VmMedia.eject` empties the drive (forced, as a BMC's eject is) and deletes the file.  A power
on with the boot device ``cdrom`` waits for an insert in progress (:meth:`VmMedia.ready`), so the firmware
finds the disc, as a real host finds its BMC's virtual drive at POST.

Each step is journalled on the node as ``host virtual-media`` (``action`` insert or eject, ``image``,
``result`` attached / ejected / failed, ``bytes``, and ``reason`` for a failure).  A read that fails or is not
an ISO leaves the drive empty.  Files live in ``media_dir`` (``/var/lib/libvirt/images/vrack/<rack>``:
libvirt's image directory, which QEMU's user may traverse, unlike a state directory under ``/root`` or
pytest's 0700 temporary directories).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from twisted.internet import protocol
from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.python.failure import Failure
from twisted.web import client
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers

from vrack.journal import Journal

ISO_MAGIC_AT = 32769
ISO_MAGIC = b"CD001"
MEDIA_ROOT = Path("/var/lib/libvirt/images/vrack")


class MediaDrive(Protocol):
    """What holds the disc: :meth:`vrack.nodes.vm.VmNode.set_media`."""

    def set_media(self, image: Path | None) -> Deferred[None]: ...


class _ToFile(protocol.Protocol):
    """Writes a response body to ``sink``, keeping the bytes up to the ISO identifier to check it."""

    def __init__(self, sink: IO[bytes], done: Deferred[tuple[int, bytes]]) -> None:
        self.sink, self.done, self.size, self.head = sink, done, 0, bytearray()

    def dataReceived(self, data: bytes) -> None:
        self.sink.write(data)
        self.size += len(data)
        if len(self.head) < ISO_MAGIC_AT + len(ISO_MAGIC):
            self.head += data[: ISO_MAGIC_AT + len(ISO_MAGIC) - len(self.head)]

    def connectionLost(self, reason: Any = None) -> None:
        if self.done.called:  # cancelled (an eject during the read)
            return
        if reason is not None and not reason.check(client.ResponseDone, PotentialDataLoss):
            self.done.errback(reason)
        else:
            self.done.callback((self.size, bytes(self.head)))

    def stop(self, _: object) -> None:
        """Cancelling the read: stop receiving (the connection closes)."""
        if self.transport is not None:
            self.transport.stopProducing()


class MediaRefused(Exception):
    """The image could not be read or is not a CD image (the message says why)."""


class VmMedia:
    """One VM node's CD-ROM drive fed from its BMC's virtual media slot (see the module docstring)."""

    def __init__(
        self,
        node: str,
        drive: MediaDrive,
        journal: Journal,
        reactor: Any,
        media_dir: Path,
        allow: Callable[[str], bool] = lambda url: True,
    ) -> None:
        self.node, self.drive, self.journal, self.reactor = node, drive, journal, reactor
        self.file = media_dir / f"{node}.iso"
        self.allow = allow
        self.image: str | None = None  # what the slot holds (attached or still being read)
        self._agent = client.Agent(reactor, connectTimeout=30)
        self._pending: Deferred[Any] | None = None  # the insert in progress
        self._busy: Deferred[None] = succeed(None)  # the last drive change: changes run one after another

    def changed(self, image: str | None) -> None:
        """The slot now holds ``image`` (None: empty): insert or eject when it differs from what it held."""
        if image == self.image:
            return
        if self.image is not None:
            self.eject()
        if image is not None:
            self.insert(image)

    def insert(self, image: str) -> None:
        """Read ``image`` and put it in the drive (see the module docstring)."""
        self.image = image
        d = self._read(image)
        self._pending = d

        def attach(size: int) -> Deferred[int]:
            return self._then(lambda: self.drive.set_media(self.file)).addCallback(lambda _: size)

        d.addCallback(attach)
        d.addCallbacks(
            lambda size: self._note("insert", image, "attached", bytes=size), self._refused, (), {}, (image,)
        )
        d.addBoth(self._done, d)

    def eject(self) -> None:
        """Empty the drive: stop a read in progress, take the disc out of the VM, delete the file."""
        image, self.image = self.image, None
        if self._pending is not None:
            self._pending.cancel()
        d = self._then(lambda: self.drive.set_media(None))
        d.addCallback(lambda _: self.remove_file())
        d.addCallbacks(lambda _: self._note("eject", image, "ejected"), self._refused, errbackArgs=(image, "eject"))

    def ready(self) -> Deferred[None]:
        """Fires once an insert or eject in progress has ended (at once when none is); never fails."""
        waiting: Deferred[None] = Deferred()

        def release(result: object) -> object:
            waiting.callback(None)
            return result

        (self._pending or self._busy).addBoth(release)
        return waiting

    # ------------------------------------------------------------------ steps
    def _read(self, image: str) -> Deferred[int]:
        if urlsplit(image).scheme not in ("http", "https"):
            return _refuse("this BMC reads virtual media over http(s) only")
        if not self.allow(image):
            return _refuse("the image is outside the networks this rack may reach")
        self.file.parent.mkdir(parents=True, exist_ok=True)
        sink = self.file.with_suffix(".part").open("wb")
        request = self._agent.request(b"GET", image.encode(), Headers({b"User-Agent": [b"vrack-bmc-virtual-media"]}))

        def body(response: Any) -> Deferred[tuple[int, bytes]]:
            if int(response.code) != 200:
                response.deliverBody(protocol.Protocol())
                raise MediaRefused(f"HTTP {int(response.code)}")
            reader = _ToFile(sink, Deferred())
            reader.done = Deferred(reader.stop)
            response.deliverBody(reader)
            return reader.done

        def check(result: tuple[int, bytes]) -> int:
            size, head = result
            if head[ISO_MAGIC_AT : ISO_MAGIC_AT + len(ISO_MAGIC)] != ISO_MAGIC:
                raise MediaRefused("not an ISO 9660 image (no CD001 volume descriptor)")
            self.file.with_suffix(".part").replace(self.file)
            return size

        def closed(result: Any) -> Any:
            sink.close()
            if isinstance(result, Failure):
                self.file.with_suffix(".part").unlink(missing_ok=True)
            return result

        request.addCallback(body)
        request.addBoth(closed)
        return request.addCallback(check)

    def _then(self, step: Callable[[], Deferred[None]]) -> Deferred[None]:
        """Run ``step`` after the drive changes already asked for (a libvirt call each, in a thread)."""
        mine: Deferred[None] = Deferred()
        previous, self._busy = self._busy, mine

        def run(_: object) -> None:
            step().chainDeferred(mine)

        previous.addBoth(run)
        return mine

    def remove_file(self) -> None:
        """Delete the downloaded image, and the rack's media directory once it is empty."""
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()
        with contextlib.suppress(OSError):
            self.file.parent.rmdir()

    def _refused(self, failure: Failure, image: str, action: str = "insert") -> None:
        if failure.check(CancelledError):
            return
        self._note(action, image, "failed", reason=_reason(failure))
        if action == "insert" and self.image == image:
            self.image = None

    def _done(self, result: object, d: Deferred[Any]) -> None:
        if self._pending is d:
            self._pending = None

    def _note(self, action: str, image: str | None, result: str, **fields: Any) -> None:
        self.journal.append(self.node, "host", "virtual-media", action=action, image=image, result=result, **fields)


def _refuse(reason: str) -> Deferred[int]:
    d: Deferred[int] = Deferred()
    d.errback(MediaRefused(reason))
    return d


def _reason(failure: Failure) -> str:
    if failure.check(MediaRefused):
        return str(failure.value)
    return f"cannot read the image: {failure.getErrorMessage()}"
