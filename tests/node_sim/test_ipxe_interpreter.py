"""The iPXE interpreter on RackHD's profile chain (boilerplate, redirect, ipxe-info, rancherOS) with a fake host."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer, task

from node_sim.ipxe import IpxeInterpreter
from node_sim.ipxe_host import FetchResult, IpxeResult
from node_sim.ipxe_lang import expand, format_mac, resolve_uri, split_line, tftp_target
from tests.node_sim.netlab import profile

SERVER, PORT = "10.231.9.1", 9030
API = f"http://{SERVER}:{PORT}"
MACS = ["52:54:00:e7:09:00", "52:54:00:e7:09:01"]


class FakeHost:
    """Two NICs; URLs answer from ``pages`` (bytes, or an int status that fails the fetch)."""

    def __init__(self, pages: dict[str, Any], dhcp_ok: bool = True) -> None:
        self.pages = pages
        self.dhcp_ok = dhcp_ok
        self.settings: list[dict[str, str]] = [{"mac": m} for m in MACS]
        self.fetched: list[tuple[str, str]] = []
        self.dhcp_calls: list[tuple[int, str | None]] = []
        self.echoes: list[str] = []

    def nic_count(self) -> int:
        return len(self.settings)

    def nic_setting(self, index: int, name: str) -> str | None:
        return self.settings[index].get(name)

    def smbios(self, name: str) -> str | None:
        return {"uuid": "11111111-2222-3333-4444-555555555555", "serial": "SN0001"}.get(name)

    def fetch(self, url: str, verb: str, keep: bool) -> defer.Deferred[FetchResult]:
        self.fetched.append((verb, url))
        page = self.pages.get(url, self.pages.get("?macs=") if "?macs=" in url else None)
        if page is None or isinstance(page, int):
            return defer.fail(OSError(f"HTTP {page or 404}"))
        if callable(page):
            page = page()
            if isinstance(page, int):
                return defer.fail(OSError(f"HTTP {page}"))
        return defer.succeed(FetchResult(url, len(page), page if keep else None))

    def ifconf(self, index: int, user_class: str | None) -> defer.Deferred[bool]:
        self.dhcp_calls.append((index, user_class))
        if self.dhcp_ok:
            self.settings[index].update(
                {"ip": f"10.231.9.{150 + index}", "netmask": "255.255.255.0", "next-server": SERVER}
            )
            self.settings[index]["filename"] = f"{API}/api/current/profiles"
        return defer.succeed(self.dhcp_ok)

    def echo(self, text: str) -> None:
        self.echoes.append(text)


def run(host: FakeHost, script: str, clock: task.Clock | None = None, **kwargs: Any) -> IpxeResult:
    clock = clock or task.Clock()
    interpreter = IpxeInterpreter(host, clock, **kwargs)
    results: list[IpxeResult] = []
    interpreter.run(script).addCallback(results.append)
    for _ in range(200):
        if results:
            break
        clock.advance(1)
    assert results, "script did not finish"
    return results[0]


def rackhd_pages(profile_name: str = "rancherOS", busy: int = 0) -> dict[str, Any]:
    context = {"server": SERVER, "port": PORT, "node_id": "abc123", "message": "No active workflow"}
    pending = [busy]

    def profiles() -> bytes | int:
        if pending[0] > 0:
            pending[0] -= 1
            return 503
        return profile(profile_name, macaddress=MACS[0], **context).encode()

    return {
        f"{API}/api/current/profiles": profile("redirect", **context).encode(),
        "?macs=": profiles,
        f"{API}/common/vmlinuz-1.2.0-rancher": b"K" * 5000,
        f"{API}/common/initrd-1.2.0-rancher": b"I" * 9000,
    }


EMBEDDED = "#!ipxe\necho MonoRail iPXE\nset user-class MonoRail\nautoboot\n"


def test_rackhd_chain_ends_in_the_rancher_kernel_with_its_arguments() -> None:
    host = FakeHost(rackhd_pages())
    result = run(host, EMBEDDED)
    assert result.kind == "kernel", result
    assert result.kernel is not None and result.kernel.url == f"{API}/common/vmlinuz-1.2.0-rancher"
    assert [i.url for i in result.initrds] == [f"{API}/common/initrd-1.2.0-rancher"]
    assert result.args.startswith("initrd=initrd-1.2.0-rancher console=tty0 netconsole=+@/,514@10.231.9.1/")
    assert f"url:{API}/api/current/templates/cloud-config.yaml?nodeId=abc123" in result.args
    assert host.dhcp_calls == [(0, "MonoRail"), (0, "MonoRail")]  # autoboot, then the boilerplate's ifconf
    assert host.echoes[0] == "MonoRail iPXE"
    assert "NIC0 52:54:00:e7:09:00 10.231.9.150" in host.echoes and "NIC1 52:54:00:e7:09:01 " in host.echoes
    assert [v for v, _ in host.fetched] == ["chain", "chain", "kernel", "imgfetch"]


def test_profile_503_is_retried_every_3_seconds_like_the_redirect_script() -> None:
    clock = task.Clock()
    host = FakeHost(rackhd_pages(busy=2))
    result = run(host, EMBEDDED, clock)
    assert result.kind == "kernel"
    profile_fetches = [u for v, u in host.fetched if "macs=" in u]
    assert len(profile_fetches) == 3
    assert host.echoes.count("profile not ready, retrying in 3 s") == 2
    assert clock.seconds() >= 6


def test_profile_that_never_comes_gives_up_on_each_nic_then_ipxe_exits() -> None:
    host = FakeHost(rackhd_pages(busy=100))
    result = run(host, EMBEDDED)
    # Five tries per NIC; the redirect then sleeps ${rebootInterval}, which the boilerplate sets only when
    # it knows the MAC: `sleep` with an empty argument fails the script, so autoboot moves on to net1.
    assert result.kind == "exit" and result.status != 0
    assert len([u for v, u in host.fetched if "macs=" in u]) == 10
    assert host.echoes.count("giving up on the profile") == 2 and host.echoes[-1] == "No more network devices"
    assert host.dhcp_calls == [(0, "MonoRail"), (1, "MonoRail")]


def test_ipxe_info_profile_exits_to_local_boot() -> None:
    host = FakeHost(rackhd_pages("ipxe-info"))
    result = run(host, EMBEDDED)
    assert result.kind == "exit" and result.status == 0
    assert "RackHD: No active workflow" in host.echoes


def test_boilerplate_reboots_when_the_interface_is_missing() -> None:
    script = "#!ipxe\n" + profile("ipxe-info", server=SERVER, port=PORT, macaddress="de:ad:be:ef:00:00", message="x")
    host = FakeHost({})
    result = run(host, script)
    assert result.kind == "reboot"
    assert "cannot find interface de:ad:be:ef:00:00, rebooting in 5 s" in host.echoes


def test_boilerplate_reboots_after_five_failed_ifconf() -> None:
    script = profile("ipxe-info", server=SERVER, port=PORT, macaddress=MACS[1], message="x")
    host = FakeHost({}, dhcp_ok=False)
    result = run(host, script)
    assert result.kind == "reboot" and host.dhcp_calls == [(1, "MonoRail")] * 5


def test_failing_line_ends_the_script_with_its_status() -> None:
    host = FakeHost({})
    result = run(host, "#!ipxe\necho one\nchain http://10.231.9.1/missing\necho never\n")
    assert result.kind == "exit" and result.status != 0
    assert host.echoes[0] == "one" and "never" not in host.echoes


def test_and_or_goto_semantics_follow_ipxe() -> None:
    script = """#!ipxe
