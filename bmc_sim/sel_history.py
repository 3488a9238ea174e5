"""A hardware model's typical SEL history: the entries a server in service for some days has logged.

A model file (``bmc_sim/models/<name>.yaml``) may carry ``sel_history``:

* ``start``: events logged when the history begins (the log cleared at
  installation, the chassis closed, drives found), a second apart;
* ``recurring``: episodes, each a short sequence of events (``after``:
  seconds after the episode began) happening ``per_30_days`` times on
  average: power-ons with their boot events, AC losses and restores,
  correctable memory errors.

:func:`history` turns that into (event, timestamp) pairs for ``days`` days
before ``end``, drawn from ``seed`` alone (the same seed, days and model give
the same entries), oldest first, and at most ``limit`` of them (the newest are
kept).  Every event field is an IPMI system event record field; values in the
model file are checked when it loads.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from bmc_sim.sel import SelEvent

DAY = 86400
_EVENT_KEYS = {"after", "sensor_type", "sensor_number", "offset", "asserted", "event_type", "data2", "data3"}


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """An event of an episode, ``after`` seconds after the episode starts."""

    after: float
    event: SelEvent


@dataclass(frozen=True, slots=True)
class Episode:
    name: str
    per_30_days: float
    events: tuple[TimedEvent, ...]


@dataclass(frozen=True, slots=True)
class SelHistory:
    """What a model's SEL typically holds: events at the start and recurring episodes."""

    start: tuple[SelEvent, ...] = ()
    recurring: tuple[Episode, ...] = ()


def _byte(raw: dict[str, Any], key: str, default: int, high: int, where: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        raise ValueError(f"{where}.{key}: {value!r} is not an integer 0..{high}")
    return value


def _event(raw: dict[str, Any], where: str) -> TimedEvent:
    unknown = set(raw) - _EVENT_KEYS
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (valid: {', '.join(sorted(_EVENT_KEYS))})"
        )
    if "sensor_type" not in raw:
        raise ValueError(f"{where}.sensor_type: missing")
    asserted = raw.get("asserted", True)
    if not isinstance(asserted, bool):
        raise ValueError(f"{where}.asserted: {asserted!r} is not true or false")
    after = raw.get("after", 0)
    if not isinstance(after, (int, float)) or isinstance(after, bool) or not 0 <= after <= DAY:
        raise ValueError(f"{where}.after: {after!r} is not a number of seconds 0..{DAY}")
    event = SelEvent(
        sensor_type=_byte(raw, "sensor_type", 0, 0xFF, where),
        sensor_number=_byte(raw, "sensor_number", 0, 0xFF, where),
        offset=_byte(raw, "offset", 0, 0x0F, where),
        asserted=asserted,
        event_type=_byte(raw, "event_type", 0x6F, 0x7F, where),
        data2=_byte(raw, "data2", 0xFF, 0xFF, where),
        data3=_byte(raw, "data3", 0xFF, 0xFF, where),
    )
    return TimedEvent(float(after), event)


def parse_history(raw: dict[str, Any] | None, where: str = "sel_history") -> SelHistory:
    """A :class:`SelHistory` from a model file's ``sel_history`` (None: no history); errors name the place."""
    if raw is None:
        return SelHistory()
    start = tuple(_event(e, f"{where}.start[{i}]").event for i, e in enumerate(raw.get("start", ())))
    episodes = []
    for i, episode in enumerate(raw.get("recurring", ())):
        place = f"{where}.recurring[{i}]"
        rate = episode.get("per_30_days")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 100:
            raise ValueError(f"{place}.per_30_days: {rate!r} is not a number 0..100")
        events = tuple(_event(e, f"{place}.events[{j}]") for j, e in enumerate(episode.get("events", ())))
        if not events:
            raise ValueError(f"{place}.events: an episode needs at least one event")
        episodes.append(Episode(str(episode.get("name", f"episode {i}")), float(rate), events))
    return SelHistory(start, tuple(episodes))


def history(model: SelHistory, days: float, seed: bytes, end: int, limit: int) -> list[tuple[SelEvent, int]]:
    """``days`` of ``model``'s typical events before ``end`` (seconds since 1970), oldest first, at most ``limit``.

    Each episode happens ``per_30_days * days / 30`` times (the fraction
    decides one more time by a draw), at times drawn uniformly over the
    window; its later events follow at their ``after`` offsets, clipped to
    ``end``.  ``seed`` alone decides the draws.
    """
    if days <= 0 or limit <= 0:
        return []
    rng = random.Random(hashlib.sha256(b"sel-history\0" + seed).digest())
    begin = end - int(days * DAY)
    entries: list[tuple[int, int, SelEvent]] = []  # (time, order, event): the order keeps episodes in sequence
    order = 0
    for i, event in enumerate(model.start):
        entries.append((begin + i, order, event))
        order += 1
    first = begin + len(model.start) + 60
    for episode in model.recurring:
        expected = episode.per_30_days * days / 30
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        for _ in range(count):
            at = rng.randint(first, max(first, end - 1))
            for timed in episode.events:
                entries.append((min(end, at + int(timed.after)), order, timed.event))
                order += 1
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [(event, when) for when, _, event in entries[-limit:]]
