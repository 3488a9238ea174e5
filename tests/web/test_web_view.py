"""The web view in headless Chromium against a rack started with ``vrack up`` (the test kit's process mode).

Real clients change the rack behind the page's back (ipmitool power and identify, snmpset on a PDU
outlet) and the page must show it without a reload; the page's own buttons act through the control
API.  Screenshots go to the test's tmp dir and to ``VRACK_TEST_ARTIFACTS``/web (default: ``test-artifacts/web``
in the checkout, gitignored), where a CI run keeps them.
The rack uses 127.68.1.0/24 and its control API 127.68.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vrack.testing import RackHandle, start_rack
from vrack_web.browser import open_browser, wait_for

pytestmark = pytest.mark.e2e

SECRET = "s3cret-Pw-77"
COMMUNITY = "rw-Secret-9"
SPEC = f"""\
rack: web-e2e
seed: web-e2e
networks: {{management: 127.68.1.0/24}}
control: {{address: 127.68.0.1}}
devices:
  - name: "node{{n:02d}}"
    kind: compute
    model: quanta-d51
    count: 3
    post_seconds: 0
    bmc: {{boot_time: 0.5, users: [{{name: admin, password: {SECRET}}}]}}
  - {{name: big01, kind: compute, model: dell-r630, height: 2, post_seconds: 0,
     bmc: {{users: [{{name: admin, password: {SECRET}}}]}}}}
  - name: pdu1
    kind: pdu
    outlets: 8
    snmp: {{communities: [{{name: public}}, {{name: {COMMUNITY}, access: rw}}]}}
  - {{name: sw1, kind: switch, ports: 16}}
power:
  - {{outlet: pdu1/1, to: node01/psu1}}
  - {{outlet: pdu1/2, to: node02/psu1}}
  - {{outlet: pdu1/3, to: node03/psu1}}
  - {{outlet: pdu1/4, to: big01/psu1}}
cables:
  - {{a: node01/nic0, b: sw1/1}}
  - {{a: node02/nic0, b: sw1/2}}
  - {{a: node03/nic0, b: sw1/3}}
  - {{a: big01/nic0, b: sw1/4}}
"""
SENTRY_ACTION = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1"
REPO = Path(__file__).resolve().parents[2]


def _tool(name: str) -> None:
    if shutil.which(name) is None:
        pytest.fail(f"{name} is not installed (scripts/test installs it)")


@pytest.fixture(scope="module")
def rack() -> Iterator[RackHandle]:
    with start_rack(SPEC, mode="process") as handle:
        yield handle


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _tool("chromium")
    _tool("chromedriver")
    driver = open_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path: Path, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``shots(name)`` saves a screenshot to tmp_path, then copies it to the artifacts directory."""
    taken: list[Path] = []

    def shoot(name: str) -> Path:
        path = tmp_path / f"{request.node.name}-{name}.png"
        assert browser.save_screenshot(str(path)), f"screenshot {path} failed"
        taken.append(path)
        return path

    yield shoot
    target = Path(os.environ.get("VRACK_TEST_ARTIFACTS") or REPO / "test-artifacts") / "web"
    target.mkdir(parents=True, exist_ok=True)
    for path in taken:
        shutil.copy(path, target / path.name)


def _bmc(rack: RackHandle, node: str) -> str:
    return str(rack.node(node).describe()["bmc"]["address"])


def _ipmitool(rack: RackHandle, node: str, *command: str) -> None:
    address = _bmc(rack, node)
    port = str(rack.node(node).describe()["bmc"]["bound_port"])
    argv = ["ipmitool", "-I", "lanplus", "-H", address, "-p", port, "-U", "admin", "-P", SECRET, *command]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{argv[:5]} {command}: {done.stderr}"


def _open(browser: Any, rack: RackHandle) -> None:
    browser.get(rack.api_url + "/web/?peers=127.0.0.1=ipmitool")
    wait_for(browser, "return window.vrackView && window.vrackView.ready", 20)


