"""Which hardware models each device kind offers, and who makes them.

The spec's ``kind:``/``model:`` pair is looked up here, never in if/elif
chains.  The personalities themselves (FRU and sensor data, MIB content) are
data files owned by the simulators; this table only names them and their
vendor (the vendor picks the OUI of derived MAC addresses).  A test checks
that every model named here loads in its simulator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    kind: str
    name: str
    vendor: str
    description: str
    nics: int = 0  # compute models: onboard NICs of the hardware personality


_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("compute", "quanta-d51", "quanta", "Quanta D51B-1U (RackHD's InfraSIM reference node)", nics=2),
    ModelInfo("compute", "dell-r630", "dell", "Dell PowerEdge R630", nics=4),
    ModelInfo("compute", "generic", "supermicro", "generic whitebox server", nics=2),
    ModelInfo("pdu", "servertech-sentry3", "servertech", "ServerTech Sentry3 switched CDU"),
    ModelInfo("pdu", "apc-powernet", "apc", "APC PowerNet switched rack PDU"),
    ModelInfo("pdu", "sinetica-hawk-i2", "sinetica", "Sinetica/Panduit HAWK-I2 iPDU"),
    ModelInfo("switch", "arista-7050", "arista", "Arista DCS-7050TX-64"),
    ModelInfo("switch", "cisco-nexus-3000", "cisco", "Cisco Nexus 3064"),
)


def models(kind: str) -> list[str]:
    """Model names of ``kind``, in a stable order."""
    return [m.name for m in _MODELS if m.kind == kind]


def model_info(kind: str, name: str) -> ModelInfo:
    for info in _MODELS:
        if info.kind == kind and info.name == name:
            return info
    raise KeyError(f"unknown {kind} model {name!r} (valid: {', '.join(models(kind))})")


def vendor_of(kind: str, name: str) -> str | None:
    try:
        return model_info(kind, name).vendor
    except KeyError:
        return None


def all_models() -> tuple[ModelInfo, ...]:
    return _MODELS
