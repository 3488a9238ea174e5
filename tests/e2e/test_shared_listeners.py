"""Shared listeners (``ports.shared``, issue 17): 60 BMCs on one UDP socket and one TCP listener, by real clients.

Two racks from the same spec (same name and seed, so the same identities), each in its own ``vrack up``:
``shared`` serves its BMCs from one wildcard socket per port (127.200.60.0/24), ``own`` from a socket per
BMC (127.200.61.0/24).  ``ipmipower --stat``, ``ipmitool`` and sushy get the same answers from both; a
datagram or connection for an address no BMC has is dropped and counted in ``GET /api/v1/rack``; each
BMC's HTTPS presents its own certificate for its own address.  Ports are free on 0.0.0.0, below the
ephemeral range (a shared socket takes its port on every address, later than it was chosen).
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sushy

from tests.support.clients import ipmitool, run
from tests.support.ports import wildcard_port
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

NETS = {"shared": "127.200.60", "own": "127.200.61"}
COUNT = 60


def spec_text(net: str, ipmi: int, redfish: int, shared: bool) -> str:
    return (
        f"rack: e2e-shared\nseed: e2e-shared-seed\nnetworks: {{management: {net}.0/24}}\n"
        f"ports: {{ipmi: {ipmi}, redfish: {redfish}, shared: {str(shared).lower()}}}\n"
        "devices:\n"
        f'  - {{name: "node{{n:02d}}", kind: compute, model: generic, count: {COUNT}, '
        "bmc: {boot_time: 0, users: [{name: admin, password: admin}]}}\n"
        "  - {name: pdu1, kind: pdu, model: servertech-sentry3}\n"
    )


class Rack:
    def __init__(self, process: RackProcess, net: str, ipmi: int, redfish: int) -> None:
        self.process, self.net, self.ipmi, self.redfish = process, net, ipmi, redfish
        self.ca = str(process.state_root / "e2e-shared" / "redfish-ca.pem")

    def bmc(self, n: int) -> str:
        return f"{self.net}.{n}"

    def ipmitool(self, n: int, command: str, extra: str = "") -> str:
        return str(ipmitool(self.bmc(n), command, extra=f"-p {self.ipmi} {extra}").ok().stdout)

    def listeners(self) -> dict[str, Any]:
        info: dict[str, Any] = self.process.api("GET", "/api/v1/rack")["listeners"]
        return info

    def fds(self) -> int:
        return len(list(Path(f"/proc/{self.process.info['pid']}/fd").iterdir()))


@pytest.fixture(scope="module")
def racks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Rack]]:
    started: dict[str, Rack] = {}
    try:
        for kind, net in NETS.items():
            base = tmp_path_factory.mktemp(f"rack-{kind}")
            ipmi, redfish = wildcard_port(socket.SOCK_DGRAM), wildcard_port()
            spec = base / "rack.yaml"
            spec.write_text(spec_text(net, ipmi, redfish, kind == "shared"))
            process = RackProcess(spec, base / "state", "e2e-shared").start()
            started[kind] = Rack(process, net, ipmi, redfish)
        yield started
    finally:
        for rack in started.values():
            assert rack.process.stop() == 0, rack.process.output()


def sweep(rack: Rack) -> dict[int, str]:
    """``ipmipower --stat`` over all BMCs (FreeIPMI's host:port form): node number -> answer."""
    hosts = ",".join(f"{rack.bmc(n)}:{rack.ipmi}" for n in range(1, COUNT + 1))
    out = run(["ipmipower", "-D", "LAN_2_0", "-u", "admin", "-p", "admin", "-h", hosts, "--stat"], 120).ok().stdout
    answers: dict[int, str] = {}
    for line in out.splitlines():
        host, _, answer = line.partition(": ")
        answers[int(host.split(":")[0].rsplit(".", 1)[1])] = answer.strip()
    return answers


def test_shared_rack_holds_a_few_descriptors_for_sixty_bmcs(racks: dict[str, Rack]) -> None:
    assert racks["shared"].fds() < COUNT < 2 * COUNT <= racks["own"].fds()
    sockets = {(s["kind"], s["port"], s["addresses"]) for s in racks["shared"].listeners()["sockets"]}
    assert sockets == {("udp", racks["shared"].ipmi, COUNT), ("tcp", racks["shared"].redfish, COUNT)}


def test_ipmipower_and_ipmitool_answer_as_from_a_socket_per_bmc(racks: dict[str, Rack]) -> None:
    shared, own = racks["shared"], racks["own"]
    assert sweep(shared) == sweep(own) == {n: "off" for n in range(1, COUNT + 1)}
    for n in (1, 30, COUNT):
        for command in ("mc info", "fru print 0", "chassis status", "sel list", "mc guid"):
            assert shared.ipmitool(n, command) == own.ipmitool(n, command), (n, command)
    shared.ipmitool(7, "chassis power on")
    wait_for(lambda: "on" in shared.ipmitool(7, "chassis power status"), 20, "node07 to report power on")
    assert shared.process.api("GET", "/api/v1/devices/node07")["power"] is True
    assert sweep(shared)[7] == "on" and sweep(shared)[8] == "off"
    shared.ipmitool(7, "chassis power off")


def test_unknown_destination_is_dropped_and_counted(racks: dict[str, Rack]) -> None:
    shared = racks["shared"]
    before = {s["kind"]: s["dropped"] for s in shared.listeners()["sockets"]}
    nobody = shared.bmc(200)  # no BMC has this address
    probe = ipmitool(nobody, "mc info", extra=f"-p {shared.ipmi} -R 1 -N 1")
    assert probe.returncode != 0  # not answered: the datagrams went nowhere
    with socket.create_connection((nobody, shared.redfish), timeout=5) as conn:
        conn.settimeout(5)
        with contextlib.suppress(ConnectionResetError):  # the shared listener aborts what it cannot place
            assert conn.recv(1) == b""
    after = {s["kind"]: s["dropped"] for s in shared.listeners()["sockets"]}
    assert after["udp"] > before["udp"] and after["tcp"] == before["tcp"] + 1
    assert shared.listeners()["dropped"] == after["udp"] + after["tcp"]
    assert "off" in shared.ipmitool(2, "chassis power status")  # the neighbours still answer


def test_redfish_presents_each_bmcs_own_certificate(racks: dict[str, Rack]) -> None:
    shared = racks["shared"]
    context = ssl.create_default_context(cafile=shared.ca)
    for n in (3, 44):
        with (
            socket.create_connection((shared.bmc(n), shared.redfish), timeout=10) as conn,
            context.wrap_socket(conn, server_hostname=shared.bmc(n)) as tls,
        ):
            assert tls.version() is not None
    with (
        socket.create_connection((shared.bmc(3), shared.redfish), timeout=10) as conn,
        pytest.raises(ssl.SSLCertVerificationError),  # node03's certificate is not node44's
    ):
        context.wrap_socket(conn, server_hostname=shared.bmc(44))
    systems = []
    for rack in (shared, racks["own"]):
        root = sushy.Sushy(
            f"https://{rack.bmc(44)}:{rack.redfish}/redfish/v1", username="admin", password="admin", verify=rack.ca
        )
        system = root.get_system("/redfish/v1/Systems/1")
        systems.append((system.uuid, system.serial_number, system.model, system.power_state))
    assert systems[0] == systems[1]
    assert systems[0][0] == shared.process.api("GET", "/api/v1/devices/node44")["uuid"]


def socket_owners(kind: str, port: int) -> set[int]:
    """The pids holding a socket bound to ``port`` (``ss``: -u for UDP, -t for TCP listeners)."""
    flag = "-u" if kind == "udp" else "-t"
    out = run(["ss", "-H", flag, "-l", "-n", "-p", "sport", "=", f":{port}"]).ok().stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out)}


