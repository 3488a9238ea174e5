"""Fuzzing the control API (issue 14 finding 4): any method, path, query and body gets JSON back, a 4xx
with ``error``/``parameter``/``valid`` when it is refused, never a 500 or an HTML page.  In memory, on a
fake clock; bounded by hypothesis's example counts."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vrack.inmemory import MemoryRack

RACK = MemoryRack()
RACK.advance(3)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEGMENTS = st.one_of(
    st.sampled_from(["devices", "node01", "pdu1", "sw1", "power", "outlets", "1", "ports", "faults", "events",
                     "scenarios", "credentials", "rack", "sel", "sensors", "cable", "%ff%fe", "²", "٣", "-1", ""]),
    st.text(max_size=12),
)  # fmt: skip
BODIES = st.one_of(
    st.none(),
    st.binary(max_size=200),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
)
READ_ONLY_SAFE = ("GET", "POST", "PUT", "DELETE", "PATCH")


@FUZZ
@given(
    st.sampled_from(READ_ONLY_SAFE),
    st.lists(SEGMENTS, min_size=1, max_size=5),
    st.dictionaries(st.sampled_from(["limit", "after", "device", "since", "wait", "protocol"]), st.text(max_size=6)),
    BODIES,
)
def test_any_request_gets_json_and_never_a_server_error(
    method: str, segments: list[str], query: dict[str, str], body: bytes | None
) -> None:
    if method == "POST" and segments[-1:] == ["stop"]:
        return  # stopping the rack is a valid request, not a fuzz finding
    path = "/api/v1/" + "/".join(segments)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    response = RACK.call(method, path, raw=body if body is not None else b"")
    assert response.status < 500, (method, path, body, response.body)
    if response.status >= 400:
        assert isinstance(response.body, dict) and "error" in response.body, (method, path, response.body)
