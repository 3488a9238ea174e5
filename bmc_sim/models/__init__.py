"""Hardware personalities as data: ``bmc_sim/models/<name>.yaml``.

A model file holds what the BMC of every node of that hardware model shares: Get Device
ID answers, the FRU template (manufacturer, product and part numbers: the one place the
model's identity strings are written; node_sim's SMBIOS strings default to them), the
sensor list, the SEL history such a server typically has (:mod:`bmc_sim.sel_history`) and
the ids its Redfish service gives the system, chassis and manager (``redfish_ids``,
e.g. ``System.Embedded.1`` on an iDRAC; absent: redfish_sim's defaults).  :func:`build_config`
adds the per-node values (name, LAN settings, users, serial numbers, GUIDs) and returns a ready
:class:`BmcConfig`.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bmc_sim.config import (
    AuthType15,
    BmcConfig,
    DeviceIdentity,
    FruConfig,
    LanConfig,
    SensorConfig,
    SensorKind,
    Thresholds,
    UserConfig,
)
from bmc_sim.sel_history import SelHistory, parse_history

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it: 10x faster

THRESHOLD_KEYS = {
    "lnr": "lower_non_recoverable",
    "lc": "lower_critical",
    "lnc": "lower_non_critical",
    "unc": "upper_non_critical",
    "uc": "upper_critical",
    "unr": "upper_non_recoverable",
}
AUTH_NAMES = {
    "none": AuthType15.NONE,
    "md2": AuthType15.MD2,
    "md5": AuthType15.MD5,
    "password": AuthType15.STRAIGHT_PASSWORD,
    "straight": AuthType15.STRAIGHT_PASSWORD,
}
NIL_UUID = uuid.UUID(int=0)
REDFISH_ID_KEYS = frozenset({"system_id", "chassis_id", "manager_id"})
# Fields of BmcConfig that build_config passes through unchanged.
PASSTHROUGH = frozenset(
    {
        "cipher_suites",
        "channel",
        "max_users",
        "session_limit",
        "session_timeout",
        "handshake_timeout",
        "sel_capacity",
        "mc_reset_time",
        "boot_time",
        "power_restore_policy",
        "initial_power_on",
    }
)


@dataclass(frozen=True)
class ModelData:
    """One hardware model: identity, FRU template (serials empty), sensors and typical SEL history."""

    name: str
    description: str
    identity: DeviceIdentity
    fru: FruConfig
    sensors: tuple[SensorConfig, ...]
    sel_history: SelHistory = field(default_factory=SelHistory)
    redfish_ids: dict[str, str] = field(default_factory=dict)  # system_id, chassis_id, manager_id


def model_names() -> list[str]:
    """Names of the models shipped in this package, sorted."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


@cache
def load_model(name: str) -> ModelData:
    """Load model ``name``; unknown names raise ValueError listing the valid ones."""
    names = model_names()
    if name not in names:
        raise ValueError(f"unknown BMC model {name!r} (valid: {', '.join(names)})")
    raw = yaml.load(resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    return _parse(raw)


def _firmware(text: str) -> tuple[int, int]:
    """``"3.20"`` -> (3, 0x20): major binary, minor BCD as Get Device ID wants."""
    major, minor = text.split(".")
    return int(major), int(minor[:2].ljust(2, "0"), 16)


def _parse(raw: dict[str, Any]) -> ModelData:
    ident = raw["identity"]
    major, minor = _firmware(ident["firmware"])
    identity = DeviceIdentity(
        device_id=ident["device_id"],
        device_revision=ident["device_revision"],
        firmware_major=major,
        firmware_minor=minor,
        manufacturer_id=ident["manufacturer_id"],
        product_id=ident["product_id"],
        aux_firmware=bytes.fromhex(ident["aux_firmware"]),
    )
    fru = FruConfig(**raw["fru"])
    sensors = tuple(_sensor(s) for s in raw["sensors"])
    history = parse_history(raw.get("sel_history"), f"{raw['name']}.yaml: sel_history")
    ids = raw.get("redfish_ids", {})
    unknown = sorted(set(ids) - REDFISH_ID_KEYS)
    if unknown:
        raise ValueError(f"{raw['name']}.yaml: redfish_ids: unknown {unknown} (valid: {sorted(REDFISH_ID_KEYS)})")
    return ModelData(
        raw["name"], raw["description"], identity, fru, sensors, history, {k: str(v) for k, v in ids.items()}
    )


def _sensor(raw: dict[str, Any]) -> SensorConfig:
    thresholds = Thresholds(**{THRESHOLD_KEYS[k]: float(v) for k, v in raw.get("thresholds", {}).items()})
    return SensorConfig(
        number=raw["number"],
        name=raw["name"],
        kind=SensorKind(raw["kind"]),
        nominal=float(raw["nominal"]),
        off_value=float(raw.get("off_value", 0.0)),
        entity_id=raw.get("entity_id", 0x07),
        entity_instance=raw.get("entity_instance", 1),
        thresholds=thresholds,
    )


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def build_config(
    model: str,
    *,
    name: str,
    lan: LanConfig,
    users: tuple[UserConfig, ...],
    serial: str = "",
    system_serial: str | None = None,
    board_serial: str | None = None,
    chassis_serial: str | None = None,
    asset_tag: str = "",
    system_guid: uuid.UUID | str = NIL_UUID,
    device_guid: uuid.UUID | str | None = None,
    auth_types_15: tuple[AuthType15 | str, ...] | None = None,
    **overrides: Any,
) -> BmcConfig:
    """A :class:`BmcConfig` for one node of hardware ``model``.

    ``serial`` is the default for the system (product), board and chassis
    serial numbers; each can be given separately.  The device GUID defaults
    to one derived from the system GUID.  ``auth_types_15`` accepts
    :class:`AuthType15` values or the names ``none``/``md2``/``md5``/``password``.
    Other keyword arguments set the :class:`BmcConfig` fields of the same name
    (``cipher_suites``, ``boot_time``, ``power_restore_policy``, ...).
    """
    data = load_model(model)
    unknown = set(overrides) - PASSTHROUGH
    if unknown:
        raise ValueError(f"build_config: unknown option(s) {', '.join(sorted(unknown))}")
    system = _uuid(system_guid)
    identity = dataclasses.replace(
        data.identity,
        system_guid=system,
        device_guid=_uuid(device_guid) if device_guid is not None else uuid.uuid5(system, "bmc-device-guid"),
    )
    fru = dataclasses.replace(
        data.fru,
        chassis_serial=chassis_serial if chassis_serial is not None else serial,
        board_serial=board_serial if board_serial is not None else serial,
        product_serial=system_serial if system_serial is not None else serial,
        product_asset_tag=asset_tag,
    )
    extra: dict[str, Any] = dict(overrides)
    if auth_types_15 is not None:
        extra["auth_types_15"] = tuple(_auth(a) for a in auth_types_15)
    if "cipher_suites" in extra:
        extra["cipher_suites"] = tuple(extra["cipher_suites"])
    return BmcConfig(name=name, lan=lan, users=users, identity=identity, fru=fru, sensors=data.sensors, **extra)


def _auth(value: AuthType15 | str) -> AuthType15:
    if isinstance(value, AuthType15):
        return value
    try:
        return AUTH_NAMES[value.lower()]
    except KeyError:
        raise ValueError(f"unknown IPMI 1.5 auth type {value!r} (valid: {', '.join(AUTH_NAMES)})") from None
