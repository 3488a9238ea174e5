"""The dashboard of ``vrack ci dashboard`` in headless Chromium (Debian's chromium + chromium-driver, driven
by Selenium): cycles with outcome, duration and SHAs, the flaky test, a cycle's suites and tests, a test's
history, the artifacts, served by ``vrack ci dashboard``.  A screenshot of each page is kept in
``test-artifacts/`` ($VRACK_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.ci.conftest import SUITE, Upstream, write_config
from vrack_ci.config import load_config
from vrack_ci.runner import Runner

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("VRACK_TEST_ARTIFACTS", ROOT / "test-artifacts"))

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("chromium and chromium-driver are not installed (scripts/test installs the Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


def _shot(browser: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / f"ci-dashboard-{name}.png"))


def test_the_dashboard_shows_cycles_flaky_tests_and_artifacts(
    tmp_path: Path, upstream: Upstream, browser: webdriver.Chrome
) -> None:
    sha = upstream.commit("flaky", "flaky feature")
    suites = [{"name": "unit", "repo": "proj", "env": {"FLAKY_STATE": str(tmp_path / "turn")},
               "command": [sys.executable, str(SUITE), "{junit}"]}]  # fmt: skip
    cfg = load_config(write_config(tmp_path, upstream, subnet=8, suites=suites))
    Runner(cfg, log=lambda _line: None).run(cycles=2)
    dashboard = subprocess.Popen(
        [sys.executable, "-m", "vrack", "ci", "dashboard", str(cfg.path), "--host", "127.67.0.2", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert dashboard.stdout is not None
        first = dashboard.stdout.readline()  # "vrack ci dashboard on http://127.67.0.2:PORT/ (Ctrl-C stops it)"
        base = first.split(" on ", 1)[1].split("/ ", 1)[0]
        assert base.startswith("http://127.67.0.2:"), first
        browser.get(base + "/")
        assert browser.title == "vrack ci: test-ci"
        rows = browser.find_elements(By.CSS_SELECTOR, "#cycles tr")[1:]
        cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
        assert [(c[0], c[1], c[4]) for c in cells] == [("2", "failed", "proj main"), ("1", "passed", "proj main")]
        assert all(c[2].endswith(" s") and f"proj {sha[:10]}" == c[5] for c in cells)
        flaky = browser.find_element(By.CSS_SELECTOR, "#flaky tr.flaky").text
        assert flaky.startswith("unit junit_suite::test_feature 1 1")
        _shot(browser, "cycles")

        browser.find_element(By.LINK_TEXT, "2").click()
        assert browser.find_element(By.ID, "summary").text.startswith("failed in ")
        suite_row = browser.find_element(By.CSS_SELECTOR, "#suites tr.failed").text
        assert suite_row.startswith("unit failed") and "passed 1 failed 1" in suite_row
        outcomes = {r.find_elements(By.TAG_NAME, "td")[1].text: r.find_elements(By.TAG_NAME, "td")[2].text
                    for r in browser.find_elements(By.CSS_SELECTOR, "#tests tr")[1:]}  # fmt: skip
        assert outcomes == {"junit_suite::test_rack_up": "passed", "junit_suite::test_feature": "failed"}
        _shot(browser, "cycle")

        browser.find_element(By.LINK_TEXT, "junit_suite::test_feature").click()
        history = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#test-history tr")[1:]]
        assert [h.split()[:2] for h in history] == [["2", "failed"], ["1", "passed"]]
        assert "(flaky)" in browser.find_element(By.ID, "test-summary").text
        _shot(browser, "test")

        browser.get(base + "/cycles/2")
        browser.find_element(By.LINK_TEXT, "artifacts").click()
        names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#artifacts a")]
        assert {"junit/", "rack/", "cycle.json", "rack-output.log"} <= set(names)
        browser.find_element(By.LINK_TEXT, "junit/").click()
        browser.find_element(By.LINK_TEXT, "unit.xml").click()
        assert "test_feature" in browser.page_source
        browser.get(base + "/artifacts/../../etc/passwd")
        assert "no such page" in browser.page_source
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=30)
        if dashboard.stdout is not None:
            dashboard.stdout.close()
