"""End to end: ``python -m switch_sim`` on 127.31.x.y:161 read with net-snmp's real tools.

The command lines are RackHD's (rackhd-facts.md section 2): the discovery
``snmpbulkwalk`` of the whole tree from 1, the poller bulkgets of interface
state and counters, the walks of hrProcessorLoad/hrStorage*, and the Cisco
CISCO-PROCESS-MIB bulkget, all with numeric OIDs (Debian ships no IETF MIBs).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from twisted.internet.task import Clock

from switch_sim import LinkPeer, Switch
from switch_sim.detrand import name_seed
from switch_sim.personality import load_model
from tests.support.privileges import require_root
from tests.support.waiting import wait_for
from tests.switch_sim.netsnmp import SwitchProcess, hex_octets, parse, run

pytestmark = pytest.mark.e2e

ARISTA_IP = "127.31.0.1"
CISCO_IP = "127.31.0.2"
PEERS = {1: "52:54:00:31:00:01", 2: "52:54:00:31:00:02", 4: "52:54:00:31:00:04"}
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
V2C = ("-v2c", "-c", "public")


def _start(tmp: Path, model: str, address: str, links: dict[int, str]) -> Iterator[SwitchProcess]:
    require_root("end-to-end switch tests bind UDP 161 on 127.31.0.0/16 as RackHD requires: run them as root")
    args = ["--model", model, "--ports", "48", "--address", address, "--port", "161"]
    args += ["--community", "public:ro", "--community", "private:rw"]
    args += [arg for port, mac in links.items() for arg in ("--link", f"{port}={mac}")]
    proc = SwitchProcess(args, tmp / f"{model}.log").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def arista(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchProcess]:
    yield from _start(tmp_path_factory.mktemp("arista"), "arista-7050", ARISTA_IP, PEERS)


@pytest.fixture(scope="module")
def cisco(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchProcess]:
    yield from _start(tmp_path_factory.mktemp("cisco"), "cisco-nexus-3000", CISCO_IP, {})


def _model_instance_count() -> int:
    """Instances the in-memory model has for the runner's arguments (rows do not depend on time)."""
    seed = name_seed("switch")
    model = load_model("arista-7050")
    sw = Switch(
        "arista-7050", name="switch", ports=48, clock=Clock(), base_mac=model.derived_base_mac(seed),
        serial=model.derived_serial(seed), seed=seed, management_ip=ARISTA_IP,
    )  # fmt: skip
    for port, mac in PEERS.items():
        sw.set_link(port, True, peer=LinkPeer(mac, f"peer{port}", "eth0", "eth0", "Linux simulated peer"))
    return sw.source.instance_count()


def test_discovery_bulkwalk_of_whole_tree(arista: SwitchProcess) -> None:
    """RackHD's ``snmpbulkwalk -v2c -Cr10 <ip> 1`` ends, is sorted, and has sysDescr and ifPhysAddress."""
    started = time.monotonic()
    result = run("snmpbulkwalk", *V2C, "-Cr10", ARISTA_IP, "1")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    pairs = parse(result.stdout)
    oids = [oid for oid, _ in pairs]
    assert all(a < b for a, b in itertools.pairwise(oids)), "walk not strictly increasing"
    assert len(pairs) == _model_instance_count()
    values = dict(pairs)
    assert "Arista" in values[(1, 3, 6, 1, 2, 1, 1, 1, 0)]
    phys = {oid[-1]: hex_octets(v) for oid, v in pairs if oid[:-1] == (1, 3, 6, 1, 2, 1, 2, 2, 1, 6)}
    assert len(phys) == 49
    chassis = hex_octets(values[(1, 0, 8802, 1, 1, 2, 1, 3, 2, 0)])
    assert chassis == phys[999001]
    print(f"\nsnmpbulkwalk -Cr10 of a 48-port switch: {len(pairs)} instances in {elapsed:.2f} s")


def test_interface_state_poller_bulkget(arista: SwitchProcess) -> None:
    """RackHD's interface-state bulkget (ifOperStatus, ifSpeed, ifMtu, ifAdminStatus) reads ports in order."""
    cols = {8: "oper", 5: "speed", 4: "mtu", 7: "admin"}
    result = run("snmpbulkget", *V2C, "-Cr48", ARISTA_IP, *(f"{IF_ENTRY}.{c}" for c in cols))
    assert result.returncode == 0, result.stderr
    table: dict[int, dict[int, str]] = {c: {} for c in cols}
    for oid, value in parse(result.stdout):
        if oid[:9] == (1, 3, 6, 1, 2, 1, 2, 2, 1) and oid[9] in cols:
            table[oid[9]][oid[10]] = value
    rows = [list(table[c]) for c in cols]
    assert all(r == rows[0] for r in rows), "columns returned different rows"
    assert rows[0][:3] == [1, 2, 3] and len(rows[0]) >= 10
    assert (table[8][1], table[8][2], table[8][3]) == ("1", "1", "2")  # cabled, cabled, empty
    assert table[5][1] == "4294967295" and table[4][1] == "9214" and table[7][3] == "1"