def test_workers_share_each_port_steered_by_destination(tmp_path: Path) -> None:
    """``--workers 2``: the two workers hold one socket each of every port's ``SO_REUSEPORT`` group, and the
    steering program hands each datagram and connection to the worker that serves its address."""
    net = "127.200.62"
    ipmi, redfish = wildcard_port(socket.SOCK_DGRAM), wildcard_port()
    spec = tmp_path / "rack.yaml"
    spec.write_text(spec_text(net, ipmi, redfish, True))
    process = RackProcess(spec, tmp_path / "state", "e2e-shared", ("--workers", "2")).start()
    try:
        rack = Rack(process, net, ipmi, redfish)
        for kind, port in (("udp", ipmi), ("tcp", redfish)):
            owners = socket_owners(kind, port)
            assert len(owners) == 2 and process.info["pid"] not in owners, (kind, owners)
            for pid in owners:
                assert b"vrack.split.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert sweep(rack) == {n: "off" for n in range(1, COUNT + 1)}  # a BMC on the wrong worker would not answer
        rack.ipmitool(COUNT, "chassis power on")  # node60: the second worker's
        wait_for(lambda: process.api("GET", f"/api/v1/devices/node{COUNT}")["power"] is True, 20, "node60 on")
        assert sweep(rack)[COUNT] == "on" and sweep(rack)[1] == "off"
        context = ssl.create_default_context(cafile=rack.ca)
        for n in (2, COUNT - 1):  # one BMC of each worker presents its own certificate
            with (
                socket.create_connection((rack.bmc(n), redfish), timeout=10) as conn,
                context.wrap_socket(conn, server_hostname=rack.bmc(n)) as tls,
            ):
                assert tls.version() is not None
        assert ipmitool(rack.bmc(200), "mc info", extra=f"-p {ipmi} -R 1 -N 1").returncode != 0
        assert "off" in rack.ipmitool(1, "chassis power status")

        def worker_drops() -> dict[str, Any] | None:  # each worker reports its counters when they change
            info = rack.listeners()
            sockets = info["sockets"]
            udp = [sock for sock in sockets if sock["kind"] == "udp" and sock["port"] == ipmi]
            if sorted(sock.get("worker") for sock in udp) != [0, 1] or info["dropped"] == 0:
                return None
            return info

        info = wait_for(worker_drops, 10, "the workers to report the dropped datagrams")
        assert sum(sock["addresses"] for sock in info["sockets"] if sock["kind"] == "udp") == COUNT
    finally:
        assert process.stop() == 0, process.output()
