"""Redfish event delivery is retried as the EventService says: a subscriber that refuses the first delivery (HTTP
503) gets the same event again ``DeliveryRetryIntervalSeconds`` later and accepts it; the journal shows both
attempts.  Driven with requests over HTTPS verified against the rack's CA.

Rack on 127.66.46.0/24 (a ``vrack up`` child process, TCP 443), the subscriber on 127.66.46.250.
"""

from __future__ import annotations

import http.server
import json
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: redfish-retry
    seed: redfish-retry-seed
    networks: {management: 127.66.46.0/24}
    devices:
      - {name: node01, kind: compute, model: quanta-d51, bmc: {boot_time: 0}}
    """
)
RECEIVER = "127.66.46.250"


class FlakySubscriber:
    """Answers 503 to the first POST, 204 after; records (monotonic time, status, body) of each."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, int, dict[str, Any]]] = []
        posts = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 503 if not posts else 204
                posts.append((time.monotonic(), status, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((RECEIVER, 0), Handler)
        self.url = f"http://{RECEIVER}:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def subscriber() -> Iterator[FlakySubscriber]:
    flaky = FlakySubscriber()
    flaky.thread.start()
    try:
        yield flaky
    finally:
        flaky.server.shutdown()
        flaky.server.server_close()


def test_a_subscriber_that_fails_first_gets_the_event_on_the_retry(subscriber: FlakySubscriber) -> None:
    rack = start_rack(SPEC, mode="process", ports="standard")
    try:
        bmc = rack.node("node01").bmc
        assert bmc.redfish_ca is not None
        ca = bmc.redfish_ca

        def call(method: str, url: str, body: dict[str, Any] | None = None) -> requests.Response:
            return requests.request(method, url, json=body, auth=("admin", "admin"), verify=ca, timeout=20)

        base = bmc.redfish_url
        service = f"{base}/redfish/v1/EventService"
        patched = call("PATCH", service, {"DeliveryRetryAttempts": 2, "DeliveryRetryIntervalSeconds": 1})
        assert patched.status_code == 200, patched.text
        assert call("GET", service).json()["DeliveryRetryIntervalSeconds"] == 1
        body = {"Destination": subscriber.url, "EventTypes": ["StatusChange"], "Context": "retry-test"}
        assert call("POST", f"{service}/Subscriptions", body).status_code == 201
        mark = rack.journal.mark()
        reset = call("POST", f"{base}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", {"ResetType": "On"})
        assert reset.status_code == 204
        accepted = rack.journal.wait_for(
            device="node01", protocol="redfish", operation="event.push", status=204, since=mark, timeout=15
        )
        pushes = rack.journal.events(since=mark, device="node01", protocol="redfish", operation="event.push")
        assert [(p["path"], p["status"]) for p in pushes] == [(subscriber.url, 503), (subscriber.url, 204)]
        assert pushes[0]["outcome"] == "undelivered" and accepted["seq"] == pushes[1]["seq"]
        (first_at, first, refused), (second_at, second, delivered) = subscriber.posts
        assert (first, second) == (503, 204) and refused == delivered  # the same event, Id and all
        assert delivered["Events"][0]["MessageArgs"] == ["On"] and delivered["Context"] == "retry-test"
        assert second_at - first_at >= 0.9  # DeliveryRetryIntervalSeconds apart (the BMC's clock)
    finally:
        rack.stop()
