"""What status, the API and the credentials view report is the BMC's live state, not the spec's.

RackHD's credential graph renames and re-passwords BMC users with ipmitool; `vrack status --json`
must then show the new users, as `ipmitool user list` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.clients import ipmitool
from tests.support.rack_process import ROOT, RackProcess, running_rack

pytestmark = pytest.mark.e2e

BMC = "127.64.1.1"
SPEC = """\
rack: live-state
networks: {management: 127.64.1.0/24}
devices:
  - {name: node01, kind: compute, model: quanta-d51}
"""


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    with running_rack(tmp_path_factory.mktemp("live-state"), SPEC, "live-state") as process:
        yield process


def vrack_json(rack: RackProcess, *args: str) -> dict[str, object]:
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(rack.state_root), *args, "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def node01(status: dict[str, object]) -> dict[str, object]:
    devices = status["devices"]
    assert isinstance(devices, list)
    found: dict[str, object] = next(d for d in devices if d["name"] == "node01")
    return found


def test_status_and_credentials_follow_ipmitool_user_changes(rack: RackProcess) -> None:
    """RackHD's credential script (set name, password, access, enable) shows in status, API and credentials."""
    before = node01(vrack_json(rack, "status"))["bmc"]
    assert isinstance(before, dict) and before["users"] == ["admin"]
    ipmitool(BMC, "user set name 5 __rackhd__").ok()
    ipmitool(BMC, "user set password 5 c0ffee42").ok()
    ipmitool(BMC, "channel setaccess 1 5 callin=on ipmi=on link=on privilege=4").ok()
    ipmitool(BMC, "user enable 5").ok()
    ipmitool(BMC, "user disable 2").ok()
    listed = ipmitool(BMC, "-c user list 1", "__rackhd__", "c0ffee42").ok().stdout
    assert "5,__rackhd__,true,true,true,ADMINISTRATOR" in listed
    bmc = node01(vrack_json(rack, "status"))["bmc"]
    assert isinstance(bmc, dict)
    assert bmc["users"] == ["__rackhd__"]
    assert bmc["accounts"] == [{"id": 5, "name": "__rackhd__", "privilege": "administrator"}]
    assert rack.api("GET", "/api/v1/devices/node01")["bmc"]["users"] == ["__rackhd__"]
    text = subprocess.run(
        [sys.executable, "-m", "vrack", "--state-dir", str(rack.state_root), "status"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=True,
    ).stdout  # fmt: skip
    assert f"BMC {BMC}:623 answering  users __rackhd__" in text
    creds = vrack_json(rack, "credentials", "node01")
    assert "c0ffee42" in json.dumps(creds) and "'admin'" not in str(creds)
    assert "c0ffee42" not in json.dumps(node01(vrack_json(rack, "status")))  # status never shows secrets


def test_status_shows_what_lan_print_shows(rack: RackProcess) -> None:
    """`lan set` changes what the BMC reports; status shows it beside the address it listens on.

    The MAC is read-only (0x82), as on most server BMCs, so the MAC status and `lan print` report is
    always the one the BMC uses on the wire.
    """
    user, password = "__rackhd__", "c0ffee42"
    ipmitool(BMC, "lan set 1 netmask 255.255.0.0", user, password).ok()
    ipmitool(BMC, "lan set 1 defgw ipaddr 127.64.1.254", user, password).ok()
    refused = ipmitool(BMC, "lan set 1 macaddr 02:00:00:00:00:01", user, password)
    printed = ipmitool(BMC, "lan print 1", user, password).ok().stdout
    bmc = node01(vrack_json(rack, "status"))["bmc"]
    assert isinstance(bmc, dict)
    lan = bmc["lan"]
    assert isinstance(lan, dict)
    assert lan["netmask"] == "255.255.0.0" and lan["gateway"] == "127.64.1.254"
    assert lan["ip_address"] == bmc["address"] == BMC
    assert f"MAC Address             : {bmc['mac']}" in printed and lan["mac_address"] == bmc["mac"]
    assert "02:00:00:00:00:01" not in printed, refused.stdout + refused.stderr
