"""Vendor personalities: a registry from model name (or alias) to personality.

Each personality is a code module (live OIDs bound to the :class:`Pdu`) plus a
``.snmprec`` data file (static objects, with the source of every OID written
at its top).
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import PduModel


def _discover() -> dict[str, PduModel]:
    """Every module of this package that defines ``MODEL``, by model name: a new vendor is its own module
    (and its ``.snmprec`` file), nothing to register."""
    found: dict[str, PduModel] = {}
    for module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        model = getattr(importlib.import_module(f"{__name__}.{module}"), "MODEL", None)
        if model is not None:
            found[model.name] = model
    return found


MODELS: dict[str, PduModel] = _discover()
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
