"""BIOS settings as a real BMC keeps them: an attribute registry, the values in effect, and pending changes.

A client PATCHes ``Attributes`` at ``/Bios/Settings`` (:meth:`BiosSettings.stage`); every name and value is
checked against the registry first (enumerations by their values, integers by their bounds, strings by
length, read-only attributes refused), and nothing is staged unless all are valid.  Staged values are
*pending*: the host's firmware applies them at its next power-on or reset (:meth:`BiosSettings.apply`,
which whoever owns the host calls then), and only then are they the ``Attributes`` of ``/Bios``.
``Bios.ResetBios`` stages every attribute's default the same way (:meth:`BiosSettings.stage_defaults`).

The registry is data (a hardware personality's ``bios_settings``), read by :func:`registry_from` with
errors naming the place and what is valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Value = str | int | bool
Kind = Literal["Enumeration", "Integer", "String", "Boolean"]
KINDS: tuple[Kind, ...] = ("Enumeration", "Integer", "String", "Boolean")


@dataclass(frozen=True)
class BiosAttribute:
    """One attribute of the registry: its type, default and what values it takes."""

    name: str
    kind: Kind
    default: Value
    values: tuple[str, ...] = ()  # Enumeration
    lower: int | None = None  # Integer
    upper: int | None = None
    max_length: int | None = None  # String
    read_only: bool = False
    display_name: str = ""


class BiosValueError(ValueError):
    """A staged attribute the registry refuses; ``reason`` says how (``unknown``, ``read-only``, ``type``,
    ``value``, ``length``) and the message names the attribute and what is valid."""

    def __init__(self, reason: str, attribute: str, value: object, message: str) -> None:
        self.reason, self.attribute, self.value = reason, attribute, value
        super().__init__(message)


def check_value(attribute: BiosAttribute, value: object) -> Value:
    """``value`` if ``attribute`` takes it, else :class:`BiosValueError` naming the attribute and what is valid."""
    name = attribute.name
    if attribute.read_only:
        raise BiosValueError("read-only", name, value, f"BIOS attribute {name} is read-only")
    if attribute.kind == "Boolean":
        if not isinstance(value, bool):
            raise BiosValueError("type", name, value, f"BIOS attribute {name} takes true or false")
        return value
    if attribute.kind == "Integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BiosValueError("type", name, value, f"BIOS attribute {name} takes an integer")
        low, high = attribute.lower, attribute.upper
        if (low is not None and value < low) or (high is not None and value > high):
            raise BiosValueError("value", name, value, f"BIOS attribute {name} takes {low}..{high}")
        return value
    if not isinstance(value, str):
        raise BiosValueError("type", name, value, f"BIOS attribute {name} takes a string")
    if attribute.kind == "Enumeration" and value not in attribute.values:
        valid = ", ".join(attribute.values)
        raise BiosValueError("value", name, value, f"BIOS attribute {name} takes one of: {valid}")
    if attribute.max_length is not None and len(value) > attribute.max_length:
        raise BiosValueError(
            "length", name, value, f"BIOS attribute {name} takes at most {attribute.max_length} characters"
        )
    return value


class BiosSettings:
    """The BIOS of one host: ``current`` (in effect), ``pending`` (applied at the next boot), the registry."""

    def __init__(self, registry: Iterable[BiosAttribute]) -> None:
        self.registry = {a.name: a for a in registry}
        self.current: dict[str, Value] = {a.name: a.default for a in self.registry.values()}
        self.pending: dict[str, Value] = {}
        self.applied_count = 0  # how many boots applied pending settings (the settings resource's Time)

    def stage(self, changes: Mapping[str, object]) -> None:
        """Check every change against the registry, then stage them all (on top of earlier pending ones)."""
        checked: dict[str, Value] = {}
        for name, value in changes.items():
            attribute = self.registry.get(name)
            if attribute is None:
                valid = ", ".join(sorted(self.registry))
                raise BiosValueError("unknown", name, value, f"no BIOS attribute {name}; attributes: {valid}")
            checked[name] = check_value(attribute, value)
        self.pending.update(checked)

    def stage_defaults(self) -> None:
        """``Bios.ResetBios``: every writable attribute back to its default at the next boot."""
        self.pending = {a.name: a.default for a in self.registry.values() if not a.read_only}

    def apply(self) -> dict[str, Value]:
        """The host booted: pending values take effect.  Returns those that changed (empty if none did)."""
        if not self.pending:
            return {}
        changed = {k: v for k, v in self.pending.items() if self.current.get(k) != v}
        self.current.update(self.pending)
        self.pending = {}
        self.applied_count += 1
        return changed

    def uefi(self) -> bool:
        """Whether the firmware boots in UEFI mode: ``BootMode`` is ``Uefi`` (or there is no BootMode)."""
        return str(self.current.get("BootMode", "Uefi")) == "Uefi"


def registry_from(raw: object, where: str) -> tuple[BiosAttribute, ...]:
    """A registry from a mapping ``{Name: {type, default, values | lower, upper | max_length, read_only}}``;
    ``type`` defaults to Enumeration.  Errors name ``where`` and the attribute."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping of BIOS attribute names")
    out = []
    for name, entry in raw.items():
        out.append(_attribute(str(name), entry, f"{where}.{name}"))
    return tuple(out)


def _attribute(name: str, entry: Any, where: str) -> BiosAttribute:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping with type, default and values")
    unknown = set(entry) - {"type", "default", "values", "lower", "upper", "max_length", "read_only", "display_name"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    kind = entry.get("type", "Enumeration")
    if kind not in KINDS:
        raise ValueError(f"{where}.type: {kind!r} is not one of {', '.join(KINDS)}")
    if "default" not in entry:
        raise ValueError(f"{where}: missing 'default'")
    values = tuple(str(v) for v in entry.get("values", ()))
    if kind == "Enumeration" and not values:
        raise ValueError(f"{where}: an Enumeration needs 'values'")
    attribute = BiosAttribute(
        name,
        kind,
        entry["default"],
        values,
        entry.get("lower"),
        entry.get("upper"),
        entry.get("max_length"),
        False,
        str(entry.get("display_name", name)),
    )
    try:
        check_value(attribute, attribute.default)
    except BiosValueError as exc:
        raise ValueError(f"{where}.default: {exc}") from None
    return BiosAttribute(**{**attribute.__dict__, "read_only": bool(entry.get("read_only", False))})
