"""PR gate statuses through PyGithub against the GitHub stand-in: retries, clear errors, no token leaks,
never posting a status twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ci.conftest import TOKEN, TOKEN_ENV, Upstream, write_config
from tests.ci.github_standin import Fault, GithubStandIn
from vrack_ci.config import GithubSpec, load_config
from vrack_ci.gates import Gates
from vrack_ci.github_client import GithubClient, GithubError, PostedStatus
from vrack_ci.history import History

SHA = "c0ffee" + "0" * 34
STATUS = PostedStatus("vrack-ci/gate", "success", "passed: 2 passed, 0 failed", "http://ci.example.invalid/cycles/1")
POST_PATH = f"/repos/acme/proj/statuses/{SHA}"


def _client(api_url: str) -> GithubClient:
    return GithubClient(GithubSpec(repo="acme/proj", api_url=api_url, token_env=TOKEN_ENV, backoff=0.01))


def test_5xx_and_rate_limits_are_retried(github: tuple[GithubStandIn, str]) -> None:
    standin, api_url = github
    client = _client(api_url)
    standin.fail("POST", POST_PATH, Fault(502, {"message": "Bad Gateway"}), times=2)
    client.post_status(SHA, STATUS)
    assert [r.method for r in standin.requests] == ["POST", "POST", "POST"]
    reset = str(int(time.time()) + 1)
    limited = Fault(
        403,
        {"message": "API rate limit exceeded for user."},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    standin.fail("GET", "/repos/acme/proj/pulls", limited)
    standin.fail("GET", "/repos/acme/proj/pulls", Fault(429, {"message": "slow down"}, {"Retry-After": "0"}))
    standin.add_pull("acme/proj", 3, SHA)
    assert [(p.number, p.sha) for p in client.open_pulls()] == [(3, SHA)]
    assert [r.method + " " + r.path for r in standin.requests[3:]] == ["GET /repos/acme/proj/pulls"] * 3
    assert len(standin.statuses[("acme/proj", SHA)]) == 1


def test_errors_are_clear_and_never_carry_the_token(
    github: tuple[GithubStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    standin, api_url = github
    standin.fail("POST", POST_PATH, Fault(500, {"message": "oops"}, echo_headers=True), times=10)
    with pytest.raises(GithubError) as caught:
        _client(api_url).post_status(SHA, STATUS)
    assert "GitHub kept failing while posting status vrack-ci/gate=success on c0ffee0000" in str(caught.value)
    assert "too many 500 error responses" in str(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.__context__)
    standin.faults.clear()
    monkeypatch.setenv(TOKEN_ENV, "ghp_wrong")
    with pytest.raises(GithubError) as caught:
        _client(api_url).open_pulls()
    assert str(caught.value) == (
        f"GitHub refused the token in ${TOKEN_ENV} (401 Bad credentials) while listing open pull requests "
        f"for acme/proj at {api_url}"
    )
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(GithubError, match=rf"^\${TOKEN_ENV} is not set: vrack ci needs a GitHub token"):
        _client(api_url)


def test_the_outbox_posts_once_across_failures_and_restarts(
    tmp_path: Path, upstream: Upstream, github: tuple[GithubStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    standin, api_url = github
    cfg = load_config(write_config(tmp_path, upstream, subnet=6, api_url=api_url))
    history = History(cfg.history_path)
    target = {"repo": "acme/proj", "api_url": api_url, "token_env": TOKEN_ENV}
    from vrack_ci.history import Target

    cycle_id = history.start_cycle(Target("proj", "pr", "pull/1", SHA), {}, "k")
    logged: list[str] = []
    # GitHub down (5 tries: the first and 4 retries, the default): the status stays in the outbox, with a clear message.
    history.queue_status(cycle_id, target, SHA, *STATUS.__dict__.values())
    standin.fail("POST", POST_PATH, Fault(503, {"message": "unavailable"}), times=10)
    gates = Gates(cfg, history, logged.append, lambda spec: GithubClient(spec.model_copy(update={"backoff": 0.01})))
    assert gates.flush() == 0 and len(history.unposted()) == 1
    assert "kept for later: GitHub kept failing" in logged[0]
    # GitHub back: posted once; flushing again posts nothing.
    standin.faults.clear()
    assert gates.flush() == 1 and gates.flush() == 0
    # A status GitHub already has (posted just before a crash, not yet marked posted) is not posted again.
    history.queue_status(cycle_id, target, SHA, *STATUS.__dict__.values())
    restarted = Gates(cfg, history, logged.append, lambda spec: GithubClient(spec.model_copy(update={"backoff": 0.01})))
    assert restarted.flush() == 0 and not history.unposted()
    assert len(standin.posted()) == 5 + 1 and len(standin.statuses[("acme/proj", SHA)]) == 1
    # Only the newest status per commit and context is posted: a pending overtaken by its result is dropped.
    pending = PostedStatus(STATUS.context, "pending", "cycle 2 is running", STATUS.target_url)
    history.queue_status(cycle_id, target, SHA, *pending.__dict__.values())
    history.queue_status(cycle_id, target, SHA, STATUS.context, "failure", "failed", STATUS.target_url)
    assert restarted.flush() == 1
    assert [s["state"] for s in reversed(standin.statuses[("acme/proj", SHA)])] == ["failure", "success"]
    history.close()
