"""Overload end to end: 13 FreeIPMI ``ipmipower --stat`` processes at once against a rack of 300 BMCs.

Issue 9 found 17-21 % of such sessions ending in "BMC error" against 10,000
BMCs, with thousands of RAKP 3 messages refused as invalid-session: FreeIPMI
counts the message tag up on every send, so its retransmissions never matched
the bytes the BMC remembered.  Here every BMC must answer each process, and
the retransmissions must have happened (ipmipower retransmits after 150 ms
instead of its default, so tens of thousands do even on a fast machine) and
been answered again rather than refused.  Addresses: 127.63.64.0/18.

(Much shorter retransmission timeouts, 20 ms here, make the clients outrun
any server: in-session retransmissions then run more than 16 sequence numbers
ahead of what the BMC saw, out of the window IPMI 2.0 allows, and sessions
time out; a real BMC behaves the same.)
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import write_spec
from tests.support.rack_process import RackProcess

pytestmark = pytest.mark.e2e
NODES = 300
CLIENTS = 13
SPEC = f"""\
rack: e2e-overload
seed: e2e-overload-seed
networks:
  management: 127.63.64.0/18
devices:
  - name: "node{{n:03d}}"
    kind: compute
    model: generic
    count: {NODES}
    bmc:
      boot_time: 0
      users:
        - {{name: admin, password: admin}}
"""


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    base = tmp_path_factory.mktemp("overload")
    process = RackProcess(write_spec(base, SPEC), base / "state", "e2e-overload").start(timeout=120)
    yield process
    assert process.stop() == 0, process.output()


def _bmc_addresses(rack: RackProcess) -> list[str]:
    devices = rack.api("GET", "/api/v1/devices")
    return sorted(d["bmc"]["address"] for d in devices if d.get("kind") == "compute")


def run_at_once(argv: list[str], count: int, directory: Path) -> list[str]:
    """Run ``count`` copies of ``argv`` at once; return their outputs.

    The copies share one new session, apart from the rack's: with the kernel's
    autogroup scheduling (on by default) CPU time is shared per session, and
    13 clients in the rack's session would leave the rack 1/14 of a core, as
    if the BMCs ran on the managers' machine.  Real clients run elsewhere.
    """
    outputs = [directory / f"client{n}.out" for n in range(count)]
    command = " ".join(f'"$@" >{path} 2>&1 &' for path in outputs) + " wait"
    subprocess.run(["sh", "-c", command, "sh", *argv], start_new_session=True, check=True, timeout=300)
    return [path.read_text() for path in outputs]


def test_thirteen_ipmipower_processes_at_once_all_get_answers(rack: RackProcess, tmp_path: Path) -> None:
    hosts = _bmc_addresses(rack)
    assert len(hosts) == NODES
    argv = ["ipmipower", "-D", "LAN_2_0", "-u", "admin", "-p", "admin", "-h", ",".join(hosts), "--stat"]
    argv.append("--retransmission-timeout=150")
    outputs = run_at_once(argv, CLIENTS, tmp_path)
    answers = Counter(line.partition(": ")[2] for out in outputs for line in out.splitlines())
    stats = [d["stats"] for d in rack.api("GET", "/api/v1/devices") if "stats" in d]
    totals: Counter[str] = Counter()
    for one in stats:
        totals.update(one)
    print(answers.most_common(5), dict(totals))
    assert answers == {"off": NODES * CLIENTS}, (answers.most_common(5), dict(totals))
    assert sum(s["sessions_opened"] for s in stats) == NODES * CLIENTS
    assert sum(s["handshake_refusals"] for s in stats) == 0
    assert sum(s["handshake_retransmits"] for s in stats) > 0, "ipmipower never retransmitted: the test proves nothing"
    refused = [e for e in rack.events() if e.get("outcome") not in (None, "ok")]
    assert refused == [], refused[:5]
