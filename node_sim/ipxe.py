"""A small iPXE: runs iPXE scripts the way iPXE does, against a host that fetches and DHCPs for it.

:class:`IpxeInterpreter` keeps iPXE's settings, loaded images and current working URI and runs
scripts (``#!ipxe``) line by line with iPXE's semantics: a line whose status is non-zero ends the
script with that status (``cmd || goto retry`` is how scripts catch failures), ``goto`` ends the
line, ``exit [n]`` ends the script, ``chain`` runs a fetched script and returns its status.
:meth:`IpxeInterpreter.run` ends in an :class:`IpxeResult`: ``kernel`` (``boot`` of a loaded
kernel), ``exit`` (iPXE gave control back to the BIOS: boot the next device), ``sanboot``,
``reboot``, ``poweroff`` or ``failed`` (e.g. the loop guard of ``max_steps`` commands tripped).

Commands: set/clear/inc, echo, goto/:labels, isset, iseq, sleep (on the injected clock), exit,
chain/imgexec, kernel/imgselect/imgload, initrd/imgfetch/module, imgargs, imgfree, boot,
ifconf/dhcp, autoboot, ifopen/ifclose/ifstat/route (no-ops), prompt (no key is ever pressed),
reboot, poweroff, sanboot, shell.  Unknown commands fail like iPXE's "command not found".
Variables: user settings, ``netN/…`` (mac, ip, netmask, gateway, filename, next-server, …) from the
host, ``uuid``/``serial``/``asset``/``product``/``manufacturer`` (SMBIOS), ``platform`` (pcbios),
``buildarch`` (x86_64).
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, task

from node_sim.ipxe_host import Image, IpxeHost, IpxeResult
from node_sim.ipxe_lang import (
    ECANCELED,
    EINVAL,
    ENOENT,
    ENOEXEC,
    ERANGE,
    Frame,
    compile_script,
    expand,
    format_mac,
    image_name,
    parse_options,
    resolve_uri,
    split_line,
)
from node_sim.ipxe_lang import split_setting_name as _split

MAX_SCRIPT_DEPTH = 16
BUILTINS = {"platform": "pcbios", "buildarch": "x86_64", "version": "1.21.1+", "product-name": "iPXE"}
SMBIOS_NAMES = ("uuid", "serial", "asset", "product", "manufacturer", "board-serial")
NIC_NAMES = ("mac", "ip", "netmask", "gateway", "filename", "next-server", "dns", "domain", "hostname", "busid")
IMAGE_OPTIONS = {"name", "n", "timeout", "t"}


class _Terminal(Exception):
    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(reason or kind)
        self.kind = kind
        self.reason = reason


class _Booted(Exception):
    def __init__(self, kernel: Image) -> None:
        super().__init__(kernel.name)
        self.kernel = kernel


class IpxeInterpreter:
    """Runs scripts for one node (see the module docstring)."""

    def __init__(self, host: IpxeHost, clock: Any, *, max_steps: int = 10_000) -> None:
        self.host = host
        self.clock = clock
        self.max_steps = max_steps
        self.settings: dict[str, str] = {}
        self.images: list[Image] = []
        self.selected: Image | None = None
        self.cwuri: str | None = None
        self.current_nic = 0
        self.steps = 0
        self._frames: list[Frame] = []

    # -- entry points -----------------------------------------------------------------------------

    def run(self, script: str) -> defer.Deferred[IpxeResult]:
        """Run ``script`` (e.g. an embedded script) to its end; never fails, see :class:`IpxeResult`."""
        return defer.Deferred.fromCoroutine(self._run(script))

    async def _run(self, script: str) -> IpxeResult:
        try:
            status = await self.run_script(script)
        except _Booted as booted:
            initrds = tuple(i for i in self.images if i is not booted.kernel)
            return IpxeResult("kernel", booted.kernel, initrds, booted.kernel.args, self.current_nic, 0, "", self.steps)
        except _Terminal as terminal:
            return IpxeResult(terminal.kind, nic=self.current_nic, reason=terminal.reason, steps=self.steps)
        reason = "script exited" if status == 0 else f"script failed with status {status}"
        return IpxeResult("exit", nic=self.current_nic, status=status, reason=reason, steps=self.steps)

    async def run_script(self, text: str) -> int:
        """Execute one script; returns its exit status (0 = success)."""
        if len(self._frames) >= MAX_SCRIPT_DEPTH:
            self.host.echo("Too many nested scripts")
            return ENOEXEC
        frame = compile_script(text)
        self._frames.append(frame)
        try:
            while frame.pc < len(frame.lines):
                line = frame.lines[frame.pc].strip()
                frame.pc += 1
                if not line or line.startswith("#") or line.startswith(":"):
                    continue
                status = await self.run_line(line)
                if frame.control == "exit":
                    return frame.exit_status
                if frame.control == "goto":
                    frame.control = None
                    continue
                if status != 0:
                    return status
            return 0
        finally:
            self._frames.pop()

    async def run_line(self, line: str) -> int:
        """Execute one line with ``||``/``&&``/``;`` the way iPXE's ``system()`` does."""
        frame = self._frames[-1]
        status = 0
        process = True
        for segment in split_line(line):
            if process and segment.tokens:
                self.steps += 1
                if self.steps > self.max_steps:
                    raise _Terminal("failed", f"loop guard: more than {self.max_steps} commands")
                argv = [expand(token, self.lookup) for token in segment.tokens]
                status = await self.command(argv)
            if frame.control is not None or segment.separator is None:
                break
            process = (status == 0) if segment.separator == "&&" else (status != 0)
            if segment.separator == ";":
                process = True
        return status

    # -- settings ---------------------------------------------------------------------------------

    def lookup(self, name: str) -> str | None:
        scope, key, kind = _split(name)
        if scope is not None:
            scope = scope.split(".", 1)[0]
            if scope.startswith("net") and scope[3:].isdigit():
                return self._nic(int(scope[3:]), key, kind)
            if scope == "smbios":
                return self.host.smbios(key)
            return None
        if key in self.settings:
            return self.settings[key]
        if key in NIC_NAMES:
            return self._nic(self.current_nic, key, kind)
        if key in SMBIOS_NAMES:
            return self.host.smbios(key)
        return BUILTINS.get(key)

    def _nic(self, index: int, key: str, kind: str | None) -> str | None:
        if index >= self.host.nic_count():
            return None
        value = self.host.nic_setting(index, key)
        if value is not None and key == "mac":
            return format_mac(value, kind)
        return value

    def _set(self, name: str, value: str) -> None:
        _scope, key, _kind = _split(name)
        self.settings[key] = value

    # -- commands ---------------------------------------------------------------------------------

    async def command(self, argv: list[str]) -> int:
        name, args = argv[0], argv[1:]
        handler = getattr(self, "cmd_" + name.replace("-", "_"), None)
        if handler is None:
            self.host.echo(f"{name}: command not found")
            return ENOEXEC
        result: int = await handler(args)
        return result

    async def cmd_set(self, args: list[str]) -> int:
        if not args:
            return EINVAL
        self._set(args[0], " ".join(args[1:]))
        return 0

    async def cmd_clear(self, args: list[str]) -> int:
        if len(args) != 1:
            return EINVAL
        self.settings.pop(_split(args[0])[1], None)
        return 0

    async def cmd_inc(self, args: list[str]) -> int:
        if not 1 <= len(args) <= 2:
            return EINVAL
        key = _split(args[0])[1]
        try:
            value = int(self.settings.get(key) or "0", 0) + int(args[1] if len(args) > 1 else "1", 0)
        except ValueError:
            return EINVAL
        self.settings[key] = str(value)
        return 0

    async def cmd_echo(self, args: list[str]) -> int:
        _options, rest = parse_options(args, set())
        self.host.echo(" ".join(rest))
        return 0

    async def cmd_isset(self, args: list[str]) -> int:
        if len(args) > 1:
            return EINVAL
        return 0 if args and args[0] else ENOENT

    async def cmd_iseq(self, args: list[str]) -> int:
        if len(args) != 2:
            return EINVAL
        return 0 if args[0] == args[1] else ERANGE

    async def cmd_goto(self, args: list[str]) -> int:
        frame = self._frames[-1]
        if len(args) != 1 or args[0] not in frame.labels:
            self.host.echo(f"goto: no such label {args[0] if args else ''!r}")
            return ENOENT
        frame.pc = frame.labels[args[0]] + 1
        frame.control = "goto"
        return 0

    async def cmd_exit(self, args: list[str]) -> int:
        frame = self._frames[-1]
        try:
            status = int(args[0], 0) if args else 0
        except ValueError:
            return EINVAL
        frame.control = "exit"
        frame.exit_status = status
        return status

    async def cmd_sleep(self, args: list[str]) -> int:
        try:
            seconds = int(args[0], 0)
        except (IndexError, ValueError):
            return EINVAL
        await task.deferLater(self.clock, seconds, lambda: None)
        return 0

    async def cmd_prompt(self, args: list[str]) -> int:
        options, _rest = parse_options(args, {"key", "k", "timeout", "t"})
        return ECANCELED if ("timeout" in options or "t" in options) else 0

    async def _noop(self, args: list[str]) -> int:
        return 0

    cmd_ifopen = cmd_ifclose = cmd_ifstat = cmd_route = cmd_params = cmd_param = cmd_ntp = cmd_colour = _noop
    cmd_cpair = cmd_console = cmd_imgstat = cmd_imgverify = cmd_imgtrust = cmd_show = _noop

    async def cmd_reboot(self, args: list[str]) -> int:
        raise _Terminal("reboot", "reboot command")

    async def cmd_poweroff(self, args: list[str]) -> int:
        raise _Terminal("poweroff", "poweroff command")

    async def cmd_sanboot(self, args: list[str]) -> int:
        raise _Terminal("sanboot", " ".join(args))

    async def cmd_shell(self, args: list[str]) -> int:
        raise _Terminal("failed", "reached the interactive iPXE shell")

    # -- network ----------------------------------------------------------------------------------

    def _nic_indices(self, names: list[str]) -> list[int] | None:
        if not names:
            return list(range(self.host.nic_count()))
        indices = []
        for name in names:
            if not (name.startswith("net") and name[3:].isdigit()) or int(name[3:]) >= self.host.nic_count():
                return None
            indices.append(int(name[3:]))
        return indices

    async def cmd_ifconf(self, args: list[str]) -> int:
        _options, names = parse_options(args, {"configurator", "c", "timeout", "t"})
        indices = self._nic_indices(names)
        if indices is None:
            return ENOENT
        for index in indices:
            if await self.host.ifconf(index, self.lookup("user-class")):
                self.current_nic = index
                server = self.host.nic_setting(index, "next-server")
                self.cwuri = f"tftp://{server}/" if server else None
                return 0
        return ENOENT

    cmd_dhcp = cmd_ifconf

    async def cmd_autoboot(self, args: list[str]) -> int:
        indices = self._nic_indices(args)
        if indices is None:
            return ENOENT
        status = ENOENT
        for index in indices:
            if await self.cmd_ifconf([f"net{index}"]) != 0:
                continue
            filename = self.lookup("filename")
            if not filename:
                self.host.echo(f"net{index}: no filename or root path specified")
                continue
            status = await self.cmd_chain([filename])
            if status == 0:
                return 0
        self.host.echo("No more network devices")
        return status

    # -- images -----------------------------------------------------------------------------------

    async def _fetch(self, args: list[str], verb: str, keep: bool) -> Image | int:
        options, rest = parse_options(args, IMAGE_OPTIONS)
        if not rest:
            return EINVAL
        try:
            url = resolve_uri(self.cwuri, rest[0])
        except ValueError as exc:
            self.host.echo(str(exc))
            return ENOENT
        try:
            fetched = await self.host.fetch(url, verb, keep)
        except defer.CancelledError:
            raise
        except Exception as exc:
            self.host.echo(f"Could not {verb} {url}: {exc}")
            return ENOENT
        image = Image(
            options.get("name") or options.get("n") or image_name(url), fetched.url, fetched.size, fetched.data
        )
        image.args = " ".join(rest[1:])
        if "replace" in options or "r" in options:
            self.images = [i for i in self.images if i.name != image.name]
        self.images = [i for i in self.images if i.name != image.name] + [image]
        return image

    async def cmd_imgfetch(self, args: list[str]) -> int:
        image = await self._fetch(args, "imgfetch", keep=False)
        return image if isinstance(image, int) else 0

    cmd_module = cmd_initrd = cmd_imgfetch

    async def cmd_kernel(self, args: list[str]) -> int:
        image = await self._fetch(args, "kernel", keep=False)
        if isinstance(image, int):
            return image
        self.selected = image
        return 0

    cmd_imgselect = cmd_imgload = cmd_kernel

    async def cmd_chain(self, args: list[str]) -> int:
        options, _rest = parse_options(args, IMAGE_OPTIONS)
        image = await self._fetch(args, "chain", keep=True)
        if isinstance(image, int):
            return image
        return await self._execute(image, replace="replace" in options or "r" in options)

    cmd_imgexec = cmd_chain

    async def _execute(self, image: Image, replace: bool = False) -> int:
        if not image.is_script:
            self.selected = image
            raise _Booted(image)
        assert image.data is not None
        previous = self.cwuri
        self.cwuri = image.url
        self.images = [i for i in self.images if i is not image]
        status = await self.run_script(image.data.decode("utf-8", "replace"))
        self.cwuri = previous
        if replace:
            frame = self._frames[-1]
            frame.control = "exit"
            frame.exit_status = status
        return status

    async def cmd_imgargs(self, args: list[str]) -> int:
        if not args:
            return EINVAL
        image = next((i for i in self.images if i.name == args[0]), None)
        if image is None:
            self.host.echo(f"imgargs: no such image {args[0]!r}")
            return ENOENT
        image.args = " ".join(args[1:])
        return 0

    async def cmd_imgfree(self, args: list[str]) -> int:
        self.images = [i for i in self.images if args and i.name not in args]
        if self.selected is not None and self.selected not in self.images:
            self.selected = None
        return 0

    async def cmd_boot(self, args: list[str]) -> int:
        _options, rest = parse_options(args, IMAGE_OPTIONS)
        image = self.selected
        if rest:
            image = next((i for i in self.images if i.name == rest[0]), None)
        if image is None:
            self.host.echo("boot: no image selected")
            return ENOENT
        return await self._execute(image)
