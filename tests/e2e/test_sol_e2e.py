"""Serial over LAN end to end: ipmitool (cipher suites 3 and 17), FreeIPMI's ipmiconsole and pyghmi's
console attach to a node's console, see it power on (POST, the PXE ROM failing on a rack without a
provisioning network), type a key that makes it retry the boot, and leave or get cut off; ``sol info``
and ``sol set`` read and write the SOL parameters; the console is kept in the state directory.

The interactive clients run on a pseudo-terminal (``tests/e2e/pty_session.py``).  Rack on
127.63.130.0/24, in process through vrack.testing, as root (UDP 623).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from tests.e2e.pty_session import PtySession
from tests.support.clients import ipmitool
from vrack.testing import RackHandle, start_rack

pytestmark = pytest.mark.e2e
HOST = "127.63.130.1"
SPEC = textwrap.dedent(
    f"""\
    rack: sol
    seed: sol-seed
    networks: {{management: 127.63.130.0/24}}
    devices:
      - name: node01
        kind: compute
        model: quanta-d51
        post_seconds: 0
        bmc:
          address: {HOST}
          boot_time: 0
          users:
            - {{name: admin, password: admin}}
            - {{name: viewer, password: viewer-pw, privilege: user}}
    """
)
RETRY_PROMPT = b"No bootable device -- press any key to retry the boot."


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackHandle]:
    handle = start_rack(SPEC, mode="inprocess", ports="standard", state_dir=tmp_path_factory.mktemp("sol"))
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def host_off(rack: RackHandle) -> None:
    """Every test starts with the host off and no SOL payload active."""
    ipmitool(HOST, "chassis power off").ok()
    ipmitool(HOST, "sol deactivate")  # refused when none is active, which is fine


def _power_on_and_retry(console: PtySession) -> None:
    """Power the host on from another session; see POST and the PXE failure; a key retries the boot."""
    ipmitool(HOST, "chassis power on").ok()
    console.expect(b"Quanta D51B-1U")
    after = console.expect(RETRY_PROMPT)
    console.send(b"x")
    console.expect(b"Booting from PXE", start=after)


@pytest.mark.parametrize("suite", ["3", "17"])
def test_ipmitool_sol_activate_sees_the_node_boot_and_types_into_it(rack: RackHandle, suite: str) -> None:
    argv = ["ipmitool", "-I", "lanplus", "-H", HOST, "-U", "admin", "-P", "admin", "-C", suite, "sol", "activate"]
    console = PtySession(argv)
    try:
        console.expect(b"[SOL Session operational.  Use ~? for help]")
        _power_on_and_retry(console)
        console.send(b"\r~.")  # ipmitool's escape: newline, tilde, dot
        assert console.wait() == 0
    finally:
        console.close()
    log = rack.state_dir / "sol" / "node01.console.log"
    text = log.read_text()
    assert "American Megatrends Inc. BIOS" in text and text.count("Booting from PXE") >= 2
    assert "Payload Channel                 : 1 (0x01)" in ipmitool(HOST, "sol info").ok().stdout


def test_ipmiconsole_is_cut_off_when_another_session_deactivates_sol(rack: RackHandle) -> None:
    argv = ["ipmiconsole", "-h", HOST, "-u", "admin", "-p", "admin", "-I", "17"]
    console = PtySession(argv)
    try:
        console.expect(b"[SOL established]")
        _power_on_and_retry(console)
        ipmitool(HOST, "sol deactivate").ok()
        console.expect(b"[SOL session stolen]")
        console.wait()
    finally:
        console.close()


PYGHMI_CONSOLE = """
import sys, time
from pyghmi.ipmi import console
from pyghmi.ipmi.private import session
seen = []
def handler(data):
    seen.append(data.decode(errors="replace") if isinstance(data, bytes) else str(data))
c = console.Console(sys.argv[1], "admin", "admin", iohandler=handler, force=True)
deadline = time.monotonic() + 60
def wait_for(text, count=1):
    while "".join(seen).count(text) < count and time.monotonic() < deadline:
        session.Session.wait_for_rsp(0.1)
wait_for("No bootable device")
c.send_data("x")
wait_for("Booting from PXE", 2)
print("".join(seen), flush=True)
c.close()
"""


def test_pyghmi_console_sees_the_output_and_its_key_retries_the_boot(rack: RackHandle) -> None:
    mark = rack.journal.mark()
    client = subprocess.Popen(
        [sys.executable, "-c", PYGHMI_CONSOLE, HOST], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        rack.journal.wait_for(mark, device="node01", operation="app.activate_payload", completion_code=0)
        ipmitool(HOST, "chassis power on").ok()
        output = client.communicate(timeout=90)[0]
    finally:
        if client.poll() is None:
            client.kill()
            client.communicate()
    assert output.count("Booting from PXE") >= 2 and "No bootable device" in output, output[-2000:]


def test_sol_set_changes_what_sol_info_reports(rack: RackHandle) -> None:
    ipmitool(HOST, "sol set retry-count 3").ok()
    ipmitool(HOST, "sol set character-send-threshold 50").ok()
    info = ipmitool(HOST, "sol info").ok().stdout
    assert "Retry Count                     : 3" in info and "Character Send Threshold        : 50" in info
    assert "Retry Count" in ipmitool(HOST, "sol info", user="viewer", password="viewer-pw", extra="-L USER").ok().stdout
    refused = ipmitool(HOST, "sol set privilege-level user", user="viewer", password="viewer-pw", extra="-L USER")
    assert refused.returncode != 0 and "Insufficient privilege" in refused.stdout + refused.stderr, refused
