"""Serial over LAN in memory: activation and its limits, SOL packets, acknowledgements, retransmission,
duplicates, deactivation (fake clock, a console double that records keystrokes)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from twisted.internet.task import Clock

from bmc_sim.config import BmcConfig, Privilege
from bmc_sim.console import HostConsole
from bmc_sim.device_roles import SerialPort
from bmc_sim.message import RequestRecord
from bmc_sim.session import BmcEndpoint
from bmc_sim.sol import DEACTIVATING, OVERRUN
from bmc_sim.sol_config import SolConfig
from tests.bmc_sim.ipmi_testkit import DeviceDouble, make_config
from tests.bmc_sim.ipmi_testkit.client import LanplusClient

PEER = ("127.20.0.9", 40000)
ACTIVATE = bytes([0x01, 0x01, 0xC0, 0, 0, 0])
DEACTIVATE = bytes([0x01, 0x01, 0, 0, 0, 0])


class ConsoleDouble:
    """A host serial port: ``write`` is the host printing; ``typed`` what reached it."""

    def __init__(self) -> None:
        self.sinks: list[Callable[[bytes], None]] = []
        self.typed = bytearray()

    def subscribe(self, sink: Callable[[bytes], None]) -> Callable[[], None]:
        self.sinks.append(sink)
        return lambda: self.sinks.remove(sink)

    def recent(self) -> bytes:
        return b""

    def send(self, data: bytes) -> None:
        self.typed += data

    def write(self, data: bytes) -> None:
        for sink in list(self.sinks):
            sink(data)


class SerialDeviceDouble(DeviceDouble, SerialPort):
    """The session layer's device double with a host serial port (SOL channel 1)."""

    def __init__(self, config: BmcConfig, console: HostConsole | None) -> None:
        super().__init__(config)
        self.sol_config = SolConfig(1)
        self.console = console


class SolRig:
    def __init__(self, console: bool = True, **config: object) -> None:
        self.console = ConsoleDouble()
        self.device = SerialDeviceDouble(make_config(**config), self.console if console else None)  # type: ignore[arg-type]
        self.clock = Clock()
        self.clock.advance(1000.0)
        self.records: list[RequestRecord] = []
        self.endpoint = BmcEndpoint(self.device, self.clock, observer=self.records.append)
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.endpoint.sender = lambda datagram, peer: self.sent.append((datagram, peer))

    def client(self, port: int = 40000, suite: int = 17, console_id: int = 0x11223344) -> LanplusClient:
        c = LanplusClient(
            lambda d: self.endpoint.datagram_received(d, ("127.20.0.9", port)),
            suite_id=suite,
            console_session_id=console_id,
        )
        c.login()
        return c

    def take(self, c: LanplusClient) -> list[bytes]:
        """SOL payloads the BMC sent on its own since the last call."""
        out = [c.open_sol(datagram) for datagram, _ in self.sent]
        self.sent.clear()
        return out


@pytest.fixture
def rig() -> SolRig:
    return SolRig()


def test_activation_reports_sizes_and_port_and_status_follows(rig: SolRig) -> None:
    c = rig.client()
    code, data = c.command(0x06, 0x48, ACTIVATE)
    assert code == 0 and struct.unpack("<HHHH", data[4:]) == (255, 255, 623, 0xFFFF)
    assert c.command(0x06, 0x4A, b"\x01") == (0, bytes([1, 1, 0]))
    code, info = c.command(0x06, 0x4B, b"\x01\x01")
    assert code == 0 and struct.unpack_from("<I", info)[0] == c.bmc_session_id
    assert rig.records[-3].command == "app.activate_payload"


def test_host_output_goes_out_numbered_and_is_sent_again_until_acknowledged(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"POST OK\r\n")
    assert rig.sent == []  # characters accumulate for the interval (60 ms) below the threshold
    rig.clock.advance(0.06)
    (first,) = rig.take(c)
    assert first == bytes([1, 0, 0, 0]) + b"POST OK\r\n"
    rig.clock.advance(0.5)  # the retry interval: the same packet again
    assert rig.take(c) == [first] and rig.endpoint.sol.stats.retransmits == 1
    rig.console.write(b"more")
    assert c.send(c.sol_packet(bytes([0, 1, 9, 0]))) == []  # ACK of packet 1: no answer, the next goes out
    rig.clock.advance(0)
    assert rig.take(c) == [bytes([2, 0, 0, 0]) + b"more"]
    rig.clock.advance(0.5)
    assert len(rig.take(c)) == 1  # packet 2 was not acknowledged


