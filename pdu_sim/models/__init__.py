"""Vendor personalities: a registry from model name (or alias) to personality.

Each personality is a code module (live OIDs bound to the :class:`Pdu`) plus a
``.snmprec`` data file (static objects, with the source of every OID written
at its top).
"""

from __future__ import annotations

from .apc_powernet import MODEL as APC_POWERNET
from .base import PduModel
from .servertech_sentry3 import MODEL as SERVERTECH_SENTRY3
from .sinetica_hawk_i2 import MODEL as SINETICA_HAWK_I2

MODELS: dict[str, PduModel] = {m.name: m for m in (SERVERTECH_SENTRY3, APC_POWERNET, SINETICA_HAWK_I2)}
_ALIASES: dict[str, str] = {alias: m.name for m in MODELS.values() for alias in m.aliases}


def get_model(name: str) -> PduModel:
    """The personality called ``name`` (or one of its aliases); ValueError lists the choices."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return MODELS[key]
    except KeyError:
        choices = ", ".join(sorted(MODELS))
        raise ValueError(f"unknown PDU model {name!r}; choose one of: {choices}") from None


__all__ = ["MODELS", "PduModel", "get_model"]
