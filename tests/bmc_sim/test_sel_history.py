"""bmc_sim.sel_history: model SEL histories parse with errors naming the place, and draws follow the seed."""

from __future__ import annotations

import pytest

from bmc_sim.models import load_model, model_names
from bmc_sim.sel_history import DAY, history, parse_history

EPOCH = 1_772_366_400

MODEL = {
    "start": [{"sensor_type": 16, "sensor_number": 114, "offset": 2}],
    "recurring": [
        {
            "name": "AC lost and restored",
            "per_30_days": 2,
            "events": [
                {"after": 0, "sensor_type": 8, "offset": 3},
                {"after": 600, "sensor_type": 8, "offset": 3, "asserted": False},
            ],
        }
    ],
}


def test_every_shipped_model_has_a_history() -> None:
    for name in model_names():
        typical = load_model(name).sel_history
        assert typical.start and typical.recurring, name


def test_the_same_seed_gives_the_same_entries_and_another_seed_others() -> None:
    typical = parse_history(MODEL)
    one = history(typical, 300, b"node01", EPOCH, 512)
    assert one == history(typical, 300, b"node01", EPOCH, 512)
    assert one != history(typical, 300, b"node02", EPOCH, 512)
    assert one[0][0].sensor_type == 16 and one[0][1] == EPOCH - 300 * DAY  # the start events come first
    assert len(one) == 1 + 2 * 20  # 2 episodes of 2 events per 30 days, 300 days
    times = [when for _, when in one]
    assert times == sorted(times) and times[-1] <= EPOCH


def test_episodes_keep_their_order_and_the_limit_keeps_the_newest() -> None:
    typical = parse_history(MODEL)
    entries = history(typical, 60, b"seed", EPOCH, 512)
    asserted = [e.asserted for e, _ in entries[1:]]
    assert asserted == [True, False] * (len(asserted) // 2)  # no long gaps: every AC loss is restored in order
    assert history(typical, 60, b"seed", EPOCH, 3) == entries[-3:]
    assert history(typical, 0, b"seed", EPOCH, 512) == [] and history(typical, 60, b"seed", EPOCH, 0) == []


def test_a_fractional_rate_happens_on_some_seeds_and_not_others() -> None:
    rare = parse_history({"recurring": [{"per_30_days": 0.5, "events": [{"sensor_type": 12}]}]})
    counts = {len(history(rare, 30, bytes([n]), EPOCH, 512)) for n in range(40)}
    assert counts == {0, 1}


@pytest.mark.parametrize(
    ("raw", "place"),
    [
        ({"start": [{"sensor_number": 1}]}, "h.start[0].sensor_type: missing"),
        ({"start": [{"sensor_type": 300}]}, "h.start[0].sensor_type: 300 is not an integer 0..255"),
        ({"start": [{"sensor_type": 1, "offset": 16}]}, "h.start[0].offset: 16 is not an integer 0..15"),
        ({"start": [{"sensor_type": 1, "colour": 1}]}, "h.start[0]: unknown key(s) colour"),
        ({"start": [{"sensor_type": 1, "asserted": "yes"}]}, "h.start[0].asserted: 'yes' is not true or false"),
        ({"recurring": [{"per_30_days": -1, "events": [{"sensor_type": 1}]}]}, "h.recurring[0].per_30_days"),
        ({"recurring": [{"per_30_days": 1, "events": []}]}, "h.recurring[0].events: an episode needs"),
        ({"recurring": [{"per_30_days": 1, "events": [{"sensor_type": 1, "after": -5}]}]}, "events[0].after"),
    ],
)
def test_bad_model_data_names_its_place(raw: dict[str, object], place: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_history(raw, "h")
    assert place in str(raised.value)
