"""A compute node's network boot, from power-on to a kernel: PXE ROM, then iPXE, then RackHD's scripts.

:meth:`NetbootNode.boot` with ``device="pxe"`` tries each NIC in order like a BIOS:

1. PXE ROM: DHCP (``Mode.PXE``), the leased address goes on the NIC, proxyDHCP when the offer says
   ``PXEClient`` without a boot file, then TFTP of the boot file.
2. The boot file decides what runs next.  A file starting with ``#!ipxe`` is interpreted as a script.
   An iPXE binary (``*.ipxe``, ``*.kpxe``, ``*.kkpxe``, ``*.efi``, ``*.pxe``, ``*.lkrn``) is not
   executed: the node switches to iPXE behaviour with the binary's embedded script, which for
   RackHD's ``monorail*`` builds is ``echo MonoRail iPXE / set user-class MonoRail / autoboot`` and for
   stock iPXE ``autoboot``.  Anything else (``pxelinux.0``) ends in ``failed``.
3. iPXE DHCPs again (``Mode.IPXE``, user class ``MonoRail``), chains the boot file it is given (an
   http URL from RackHD's proxy) and runs the profile scripts until ``boot`` of a kernel.

The Deferred fires with a :class:`BootOutcome` (it never fails): ``kernel`` (kernel URL, initrds,
arguments, NIC and address: where the microkernel takes over), ``local`` (iPXE or the ROM handed
control back: boot from disk; also ``device="disk"`` and friends, at once and without a packet),
``reboot``, ``poweroff``, ``failed`` (reason says why, with the PXE error code where there is one)
or ``cancelled``.  :meth:`NetbootNode.cancel` (power off) stops everything at once: timers
cancelled, sockets closed, the leased addresses taken off the NICs, nothing more sent.
"""

from __future__ import annotations

import contextlib
import uuid as uuid_module
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer

from node_sim import dhcp
from node_sim.bootlog import Emitter, Observer, ignore
from node_sim.dhcp_client import DhcpClient
from node_sim.dhcp_outcome import DhcpFailure, Lease, Mode
from node_sim.http import HttpFetcher
from node_sim.ipxe import IpxeInterpreter
from node_sim.ipxe_host import FetchResult, IpxeResult
from node_sim.ipxe_lang import tftp_target
from node_sim.netboot_types import (
    LOCAL_DEVICES,
    NETWORK_DEVICES,
    RACKHD_EMBEDDED_SCRIPT,
    STOCK_EMBEDDED_SCRIPT,
    BootOutcome,
    NicConfig,
    classify_bootfile,
)
from node_sim.tftp import TftpClient, TftpError
from node_sim.transport import DatagramLink, NicIO


@dataclass
class _Nic:
    config: NicConfig
    link: DatagramLink | None = None
    lease: Lease | None = None
    receivers: list[Callable[[bytes, tuple[str, int]], None]] = field(default_factory=list)


