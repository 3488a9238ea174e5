"""Tests that need root (UDP 623/161, network namespaces) fail, not skip, without it: CI runs as root."""

from __future__ import annotations

import os
import shutil

import pytest


def require_root(why: str) -> None:
    """Fail the test with ``why`` (which says what needs root) unless this process is root."""
    if os.geteuid() != 0:
        pytest.fail(why)


def require_tools(*tools: str, hint: str = "bash scripts/test installs it") -> None:
    """Fail the test naming the first of ``tools`` that is not on PATH, and ``hint`` (where it comes from)."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed ({hint})")