def test_a_full_threshold_goes_out_at_once_and_long_output_is_split(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"x" * 300)
    rig.clock.advance(0)
    (first,) = rig.take(c)
    assert first[0] == 1 and len(first) == 255
    c.send(c.sol_packet(bytes([0, 1, 251, 0])))
    rig.clock.advance(0)
    (second,) = rig.take(c)
    assert second[0] == 2 and second[4:] == b"x" * 49


def test_a_partial_acknowledgement_sends_the_rest_again(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"0123456789")
    rig.clock.advance(0.06)
    rig.take(c)
    c.send(c.sol_packet(bytes([0, 1, 4, 0])))  # the console took 4 characters
    rig.clock.advance(0)
    assert rig.take(c) == [bytes([2, 0, 0, 0]) + b"456789"]


def test_unacknowledged_packets_are_dropped_after_the_retry_count(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"lost")
    rig.clock.advance(0.06)
    for _ in range(7):
        rig.clock.advance(0.5)
    assert len(rig.take(c)) == 8  # sent once, then the 7 retries of the SOL retry parameter
    rig.clock.advance(0.5)
    assert rig.take(c) == [] and rig.endpoint.sol.stats.dropped_unacked == 1


def test_keystrokes_reach_the_host_once_and_every_packet_is_acknowledged(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    packet = c.sol_packet(bytes([1, 0, 0, 0]) + b"root\r")
    (ack,) = c.send(packet)
    assert c.open_sol(ack) == bytes([0, 1, 5, 0]) and rig.console.typed == b"root\r"
    (again,) = c.send(c.sol_packet(bytes([1, 0, 0, 0]) + b"root\r"))  # a retransmission (same number)
    assert c.open_sol(again) == bytes([0, 1, 5, 0]) and rig.console.typed == b"root\r"
    c.send(c.sol_packet(bytes([2, 0, 0, 0]) + b"x"))
    assert rig.console.typed == b"root\rx" and rig.endpoint.sol.stats.duplicates == 1


def test_a_nack_keeps_the_packet_for_the_retry(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"busy")
    rig.clock.advance(0.06)
    (first,) = rig.take(c)
    c.send(c.sol_packet(bytes([0, 1, 0, 0x40])))
    rig.clock.advance(0.5)
    assert rig.take(c) == [first]


def test_sol_packets_are_signed_and_encrypted_as_activated(rig: SolRig) -> None:
    c = rig.client(suite=17)
    c.command(0x06, 0x48, bytes([0x01, 0x01, 0x40, 0, 0, 0]))  # authentication only, no encryption
    (ack,) = c.send(c.sol_packet(bytes([1, 0, 0, 0]) + b"a", encrypted=False))
    assert c.open_sol(ack) == bytes([0, 1, 1, 0])
    assert c.send(c.sol_packet(bytes([2, 0, 0, 0]) + b"b", encrypted=True)) == []  # not what was activated
    assert rig.console.typed == b"a" and rig.endpoint.stats.integrity_failures == 1


@pytest.mark.parametrize(
    ("setup", "aux", "code"),
    [
        ("no-console", 0xC0, 0x81),
        ("disabled", 0xC0, 0x81),
        ("admin-only", 0xC0, 0xD4),
        ("suite3-encryption", 0xC0, 0x00),
        ("force-encryption", 0x40, 0x84),
    ],
)
def test_activation_limits(setup: str, aux: int, code: int) -> None:
    rig = SolRig(console=setup != "no-console")
    config = rig.device.sol_config
    config.enabled = setup != "disabled"
    config.force_encryption = setup == "force-encryption"
    if setup == "admin-only":
        config.privilege = Privilege.ADMINISTRATOR
    c = rig.client(suite=3)
    if setup == "admin-only":
        c.command(0x06, 0x3B, bytes([Privilege.OPERATOR]))
    assert c.command(0x06, 0x48, bytes([0x01, 0x01, aux, 0, 0, 0]))[0] == code


def test_encryption_asked_in_a_session_without_it_is_refused() -> None:
    rig = SolRig()
    c = rig.client(suite=2)  # HMAC-SHA1 integrity, no confidentiality
    assert c.command(0x06, 0x48, ACTIVATE)[0] == 0x83
    assert c.command(0x06, 0x48, bytes([0x01, 0x01, 0x40, 0, 0, 0]))[0] == 0


def test_one_instance_deactivation_from_another_session_and_after_close(rig: SolRig) -> None:
    first = rig.client()
    other = rig.client(port=40001, console_id=0x5555)
    assert first.command(0x06, 0x48, ACTIVATE)[0] == 0
    assert other.command(0x06, 0x48, ACTIVATE)[0] == 0x80  # already active
    assert other.command(0x06, 0x49, DEACTIVATE) == (0, b"")
    (notice,) = rig.take(first)
    assert notice[3] & DEACTIVATING and not rig.console.sinks
    assert other.command(0x06, 0x49, DEACTIVATE)[0] == 0x80  # already deactivated
    assert other.command(0x06, 0x48, ACTIVATE)[0] == 0
    other.command(0x06, 0x3C, struct.pack("<I", other.bmc_session_id))  # Close Session ends its SOL
    assert rig.endpoint.sol.active is None and not rig.console.sinks


def test_an_expired_session_frees_the_payload(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    c.send(c.sol_packet(bytes([1, 0, 0, 0]) + b"k"))  # SOL traffic keeps the session alive
    rig.clock.advance(59)
    c.send(c.sol_packet(bytes([2, 0, 0, 0]) + b"k"))
    rig.clock.advance(59)
    assert rig.endpoint.sol.active is not None
    rig.clock.advance(60)
    rig.endpoint.datagram_received(b"", PEER)
    assert rig.endpoint.sol.active is None


def test_a_flood_of_output_sets_overrun(rig: SolRig) -> None:
    c = rig.client()
    c.command(0x06, 0x48, ACTIVATE)
    rig.console.write(b"y" * (70 * 1024))
    rig.clock.advance(0)
    (first,) = rig.take(c)
    assert first[3] & OVERRUN and rig.endpoint.sol.stats.overruns == 1


@pytest.mark.parametrize(
    ("request_data", "expected"),
    [
        (bytes([1, 1, 0, 0]), (0, bytes([0x11, 0x01]))),
        (bytes([1, 2, 0, 0]), (0, bytes([0x11, 0x02]))),
        (bytes([1, 3, 0, 0]), (0, bytes([0x11, 12, 96]))),
        (bytes([1, 4, 0, 0]), (0, bytes([0x11, 7, 50]))),
        (bytes([1, 8, 0, 0]), (0, bytes([0x11, 0x6F, 0x02]))),
        (bytes([1, 9, 0, 0]), (0x80, b"")),
    ],
)
def test_sol_configuration_parameters(request_data: bytes, expected: tuple[int, bytes]) -> None:
    from bmc_sim.commands import lookup
    from bmc_sim.message import RequestContext

    class Bmc:
        sol_config = SolConfig(1)

        class channels:
            @staticmethod
            def resolve_lan(channel: int, ctx: object) -> int:
                return 1

    spec = lookup(0x0C, 0x22)
    assert spec is not None
    ctx = RequestContext(peer=PEER, channel=1, privilege=Privilege.ADMINISTRATOR)
    try:
        result = (0, spec.handler(Bmc(), request_data, ctx))  # type: ignore[arg-type]
    except Exception as exc:
        result = (getattr(exc, "completion_code", 0xFF), b"")
    assert result == expected


def test_set_sol_parameters_validate_and_apply() -> None:
    config = SolConfig(1)
    config.set(2, bytes([0xC4]))
    assert (config.force_encryption, config.force_authentication, config.privilege) == (True, True, 4)
    config.set(4, bytes([3, 20]))
    assert config.retry_count == 3 and config.retry_seconds == pytest.approx(0.2)
    for parameter, value, code in (
        (8, b"\x01\x02", 0x82),
        (2, b"\x01", 0xCC),
        (3, b"\x00\x10", 0xCC),
        (12, b"\x00", 0x80),
    ):
        with pytest.raises(Exception) as raised:
            config.set(parameter, value)
        assert getattr(raised.value, "completion_code", None) == code
