"""Deterministic pseudo-random numbers derived from a seed and integer keys.

Device behaviour (traffic rates, CPU load, memory use) must be the same on
every run for the same seed, so instead of a stateful RNG every quantity is a
pure hash of ``(seed, key...)`` using the SplitMix64 finaliser.  This is fast,
stateless and independent of call order.
"""

from __future__ import annotations

_MASK64 = (1 << 64) - 1


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def mix(seed: int, *keys: int) -> int:
    """A 64-bit hash of ``seed`` and ``keys``; equal inputs give equal outputs."""
    h = _splitmix(seed & _MASK64)
    for key in keys:
        h = _splitmix(h ^ (key & _MASK64))
    return h


def unit(seed: int, *keys: int) -> float:
    """A float in [0, 1) derived from ``seed`` and ``keys``."""
    return (mix(seed, *keys) >> 11) / float(1 << 53)


def uniform(low: float, high: float, seed: int, *keys: int) -> float:
    """A float in [low, high) derived from ``seed`` and ``keys``."""
    return low + (high - low) * unit(seed, *keys)


def name_seed(text: str) -> int:
    """A stable integer from a string (Python's ``hash`` is salted per process)."""
    h = 0
    for byte in text.encode():
        h = mix(h, byte)
    return h