def test_txrx_counters_poller_bulkget(arista: SwitchProcess) -> None:
    """RackHD's txrx bulkget of 22 counter columns returns integers for each column."""
    names = [10, 11, 13, 14, 15, 16, 17, 19, 20, 21]
    oids = [f"{IF_ENTRY}.{c}" for c in names] + [f"{IFX_ENTRY}.{c}" for c in range(2, 14)]
    result = run("snmpbulkget", *V2C, ARISTA_IP, *oids)
    assert result.returncode == 0, result.stderr
    pairs = parse(result.stdout)
    seen = {oid[:10] if oid[:9] == (1, 3, 6, 1, 2, 1, 2, 2, 1) else oid[:11] for oid, _ in pairs}
    assert len(seen) == 22
    assert all(value.isdigit() for _, value in pairs)


def test_processor_and_memory_walks(arista: SwitchProcess) -> None:
    """hrProcessorLoad, hrDeviceDescr and hrStorageDescr/hrStorageUsed walks give RackHD its metrics."""
    loads = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.3.6.1.2.1.25.3.3.1.2").stdout)
    assert len(loads) == 2 and all(0 <= int(v) <= 100 for _, v in loads)
    devices = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.3.6.1.2.1.25.3.2.1.3").stdout)
    assert [oid[-1] for oid, _ in devices] == [oid[-1] for oid, _ in loads]
    descrs = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.3.6.1.2.1.25.2.3.1.3").stdout)
    used = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.3.6.1.2.1.25.2.3.1.6").stdout)
    ram = [oid[-1] for oid, v in descrs if v.startswith("RAM")]
    assert ram and len(used) == len(descrs)
    assert all(int(v) > 0 for oid, v in used if oid[-1] in ram)


def test_counters_move_while_up(arista: SwitchProcess) -> None:
    """Two reads of a cabled port's counters differ; an empty port's stay at zero."""
    hc_in, in_octets = f"{IFX_ENTRY}.6", f"{IF_ENTRY}.10"

    def read(port: int) -> tuple[int, int]:
        out = dict(parse(run("snmpget", *V2C, ARISTA_IP, f"{hc_in}.{port}", f"{in_octets}.{port}").stdout))
        hc = int(out[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, port)])
        return hc, int(out[(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, port)])

    first = read(1)
    assert 0 <= (first[1] - first[0]) % 2**32 < 10**7  # same counter, read microseconds apart
    later = wait_for(lambda: (r := read(1)) != first and r, 10.0, "ifHCInOctets.1 to move")
    assert later[0] > first[0]
    assert read(3) == (0, 0)


def test_fdb_and_lldp_follow_cabling(arista: SwitchProcess) -> None:
    """dot1dTpFdbPort and lldpRemSysName list exactly the cabled peers, on their ports."""
    fdb = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.3.6.1.2.1.17.4.3.1.2").stdout)
    learned = {":".join(f"{b:02x}" for b in oid[-6:]): int(port) for oid, port in fdb}
    assert learned == {mac: port for port, mac in PEERS.items()}
    names = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.0.8802.1.1.2.1.4.1.1.9").stdout)
    assert sorted((oid[-2], v) for oid, v in names) == [(p, f"peer{p}") for p in sorted(PEERS)]
    chassis = parse(run("snmpwalk", *V2C, ARISTA_IP, "1.0.8802.1.1.2.1.4.1.1.5").stdout)
    assert {hex_octets(v) for _, v in chassis} == {bytes.fromhex(m.replace(":", "")) for m in PEERS.values()}


def test_set_admin_status(arista: SwitchProcess) -> None:
    """snmpset ifAdminStatus with the rw community takes a port down and up; the ro community may not."""
    admin, oper = f"{IF_ENTRY}.7.4", f"{IF_ENTRY}.8.4"
    denied = run("snmpset", *V2C, ARISTA_IP, admin, "i", "2")
    assert denied.returncode != 0 and "noAccess" in denied.stderr + denied.stdout
    try:
        assert run("snmpset", "-v2c", "-c", "private", ARISTA_IP, admin, "i", "2").returncode == 0
        assert dict(parse(run("snmpget", *V2C, ARISTA_IP, oper).stdout)) == {(1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 4): "2"}
    finally:
        assert run("snmpset", "-v2c", "-c", "private", ARISTA_IP, admin, "i", "1").returncode == 0
    assert dict(parse(run("snmpget", *V2C, ARISTA_IP, oper).stdout)) == {(1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 4): "1"}


def test_cisco_identity_and_process_mib(cisco: SwitchProcess) -> None:
    """Cisco: sysDescr has 'Cisco', entPhysicalModelName.10 is the SKU, RackHD's cpm bulkget answers."""
    out = dict(parse(run("snmpget", *V2C, CISCO_IP, "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.47.1.1.1.1.13.10").stdout))
    assert "Cisco" in out[(1, 3, 6, 1, 2, 1, 1, 1, 0)]
    assert out[(1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13, 10)] == "N3K-C3064PQ-10GX"
    cpm = "1.3.6.1.4.1.9.9.109.1.1.1.1"
    result = run("snmpbulkget", *V2C, "-Cr1", CISCO_IP, *(f"{cpm}.{c}" for c in (2, 6, 7, 8, 12, 13)))
    assert result.returncode == 0, result.stderr
    values = {oid[-2]: int(v) for oid, v in parse(result.stdout)}
    assert values[2] == 22 and all(0 <= values[c] <= 100 for c in (6, 7, 8)) and values[12] > 0 < values[13]
    psu = parse(run("snmpwalk", *V2C, CISCO_IP, "1.3.6.1.4.1.9.9.117.1.1.2.1.2").stdout)
    assert [(oid[-1], v) for oid, v in psu] == [(470, "2"), (471, "2")]
