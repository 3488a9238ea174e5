"""What one BMC holds before anyone asks it anything (issue 17: a rack of 100,000 BMCs): parts made at their
first use, with the same bytes as if made at once, and few enough attributes of its own that CPython shares
their names between instances."""

from __future__ import annotations

from bmc_sim.boot_options import BOOT_PARAM_LENGTHS, BOOT_PARAM_VERSION
from bmc_sim.commands.transport import ip_bytes
from bmc_sim.fru import fru_image
from bmc_sim.sensors import build_sensors
from tests.bmc_sim.test_device import CHASSIS, STORAGE, make_bmc, ok

SHARED_KEYS_LIMIT = 30  # CPython 3.11 stops sharing instance attribute names above this many


def test_a_new_bmc_has_fewer_attributes_than_cpython_shares() -> None:
    bmc, _ = make_bmc()
    assert len(vars(bmc)) < SHARED_KEYS_LIMIT, sorted(vars(bmc))


def test_sensors_fru_and_lan_parameters_are_made_at_first_use_with_the_configured_contents() -> None:
    bmc, clock = make_bmc()
    assert {"_sensors", "_fru", "_lan", "_sdr", "_pef"}.isdisjoint(vars(bmc))
    assert "_boot" not in vars(bmc.chassis)
    clock.advance(3600)  # made an hour later: the contents follow from the configuration alone

    image = fru_image(bmc.config.fru)
    assert ok(bmc, STORAGE, 0x10, b"\x00") == len(image).to_bytes(2, "little") + b"\x00"  # Get FRU Inventory Area
    assert ok(bmc, STORAGE, 0x11, b"\x00\x00\x00\x10")[1:] == image[:16]  # Read FRU Data
    assert bmc.lan.get(3, 0) == ip_bytes(bmc.config.lan.ip_address)
    made_at_once = build_sensors(bmc.config.sensors, lambda: False)
    assert [(s.number, s.name) for s in bmc.sensors] == [(s.number, s.name) for s in made_at_once]
    assert {"_sensors", "_fru", "_lan"} <= set(vars(bmc))
    for param, length in BOOT_PARAM_LENGTHS.items():  # Get System Boot Options: as at power-up
        assert ok(bmc, CHASSIS, 0x09, bytes([param, 0, 0])) == bytes([BOOT_PARAM_VERSION, param]) + bytes(length)
    assert "_boot" in vars(bmc.chassis)