set a:int8 0
:top
iseq ${a} 3 && goto out || inc a && goto top
echo unreachable
:out
isset ${nothing} || echo unset-ok
isset ${a} && echo set-ok
iseq x y || iseq x x && echo chain-ok ; echo always
exit 7
echo after-exit
"""
    host = FakeHost({})
    result = run(host, script)
    assert result.status == 7 and result.kind == "exit"
    assert host.echoes == ["unset-ok", "set-ok", "chain-ok", "always"]


def test_variables_nic_smbios_and_builtins() -> None:
    host = FakeHost({})
    host.settings[0].update({"ip": "10.0.0.5", "netmask": "255.0.0.0", "gateway": "10.0.0.1"})
    script = """#!ipxe
set i 0
echo ${net${i}/mac} ${net0/mac:hexhyp} ${net1/mac:hexraw} ${net0/ip} ${net0/netmask} ${net0/gateway}
echo ${mac} ${ip} ${uuid} ${serial} ${platform} ${buildarch} [${net7/mac}] [${user-class}]
set user-class MonoRail
echo ${user-class} ${smbios/serial}
"""
    run(host, script)
    assert host.echoes == [
        "52:54:00:e7:09:00 52-54-00-e7-09-00 525400e70901 10.0.0.5 255.0.0.0 10.0.0.1",
        "52:54:00:e7:09:00 10.0.0.5 11111111-2222-3333-4444-555555555555 SN0001 pcbios x86_64 [] []",
        "MonoRail SN0001",
    ]


def test_chain_flags_relative_uris_and_nested_exit() -> None:
    pages = {
        "http://10.231.9.1/boot/menu.ipxe": b"#!ipxe\necho in-menu\nchain --autofree next.ipxe\necho back-in-menu\n",
        "http://10.231.9.1/boot/next.ipxe": b"#!ipxe\necho in-next\nexit\necho not-here\n",
    }
    host = FakeHost(pages)
    result = run(host, "#!ipxe\nchain --replace --autofree http://10.231.9.1/boot/menu.ipxe\necho replaced-away\n")
    assert host.echoes == ["in-menu", "in-next", "back-in-menu"]
    assert result.kind == "exit" and result.status == 0


def test_loop_guard_stops_an_endless_script() -> None:
    result = run(FakeHost({}), "#!ipxe\n:spin\ngoto spin\n", max_steps=500)
    assert result.kind == "failed" and "loop guard" in result.reason


def test_unknown_command_and_missing_label_fail_like_ipxe() -> None:
    host = FakeHost({})
    assert run(host, "#!ipxe\nfrobnicate || echo caught\n").status == 0
    assert "frobnicate: command not found" in host.echoes and "caught" in host.echoes
    assert run(FakeHost({}), "#!ipxe\ngoto nowhere\n").status != 0


def test_boot_without_kernel_fails_and_sanboot_means_local_disk() -> None:
    assert run(FakeHost({}), "#!ipxe\nboot || echo no-kernel\nsanboot --no-describe --drive 0x80\n").kind == "sanboot"


def test_sleep_waits_on_the_injected_clock() -> None:
    clock = task.Clock()
    interpreter = IpxeInterpreter(FakeHost({}), clock)
    results: list[IpxeResult] = []
    interpreter.run("#!ipxe\nsleep 5\necho done\n").addCallback(results.append)
    clock.advance(4.9)
    assert not results
    clock.advance(0.1)
    assert results and results[0].kind == "exit"


@pytest.mark.parametrize(
    ("line", "commands"),
    [
        ("a b || c && d ; e # comment || x", [(("a", "b"), "||"), (("c",), "&&"), (("d",), ";"), (("e",), None)]),
        ("  ", [((), None)]),
    ],
)
def test_split_line(line: str, commands: list[tuple[tuple[str, ...], str | None]]) -> None:
    assert [(s.tokens, s.separator) for s in split_line(line)] == commands


def test_language_helpers() -> None:
    values = {"i": "1", "net1/mac": "AA:BB", "x": "${i}"}
    assert expand("${net${i}/mac}-${missing}-${x}", values.get) == "AA:BB--1"  # iPXE rescans expanded text
    assert format_mac("52:54:00:AA:BB:CC", "hexraw") == "525400aabbcc"
    assert resolve_uri("tftp://10.0.0.1/", "monorail.ipxe") == "tftp://10.0.0.1/monorail.ipxe"
    assert resolve_uri("http://h:9030/api/x?y=1", "/common/k") == "http://h:9030/common/k"
    assert resolve_uri(None, "http://h/a") == "http://h/a"
    assert tftp_target("tftp://10.0.0.1/pxe/boot.ipxe") == ("10.0.0.1", 69, "pxe/boot.ipxe")
    with pytest.raises(ValueError):
        resolve_uri(None, "relative")