class NetbootNode:
    """One simulated node's firmware and boot loaders (see the module docstring).

    ``clock`` is the reactor in production (``IReactorTime``; without an ``http`` factory it also makes
    the HTTP connections), a ``task.Clock`` in tests.  ``io`` opens the NICs' sockets and sets their
    addresses (:class:`~node_sim.transport.NetnsIO`).  ``observer`` receives every :class:`BootEvent`.
    ``smbios`` adds ``serial``, ``asset``, ``product``, ``manufacturer`` for iPXE's variables.
    """

    def __init__(
        self,
        nics: list[NicConfig],
        uuid: str,
        clock: Any,
        io: NicIO,
        observer: Observer = ignore,
        *,
        name: str | None = None,
        smbios: Mapping[str, str] | None = None,
        http: Callable[[Callable[[str, int], Any]], Any] | None = None,
        proxy_wait: float = 1.0,
        tftp_timeout: float = 1.0,
        http_timeout: float = 60.0,
        max_steps: int = 10_000,
    ) -> None:
        if not nics:
            raise ValueError("a node needs at least one NIC")
        self.nics = [_Nic(n) for n in nics]
        self.uuid = str(uuid_module.UUID(uuid))
        self.clock = clock
        self.io = io
        self.name = name or nics[0].mac
        self.emit = Emitter(self.name, clock, observer)
        self.smbios_values = {"uuid": self.uuid, **(smbios or {})}
        self._http_factory = http or (lambda endpoint_for: HttpFetcher(clock, endpoint_for, timeout=http_timeout))
        self.proxy_wait = proxy_wait
        self.tftp_timeout = tftp_timeout
        self.max_steps = max_steps
        self.generation = 0
        self.arch = dhcp.ARCH_X86_BIOS  # of the boot in progress or the last one
        self._active: list[Any] = []  # clients and Deferreds to stop on cancel
        self._task: defer.Deferred[BootOutcome] | None = None
        self._result: defer.Deferred[BootOutcome] | None = None
        self._interpreter: IpxeInterpreter | None = None

    # -- public -----------------------------------------------------------------------------------

    @property
    def booting(self) -> bool:
        return self._result is not None

    def boot(self, device: str = "pxe", *, uefi: bool = False) -> defer.Deferred[BootOutcome]:
        """Boot from ``device`` (``pxe``/``network`` or a local device); see the module docstring.  ``uefi``: the
        firmware runs in UEFI mode, so its PXE client and iPXE's DHCP say x64 UEFI (option 93 = 7, vendor class
        ``PXEClient:Arch:00007``) and the DHCP server may hand out another boot file."""
        if self._result is not None:
            raise RuntimeError(f"{self.name} is already booting")
        device = device.lower()
        if device not in NETWORK_DEVICES + LOCAL_DEVICES:
            raise ValueError(f"unknown boot device {device!r}")
        self.generation += 1
        self.arch = dhcp.ARCH_X64_UEFI if uefi else dhcp.ARCH_X86_BIOS
        result: defer.Deferred[BootOutcome] = defer.Deferred(lambda _d: self.cancel())
        self._result = result
        self.emit("boot.start", device=device, generation=self.generation, arch=self.arch)
        if device in LOCAL_DEVICES:
            self._deliver(BootOutcome("local", device=device, reason=f"boot device {device}"))
            return result
        task = defer.Deferred.fromCoroutine(self._pxe_boot())
        self._task = task
        task.addCallbacks(self._deliver, self._crashed)
        return result

    def cancel(self) -> None:
        """Power off mid-boot: stop every timer and socket at once; the boot ends ``cancelled``."""
        if self._result is None:
            return
        self._deliver(BootOutcome("cancelled", reason="powered off"))
        self._teardown(release=True)
        task, self._task = self._task, None
        if task is not None and not task.called:
            task.cancel()

    # -- boot flow --------------------------------------------------------------------------------

    async def _pxe_boot(self) -> BootOutcome:
        failure = "no network device"
        for index, nic in enumerate(self.nics):
            try:
                lease = await self._dhcp(index, Mode.PXE, None)
            except DhcpFailure as exc:
                failure = str(exc)
                continue
            if not lease.bootfile:
                failure = "PXE-E53: no boot filename received"
                self.emit("pxe.no_bootfile", mac=nic.config.mac)
                continue
            server = lease.tftp_server
            if server is None:
                failure = "PXE-E53: no TFTP server for the boot file"
                continue
            try:
                fetched = await self._tftp(index, server, 69, lease.bootfile, "pxe")
            except TftpError as exc:
                failure = f"PXE-E32: TFTP open timeout or error: {exc}"
                continue
            assert fetched.data is not None
            kind = classify_bootfile(lease.bootfile, fetched.data)
            self.emit("pxe.nbp", mac=nic.config.mac, bootfile=lease.bootfile, kind=kind, size=fetched.size)
            if kind == "unsupported":
                failure = f"unsupported network bootstrap program {lease.bootfile!r}"
                continue
            if kind == "script":
                script = fetched.data.decode("utf-8", "replace")
            else:
                script = RACKHD_EMBEDDED_SCRIPT if kind == "rackhd-ipxe" else STOCK_EMBEDDED_SCRIPT
            interpreter = IpxeInterpreter(_Host(self), self.clock, max_steps=self.max_steps)
            interpreter.current_nic = index
            interpreter.cwuri = f"tftp://{server}/"
            if self.arch == dhcp.ARCH_X64_UEFI:
                interpreter.settings["platform"] = "efi"  # an EFI iPXE (snponly.efi, ipxe.efi) says so
            self._interpreter = interpreter
            return self._outcome(await interpreter.run(script))
        return BootOutcome("failed", reason=failure)

    def _outcome(self, result: IpxeResult) -> BootOutcome:
        nic = self.nics[result.nic] if result.nic is not None and result.nic < len(self.nics) else None
        lease = nic.lease if nic else None
        common: dict[str, Any] = {
            "nic": nic.config if nic else None,
            "ip": lease.address if lease else None,
            "prefixlen": lease.prefixlen if lease else None,
            "gateway": lease.gateway if lease else None,
            "server": lease.server_id if lease else None,
            "lease_seconds": lease.lease_seconds if lease else None,
            "lease": lease,
        }
        if result.kind == "kernel" and result.kernel is not None:
            initrds = tuple(i.url for i in result.initrds)
            return BootOutcome(
                "kernel",
                kernel=result.kernel.url,
                initrd=initrds,
                args=result.args,
                kernel_size=result.kernel.size,
                **common,
            )
        kind = {"exit": "local", "sanboot": "local"}.get(result.kind, result.kind)
        return BootOutcome(kind, reason=result.reason, **common)

    def _deliver(self, outcome: BootOutcome) -> None:
        result, self._result = self._result, None
        if result is None:
            return
        self.emit("boot.outcome", **outcome.as_dict())
        if outcome.kind != "cancelled":
            self._teardown(release=False)
            self._task = None
        result.callback(outcome)

    def _crashed(self, failure: Any) -> None:
        if failure.check(defer.CancelledError):
            return
        self._deliver(BootOutcome("failed", reason=f"internal error: {failure.getErrorMessage()}"))

    def _teardown(self, release: bool) -> None:
        active, self._active = self._active, []
        for thing in active:
            thing.cancel()
        for nic in self.nics:
            link, nic.link = nic.link, None
            nic.receivers.clear()
            if link is not None:
                link.close()
            if release and nic.lease is not None:
                lease, nic.lease = nic.lease, None
                with contextlib.suppress(OSError):
                    self.io.release_ip(nic.config.interface, lease.address, lease.prefixlen)

    # -- protocol steps ---------------------------------------------------------------------------

    def _port68(self, nic: _Nic) -> None:
        if nic.link is None:

            def deliver(data: bytes, source: tuple[str, int]) -> None:
                for receiver in list(nic.receivers):
                    receiver(data, source)

            nic.link = self.io.open_udp(nic.config.interface, "0.0.0.0", dhcp.CLIENT_PORT, deliver)

    async def _dhcp(self, index: int, mode: Mode, user_class: str | None) -> Lease:
        nic = self.nics[index]
        self._port68(nic)
        link = nic.link
        assert link is not None

        def bound(lease: Lease) -> None:
            previous = nic.lease.address if nic.lease else None
            self.io.configure_ip(nic.config.interface, lease.address, lease.prefixlen, previous)
            nic.lease = lease
            self.emit("ip.configure", interface=nic.config.interface, address=f"{lease.address}/{lease.prefixlen}")

        client = DhcpClient(
            nic.config.mac,
            self.uuid,
            self.clock,
            link.send,
            mode=mode,
            user_class=user_class,
            arch=self.arch,
            generation=self.generation * 1000 + len(self._active),
            proxy_wait=self.proxy_wait,
            on_bound=bound,
            emit=self.emit,
        )
        nic.receivers.append(client.datagram_received)
        self._active.append(client)
        try:
            lease = await client.start()
        finally:
            if client.datagram_received in nic.receivers:
                nic.receivers.remove(client.datagram_received)
        nic.lease = lease
        return lease

    async def _tftp(self, index: int, server: str, port: int, filename: str, verb: str) -> FetchResult:
        nic = self.nics[index]
        if nic.lease is None:
            raise TftpError(-1, f"net{index} has no address")
        holder: list[TftpClient] = []
        link = self.io.open_udp(
            nic.config.interface, nic.lease.address, 0, lambda d, s: holder[0].datagram_received(d, s)
        )
        client = TftpClient(self.clock, link.send, server, filename, port=port, timeout=self.tftp_timeout)
        holder.append(client)
        self._active.append(client)
        started = float(self.clock.seconds())
        url = f"tftp://{server}/{filename}"
        try:
            result = await client.start()
        except TftpError as exc:
            self.emit("tftp.fetch", verb=verb, url=url, ok=False, error=str(exc))
            raise
        finally:
            link.close()
        elapsed = float(self.clock.seconds()) - started
        self.emit(
            "tftp.fetch",
            verb=verb,
            url=url,
            ok=True,
            size=len(result.data),
            blksize=result.blksize,
            tsize=result.tsize,
            retransmits=result.retransmits,
            seconds=round(elapsed, 6),
        )
        return FetchResult(url, len(result.data), result.data)

    async def _http(self, index: int, url: str, verb: str, keep: bool) -> FetchResult:
        nic = self.nics[index]
        if nic.lease is None:
            raise OSError(f"net{index} has no address")
        source = nic.lease.address
        fetcher = self._http_factory(
            lambda host, port: self.io.tcp_endpoint(nic.config.interface, source, host, port, 30.0)
        )
        request = fetcher.get(url, keep=keep)
        self._active.append(request)
        started = float(self.clock.seconds())
        try:
            result = await request
        except defer.CancelledError:
            raise
        except Exception as exc:
            self.emit("http.fetch", verb=verb, url=url, source=source, ok=False, error=str(exc))
            raise
        finally:
            if request in self._active:
                self._active.remove(request)
        elapsed = float(self.clock.seconds()) - started
        self.emit(
            "http.fetch", verb=verb, url=url, source=source, ok=True, status=result.status, size=result.size,
            seconds=round(elapsed, 6),
        )  # fmt: skip
        return FetchResult(result.url, result.size, result.body)


