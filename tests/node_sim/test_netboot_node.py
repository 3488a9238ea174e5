"""NetbootNode in memory: fake NICs, fake DHCP/TFTP servers and a fake HTTP fetcher on a fake clock."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer, task

from node_sim import dhcp, tftp
from node_sim.bootlog import BootEvent
from node_sim.dhcp import DhcpPacket
from node_sim.http import HttpError, HttpResult
from node_sim.netboot import NetbootNode
from node_sim.netboot_types import BootOutcome, NicConfig, classify_bootfile
from tests.node_sim.netlab import profile

SERVER = "10.231.40.1"
API = f"http://{SERVER}:9030"
UUID = "4c4c4544-0000-1000-8000-000000000001"


class FakeNetwork:
    """One DHCP+TFTP server; replies are delivered on the next clock tick, like a wire would."""

    def __init__(self, clock: task.Clock, files: dict[str, bytes], answer_dhcp: bool = True) -> None:
        self.clock = clock
        self.files = files
        self.answer_dhcp = answer_dhcp
        self.sent: list[tuple[str, bytes, tuple[str, int]]] = []
        self.receivers: dict[tuple[str, str, int], Any] = {}
        self.configured: list[tuple[str, str]] = []
        self.released: list[tuple[str, str]] = []
        self.transfers: dict[tuple[str, str, int], tuple[bytes, int]] = {}

    # NicIO
    def open_udp(self, interface: str, bind_ip: str, port: int, receiver: Any) -> Any:
        port = port or 50000 + len(self.receivers)
        key = (interface, bind_ip, port)
        self.receivers[key] = receiver
        network = self

        class Link:
            open = True

            def send(self, data: bytes, address: tuple[str, int]) -> None:
                if self.open:
                    network.sent.append((interface, data, address))
                    network.clock.callLater(0.01, network.serve, key, data, address)

            def close(self) -> None:
                self.open = False
                network.receivers.pop(key, None)

        return Link()

    def configure_ip(self, interface: str, address: str, prefixlen: int, previous: str | None) -> None:
        self.configured.append((interface, address))

    def release_ip(self, interface: str, address: str, prefixlen: int) -> None:
        self.released.append((interface, address))

    def tcp_endpoint(self, *args: Any) -> Any:
        raise AssertionError("HTTP goes through the injected fetcher in these tests")

    # servers
    def deliver(self, key: tuple[str, str, int], data: bytes, source: tuple[str, int]) -> None:
        receiver = self.receivers.get(key)
        if receiver is not None:
            receiver(data, source)

    def serve(self, key: tuple[str, str, int], data: bytes, address: tuple[str, int]) -> None:
        if address[1] == 67 and self.answer_dhcp:
            request = dhcp.decode(data)
            kind = dhcp.OFFER if request.message_type == dhcp.DISCOVER else dhcp.ACK
            ipxe = dhcp.OPT_IPXE_ENCAP in request.options
            bootfile = f"{API}/api/current/profiles" if ipxe else "monorail.ipxe"
            reply = DhcpPacket(
                op=dhcp.BOOTREPLY,
                xid=request.xid,
                chaddr=request.chaddr,
                yiaddr="10.231.40.150",
                siaddr=SERVER,
                file=bootfile,
                options={
                    dhcp.OPT_MESSAGE_TYPE: bytes([kind]),
                    dhcp.OPT_SERVER_ID: dhcp.address_option(SERVER),
                    dhcp.OPT_SUBNET_MASK: dhcp.address_option("255.255.255.0"),
                },
            )
            self.deliver((key[0], "0.0.0.0", 68), dhcp.encode(reply), (SERVER, 67))
        elif address[1] == 69:
            _name, _mode, _options = tftp.decode(data)[1]
            content = self.files.get(_name)
            if content is None:
                self.deliver(key, tftp.encode_error(1, "not found"), (SERVER, 40000))
                return
            self.transfers[key] = (content, 1)
            self.deliver(key, tftp.encode_data(1, content[:512]), (SERVER, 40000))
        elif address == (SERVER, 40000):
            opcode, block = tftp.decode(data)
            content, _ = self.transfers[key]
            if opcode == tftp.ACK and block * 512 <= len(content):
                chunk = content[block * 512 : (block + 1) * 512]
                self.deliver(key, tftp.encode_data(block + 1, chunk), (SERVER, 40000))


class FakeFetcher:
    def __init__(self, pages: dict[str, bytes | int], log: list[str]) -> None:
        self.pages = pages
        self.log = log

    def get(self, url: str, *, keep: bool = True) -> defer.Deferred[HttpResult]:
        self.log.append(url)
        page = self.pages.get(url, self.pages.get(url.split("?")[0] + "?" if "?" in url else url, 404))
        if isinstance(page, int):
            return defer.fail(HttpError(url, page, f"HTTP {page}"))
        return defer.succeed(HttpResult(url, 200, len(page), page if keep else None))


def rackhd_pages(profile_name: str = "rancherOS") -> dict[str, bytes | int]:
    context = {"server": SERVER, "port": 9030, "node_id": "n1", "message": "continue to boot"}
    return {
        f"{API}/api/current/profiles": profile("redirect", **context).encode(),
        f"{API}/api/current/profiles?": profile(profile_name, macaddress="52:54:00:e7:28:00", **context).encode(),
        f"{API}/common/vmlinuz-1.2.0-rancher": b"K" * 1000,
        f"{API}/common/initrd-1.2.0-rancher": b"I" * 2000,
    }


def make_node(
    files: dict[str, bytes], pages: dict[str, bytes | int], **kwargs: Any
) -> tuple[NetbootNode, FakeNetwork, task.Clock, list[BootEvent], list[str]]:
    clock = task.Clock()
    network = FakeNetwork(clock, files, **kwargs)
    events: list[BootEvent] = []
    fetched: list[str] = []
    node = NetbootNode(
        [NicConfig("52:54:00:e7:28:00", "n0")],
        UUID,
        clock,
        network,
        events.append,
        http=lambda endpoint_for: FakeFetcher(pages, fetched),
    )
    return node, network, clock, events, fetched


def finish(d: defer.Deferred[BootOutcome], clock: task.Clock, seconds: int = 200) -> BootOutcome:
    results: list[BootOutcome] = []
    d.addCallback(results.append)
    for _ in range(seconds * 10):
        if results:
            break
        clock.advance(0.1)
    assert results, "boot did not finish"
    return results[0]


def test_pxe_to_ipxe_to_kernel_in_memory() -> None:
    node, network, clock, events, fetched = make_node({"monorail.ipxe": b"\x55\xaa" * 700}, rackhd_pages())
    outcome = finish(node.boot("pxe"), clock)
    assert outcome.kind == "kernel" and outcome.kernel == f"{API}/common/vmlinuz-1.2.0-rancher"
    assert outcome.ip == "10.231.40.150" and outcome.nic == NicConfig("52:54:00:e7:28:00", "n0")
    assert outcome.initrd == (f"{API}/common/initrd-1.2.0-rancher",) and outcome.kernel_size == 1000
    assert network.configured[0] == ("n0", "10.231.40.150")
    nbp = next(e for e in events if e.event == "pxe.nbp")
    assert nbp.fields["kind"] == "rackhd-ipxe" and nbp.fields["size"] == 1400
    assert fetched[0] == f"{API}/api/current/profiles" and "macs=52:54:00:e7:28:00" in fetched[1]
    assert not network.receivers, "every socket is closed after the boot"
    assert not clock.getDelayedCalls()


def test_tftp_served_script_is_interpreted_directly() -> None:
    script = b"#!ipxe\necho straight from tftp\nexit\n"
    node, _network, clock, events, _ = make_node({"monorail.ipxe": script}, {})
    outcome = finish(node.boot("pxe"), clock)
    assert outcome.kind == "local"
    assert any(e.event == "ipxe.echo" and e.fields["text"] == "straight from tftp" for e in events)


def test_no_dhcp_server_fails_with_pxe_e51_after_the_rom_timeouts() -> None:
    node, _network, clock, _events, _ = make_node({}, {}, answer_dhcp=False)
    outcome = finish(node.boot("pxe"), clock, seconds=100)
    assert outcome.kind == "failed" and outcome.reason.startswith("PXE-E51")
    assert clock.seconds() == pytest.approx(60, abs=0.2)  # 4 + 8 + 16 + 32


def test_missing_boot_file_is_a_tftp_failure() -> None:
    node, _network, clock, events, _ = make_node({}, {})
    outcome = finish(node.boot("pxe"), clock)
    assert outcome.kind == "failed" and "PXE-E32" in outcome.reason
    assert any(e.event == "tftp.fetch" and not e.fields["ok"] for e in events)


def test_ipxe_info_profile_ends_in_local_boot() -> None:
    node, _network, clock, _events, _ = make_node({"monorail.ipxe": b"bin"}, rackhd_pages("ipxe-info"))
    assert finish(node.boot("pxe"), clock).kind == "local"


def test_disk_boot_is_immediate_and_silent() -> None:
    node, network, clock, _events, _ = make_node({}, {})
    outcome = finish(node.boot("disk"), clock)
    assert outcome.kind == "local" and outcome.device == "disk" and not network.sent
    with pytest.raises(ValueError):
        node.boot("floppy-of-doom")


def test_cancel_mid_boot_stops_everything_and_releases_the_address() -> None:
    node, network, clock, events, _ = make_node({"monorail.ipxe": b"\x55\xaa" * 700}, rackhd_pages())
    results: list[BootOutcome] = []
    node.boot("pxe").addCallback(results.append)
    while not any(e.event == "pxe.nbp" for e in events):
        clock.advance(0.001)
    sent = len(network.sent)
    node.cancel()
    assert results and results[0].kind == "cancelled"
    clock.advance(100)
    assert len(network.sent) == sent and not clock.getDelayedCalls()
    assert network.released == [("n0", "10.231.40.150")] and not network.receivers
    assert not node.booting
    again = finish(node.boot("pxe"), clock)  # power on again: a fresh boot
    assert again.kind == "kernel"


def test_cancelling_the_returned_deferred_powers_off_too() -> None:
    node, network, clock, _events, _ = make_node({"monorail.ipxe": b"bin"}, rackhd_pages())
    d = node.boot("pxe")
    results: list[Any] = []
    d.addBoth(results.append)
    d.cancel()
    assert isinstance(results[0], BootOutcome) and results[0].kind == "cancelled"
    sent = len(network.sent)
    clock.advance(100)
    assert len(network.sent) == sent


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("monorail.ipxe", b"\x55\xaa", "rackhd-ipxe"),
        ("monorail-undionly.kpxe", b"\x00", "rackhd-ipxe"),
        ("undionly.kpxe", b"\x00", "ipxe"),
        ("ipxe.efi", b"\x00", "ipxe"),
        ("boot.ipxe", b"#!ipxe\nexit\n", "script"),
        ("pxelinux.0", b"\x00", "unsupported"),
    ],
)
def test_classify_bootfile(name: str, data: bytes, kind: str) -> None:
    assert classify_bootfile(name, data) == kind