def _console_problems(browser: Any) -> list[str]:
    """Console errors and warnings since the last call (CSP violations, script errors, failed requests)."""
    return [str(e["message"]) for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _attr(browser: Any, name: str, attribute: str) -> str:
    return str(browser.execute_script(f"return document.querySelector('[data-name=\"{name}\"]').dataset.{attribute}"))


def _until_attr(browser: Any, name: str, attribute: str, value: str, timeout: float = 10.0) -> None:
    wait_for(
        browser,
        'const n = document.querySelector(`[data-name="${arguments[0]}"]`);'
        " return n && n.dataset[arguments[1]] === arguments[2];",
        timeout,
        name,
        attribute,
        value,
    )


def _click(browser: Any, selector: str) -> None:
    browser.execute_script("document.querySelector(arguments[0]).click()", selector)


def test_the_page_is_served_beside_the_api_with_its_url_in_status(rack: RackHandle) -> None:
    info = rack.info()
    assert info["web"] == ["/web/"]
    with urllib.request.urlopen(rack.api_url + "/web/", timeout=10) as response:
        page = response.read().decode()
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<script type="module" src="app.js">' in page
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(rack.api_url + "/web/../control.json", timeout=10)
    assert missing.value.code == 404
    status = subprocess.run(
        [sys.executable, "-m", "vrack", "--state-dir", str(rack.state_dir), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"web view: {rack.api_url}/web/" in status.stdout, status.stdout + status.stderr
    assert f"web view {rack.api_url}/web/" in rack.output()  # what vrack up printed


def test_page_shows_the_spec_elevation_and_follows_real_clients(rack: RackHandle, browser: Any, shots: Any) -> None:
    _console_problems(browser)
    _open(browser, rack)
    names = browser.execute_script("return [...document.querySelectorAll('.device')].map(d => d.dataset.name)")
    assert sorted(names) == ["big01", "node01", "node02", "node03", "pdu1", "sw1"]
    rows = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.rails .device')]"
        ".map(d => [d.dataset.name, d.style.gridRow]))"
    )
    assert rows == {"sw1": "1 / span 1", "node01": "2 / span 1", "node02": "3 / span 1", "node03": "4 / span 1",
                    "big01": "5 / span 2"}  # fmt: skip
    assert browser.execute_script("return document.querySelectorAll('#wiring path').length") == 8
    shots("loaded")

    _ipmitool(rack, "node01", "chassis", "power", "on")
    _until_attr(browser, "node01", "power", "on")
    wait_for(
        browser,
        "return [...document.querySelectorAll('#entries .sentence')]"
        ".some(s => /^ipmitool 127[.0-9]+ → node01: chassis power on$/.test(s.textContent))",
    )
    _until_attr(browser, "node03", "identify", "off")
    _ipmitool(rack, "node03", "chassis", "identify", "2")
    _until_attr(browser, "node03", "identify", "temporary")
    _until_attr(browser, "node03", "identify", "off")  # no journal entry says so: the page looks when it ends
    _ipmitool(rack, "node03", "chassis", "identify", "force")
    _until_attr(browser, "node03", "identify", "on")

    address, port = rack.pdu("pdu1").describe()["address"], rack.pdu("pdu1").describe()["bound_port"]
    cut = subprocess.run(
        ["snmpset", "-v2c", "-c", COMMUNITY, f"{address}:{port}", f"{SENTRY_ACTION}.2", "i", "2"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert cut.returncode == 0, cut.stderr
    _until_attr(browser, "node02", "power", "no-ac")
    _until_attr(browser, "node02", "bmc", "dark")
    assert (
        browser.execute_script("return document.querySelector('[data-name=pdu1] [data-outlet=\"2\"]').dataset.on")
        == "off"
    )
    rack.pdu("pdu1").outlet(2).set("on")
    _until_attr(browser, "node02", "power", "off")  # AC back, host off
    _until_attr(browser, "node02", "bmc", "answering")  # after its boot_time, found by the page's timer
    shots("after-clients")
    page = browser.page_source
    assert SECRET not in page and COMMUNITY not in page
    assert _console_problems(browser) == []


def test_actions_on_the_page_go_through_the_control_api(rack: RackHandle, browser: Any, shots: Any) -> None:
    _open(browser, rack)
    _click(browser, '[data-name="node03"]')
    wait_for(browser, "return document.querySelector('#details').dataset.device === 'node03'")
    _click(browser, '#details button[data-action="power on"]')
    _until_attr(browser, "node03", "power", "on")
    assert rack.node("node03").power_state() == "on"

    _click(browser, '[data-name="pdu1"]')
    wait_for(browser, "return document.querySelector('#details').dataset.device === 'pdu1'")
    _click(browser, '#details .outlets-table tr:nth-child(3) button[data-action="off"]')
    _until_attr(browser, "node03", "power", "no-ac")
    assert rack.pdu("pdu1").outlet(3).on is False

    _click(browser, '[data-name="sw1"]')
    wait_for(browser, "return document.querySelector('#details').dataset.device === 'sw1'")
    _click(browser, '#details .ports-table tr:nth-child(1) button[data-action="pull"]')
    wait_for(browser, "return document.querySelector('#wiring path.cable.unplugged')")
    wait_for(
        browser, "return document.querySelector('#details .ports-table tr:nth-child(1) button[data-action=\"plug\"]')"
    )

    _click(browser, '[data-name="big01"]')
    browser.execute_script(
        "const s = document.getElementById('fault-kind'); s.value = 'bmc-hang'; s.dispatchEvent(new Event('change'))"
    )
    _click(browser, '#fault-form button[type="submit"]')
    _until_attr(browser, "big01", "bmc", "hung")
    wait_for(browser, "return document.querySelector('#active-faults li[data-fault]')")
    shots("actions")
    _click(browser, "#active-faults li[data-fault] button")
    _until_attr(browser, "big01", "bmc", "answering")
    errors = browser.execute_script("return window.vrackView.errors")
    assert errors == []
    assert _console_problems(browser) == []


def test_health_sessions_and_journal_filters(rack: RackHandle, browser: Any, shots: Any) -> None:
    _open(browser, rack)
    rack.node("node01").set_sensor("Temp_CPU0", 120)
    wait_for(
        browser,
        "return ['critical', 'non-recoverable'].includes(document.querySelector('[data-name=node01]').dataset.health)",
    )
    rack.node("node01").set_sensor("Temp_CPU0", None)
    _until_attr(browser, "node01", "health", "ok")

    _click(browser, '[data-name="node02"]')
    address, port = _bmc(rack, "node01"), str(rack.node("node01").describe()["bmc"]["bound_port"])
    argv = ["ipmitool", "-I", "lanplus", "-H", address, "-p", port, "-U", "admin", "-P", SECRET, "shell"]
    shell = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert shell.stdin is not None
        shell.stdin.write("chassis status\n")
        shell.stdin.flush()
        _click(browser, '[data-name="node01"]')
        wait_for(browser, "return /Sessions \\(1\\)/.test(document.querySelector('#details').textContent)")
        assert "administrator" in browser.execute_script("return document.querySelector('#details').textContent")
        wait_for(browser, "return document.querySelectorAll('#details .sel tbody tr').length > 0")
        shots("session")
    finally:
        shell.communicate("exit\n", timeout=30)

    browser.execute_script(
        "const f = document.getElementById('filter-device'); f.value = 'node03'; f.dispatchEvent(new Event('input'))"
    )
    wait_for(
        browser,
        "const items = [...document.querySelectorAll('#entries li')];"
        " return items.length > 0 && items.every(li => li.dataset.device === 'node03');",
    )
    browser.execute_script(
        "const p = document.getElementById('filter-protocol'); p.value = 'ipmi'; p.dispatchEvent(new Event('change'))"
    )
    wait_for(
        browser,
        "const items = [...document.querySelectorAll('#entries li')];"
        " return items.length > 0"
        " && items.every(li => li.dataset.device === 'node03' && li.dataset.protocol === 'ipmi');",
    )
    shots("filtered")


def test_a_rack_with_a_token_opens_with_the_token_in_the_fragment_only(browser: Any, shots: Any) -> None:
    spec = (
        SPEC.replace("rack: web-e2e", "rack: web-token")
        .replace("control: {address: 127.68.0.1}", "control: {address: 127.68.0.4, allow_remote: true}")
        .replace("127.68.1.0/24", "127.68.3.0/24")
    )
    with start_rack(spec, mode="process") as rack:
        token = json.loads((rack.state_dir / "web-token" / "control.json").read_text())["token"]
        browser.execute_script("sessionStorage.clear()")
        browser.get(rack.api_url + "/web/")
        wait_for(browser, "return window.vrackView && window.vrackView.failed")
        assert "needs its token" in browser.execute_script("return document.getElementById('notice').textContent")
        browser.get("about:blank")  # a new load: a fragment change alone would not reload the page
        browser.get(rack.api_url + "/web/#token=" + token)
        wait_for(browser, "return window.vrackView && window.vrackView.ready", 20)
        assert token not in browser.current_url
        _ipmitool(rack, "node01", "chassis", "power", "on")
        _until_attr(browser, "node01", "power", "on")  # the journal stream carries the token too
        shots("token")
        browser.execute_script("sessionStorage.clear()")
