"""POST time: a powered-on node waits its personality's POST (or the spec's ``post_seconds``) before it
tries to boot; the journal and the console show it (fake clock)."""

from __future__ import annotations

from typing import Any

from tests.vrack.inmemory import SMALL, MemoryRack


def boots(m: MemoryRack, node: str) -> list[dict[str, Any]]:
    return m.events(device=node, protocol="host", operation="boot")


def test_power_on_waits_the_models_post_before_the_boot_attempt() -> None:
    m = MemoryRack()
    m.advance(3)
    m.rack.power_node("node01", "on", "test")  # quanta-d51: 45 s
    m.rack.power_node("node03", "on", "test")  # dell-r630: 90 s
    [post] = m.events(device="node01", operation="post")
    assert (post["protocol"], post["seconds"], post["boot_device"]) == ("host", 45.0, "pxe")
    assert m.events(device="node03", operation="post")[0]["seconds"] == 90.0
    host = m.rack.devices["node01"].describe()["host"]
    assert host["post_seconds"] == 45.0 and host["in_post"] == 45.0
    console = m.rack.devices["node01"].console  # type: ignore[attr-defined]
    assert b"POST: 45 s" in console.recent() and b"Booting from PXE" not in console.recent()
    m.advance(44.9)
    assert not boots(m, "node01")
    m.advance(0.2)
    assert len(boots(m, "node01")) == 1 and b"Booting from PXE" in console.recent()
    assert "in_post" not in m.rack.devices["node01"].describe()["host"]
    assert not boots(m, "node03")
    m.advance(45)
    assert len(boots(m, "node03")) == 1


def test_reset_during_post_starts_it_again_and_power_off_ends_it() -> None:
    m = MemoryRack()
    m.advance(3)
    m.rack.power_node("node01", "on", "test")
    m.rack.power_node("node02", "on", "test")
    m.advance(20)
    m.rack.power_node("node01", "reset", "test")
    m.rack.power_node("node02", "off", "test")
    m.advance(44.9)
    assert not boots(m, "node01") and len(m.events(device="node01", operation="post")) == 2
    m.advance(0.2)
    assert len(boots(m, "node01")) == 1
    m.advance(60)
    assert not boots(m, "node02")


def test_spec_post_seconds_overrides_the_model_and_zero_boots_at_once() -> None:
    spec = SMALL.replace("bmc: {boot_time: 2}}", "bmc: {boot_time: 2}, post_seconds: 0}").replace(
        "power_supplies: 2}", "power_supplies: 2, post_seconds: 7.5}"
    )
    m = MemoryRack(spec)
    m.advance(3)
    m.rack.power_node("node01", "on", "test")
    m.rack.power_node("node03", "on", "test")
    assert len(boots(m, "node01")) == 1 and not m.events(device="node01", operation="post")
    assert m.events(device="node03", operation="post")[0]["seconds"] == 7.5
    m.advance(7.4)
    assert not boots(m, "node03")
    m.advance(0.2)
    assert len(boots(m, "node03")) == 1
