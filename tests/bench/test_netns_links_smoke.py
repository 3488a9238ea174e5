"""Smoke test of bench.netns_links (no timed asserts): both layouts build, echo from the first and the last
device, and leave no namespace behind.  Namespaces ``vrt-bl-*``, addresses 10.236.0.0/16."""

from __future__ import annotations

import subprocess

import pytest

from bench.netns_links import measure, sut_namespace
from tests.support.privileges import require_root

pytestmark = pytest.mark.e2e


def test_both_layouts_answer_from_the_first_and_the_last_device() -> None:
    require_root("bench.netns_links builds network namespaces: run as root (CI does)")
    with sut_namespace():
        rows = [measure(layout, 5, 20) for layout in ("bridge", "links")]
    assert [(r["layout"], r["devices"]) for r in rows] == [("bridge", 5), ("links", 5)]
    assert all(r["rtt_first_p50_us"] > 0 and r["rtt_last_p50_us"] > 0 for r in rows)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert "vrt-bl-" not in listed
