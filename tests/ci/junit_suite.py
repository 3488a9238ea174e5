"""A suite command for the vrack ci tests: checks the cycle's rack with ``vrack status`` and writes JUnit.

Usage: junit_suite.py JUNIT.  What its second test does comes from the file ``behaviour`` in the
checkout it runs in (so a PR head can break it): ``pass``, ``fail``, ``crash`` (exit 3 before writing
JUnit), ``hang`` (sleep until killed), ``flaky`` (pass and fail in
turn, the turn kept in ``$FLAKY_STATE``), ``wait`` (wait until the file ``$SUITE_RELEASE`` exists).
Both ``hang`` and ``wait`` first write their pid to ``$SUITE_STARTED``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    junit = Path(sys.argv[1])
    behaviour = Path("behaviour").read_text().strip()
    if os.environ.get("SUITE_STARTED") and behaviour in ("hang", "wait"):
        Path(os.environ["SUITE_STARTED"]).write_text(str(os.getpid()))
    started = time.monotonic()
    status = subprocess.run([sys.executable, "-m", "vrack", "status", "--json"], capture_output=True, text=True)
    nodes = [d["name"] for d in json.loads(status.stdout)["devices"]] if status.returncode == 0 else []
    rack_ok = status.returncode == 0 and "node01" in nodes
    if behaviour == "crash":
        print("the suite crashed before writing JUnit", file=sys.stderr)
        return 3
    if behaviour == "hang":
        while True:
            time.sleep(1)
    if behaviour == "wait":
        while not Path(os.environ["SUITE_RELEASE"]).exists():
            time.sleep(0.05)
    feature_ok = behaviour == "pass"
    if behaviour == "flaky":
        state = Path(os.environ["FLAKY_STATE"])
        turn = int(state.read_text()) if state.exists() else 0
        state.write_text(str(turn + 1))
        feature_ok = turn % 2 == 0
    if behaviour == "wait":
        feature_ok = True
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="junit_suite", tests="2")
    case = ET.SubElement(
        suite, "testcase", classname="junit_suite", name="test_rack_up", time=f"{time.monotonic() - started:.3f}"
    )
    if not rack_ok:
        ET.SubElement(case, "failure", message=f"vrack status: {status.stderr.strip()} nodes={nodes}")
    case = ET.SubElement(suite, "testcase", classname="junit_suite", name="test_feature", time="0.010")
    if not feature_ok:
        ET.SubElement(case, "failure", message=f"behaviour {behaviour}")
    ET.ElementTree(root).write(junit, encoding="utf-8", xml_declaration=True)
    return 0 if rack_ok and feature_ok else 1


if __name__ == "__main__":
    sys.exit(main())
