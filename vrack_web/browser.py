"""Headless Chromium for the web view's tests and benchmark: Debian's ``chromium`` through ``chromedriver``.

Selenium comes from the ``[test]`` extra and is imported only here.  :func:`open_browser` never lets
Selenium Manager download a browser or driver: it uses the system's (``VRACK_CHROMIUM`` and
``VRACK_CHROMEDRIVER`` override the paths) and says which is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER = ("chromedriver",)


def _find(env: str, names: tuple[str, ...], package: str) -> str:
    explicit = os.environ.get(env)
    if explicit:
        return explicit
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise FileNotFoundError(f"no {names[0]} found (install Debian's {package}, or set {env})")


def open_browser(width: int = 1600, height: int = 1000) -> Any:
    """A headless Chromium WebDriver with the browser console log kept (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _find("VRACK_CHROMIUM", CHROMIUM, "chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=_find("VRACK_CHROMEDRIVER", CHROMEDRIVER, "chromium-driver"))
    return webdriver.Chrome(options=options, service=service)


def wait_for(driver: Any, script: str, timeout: float = 10.0, *args: Any) -> Any:
    """Run ``script`` (a JavaScript function body returning a value) until it returns something truthy.

    Raises :class:`TimeoutError` with the last value and the browser's last console messages.
    """
    deadline = time.monotonic() + timeout
    value: Any = None
    while True:
        value = driver.execute_script(script, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            console = [str(entry.get("message"))[:300] for entry in driver.get_log("browser")][-10:]
            raise TimeoutError(
                f"page never satisfied {script!r} within {timeout} s (last {value!r}); console: {console}"
            )
        time.sleep(0.02)