class _Host:
    """The machine as iPXE sees it: NIC settings, SMBIOS, fetch and DHCP through the node."""

    def __init__(self, node: NetbootNode) -> None:
        self.node = node

    def nic_count(self) -> int:
        return len(self.node.nics)

    def nic_setting(self, index: int, name: str) -> str | None:
        nic = self.node.nics[index]
        if name == "mac":
            return nic.config.mac
        lease = nic.lease
        if lease is None:
            return None
        values = {
            "ip": lease.address,
            "netmask": lease.netmask,
            "gateway": lease.gateway,
            "filename": lease.bootfile or None,
            "next-server": lease.tftp_server,
        }
        return values.get(name)

    def smbios(self, name: str) -> str | None:
        return self.node.smbios_values.get(name)

    def echo(self, text: str) -> None:
        self.node.emit("ipxe.echo", text=text)

    def _current(self) -> int:
        interpreter = self.node._interpreter
        index = interpreter.current_nic if interpreter is not None else 0
        if self.node.nics[index].lease is None:
            index = next((i for i, n in enumerate(self.node.nics) if n.lease is not None), index)
        return index

    def fetch(self, url: str, verb: str, keep: bool) -> defer.Deferred[FetchResult]:
        index = self._current()
        if url.startswith("tftp://"):
            host, port, filename = tftp_target(url)
            return defer.Deferred.fromCoroutine(self.node._tftp(index, host, port, filename, verb))
        if url.startswith("http://"):
            return defer.Deferred.fromCoroutine(self.node._http(index, url, verb, keep))
        return defer.fail(ValueError(f"unsupported URI scheme in {url!r}"))

    def ifconf(self, index: int, user_class: str | None) -> defer.Deferred[bool]:
        async def run() -> bool:
            try:
                await self.node._dhcp(index, Mode.IPXE, user_class)
            except DhcpFailure:
                return False
            return True

        return defer.Deferred.fromCoroutine(run())
