"""The suite's settings: ini and environment, and errors that name the setting and what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from rackhd_suite.config import GROUPS, ConfigError, load_config, redact

SPEC = Path(__file__).resolve().parents[2] / "rack_specs" / "rackhd-loopback.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.ini"
    path.write_text(text)
    return path


def test_environment_alone() -> None:
    config = load_config(environ={"RACKHD_URL": "http://127.71.0.1:8080/", "RACKHD_SUITE_SPEC": str(SPEC)})
    assert config.rackhd_url == "http://127.71.0.1:8080"
    assert config.rack_spec == SPEC
    assert config.groups == GROUPS
    assert config.amqp_url is None and config.mongo_url is None
    assert config.graph_timeout == 300.0


def test_ini_with_environment_winning(tmp_path: Path) -> None:
    ini = write(
        tmp_path,
        f"[rackhd]\nurl = http://127.71.0.1:8080\n[amqp]\nurl = amqp://u:secret@127.71.0.1:5672/\n"
        f"[rack]\nspec = {SPEC}\n[suite]\ngroups = obm, smoke\ngraph_timeout = 12\n",
    )
    config = load_config(ini, environ={"RACKHD_URL": "https://127.71.0.2:8443"})
    assert config.rackhd_url == "https://127.71.0.2:8443"
    assert config.groups == ("obm", "smoke")
    assert config.graph_timeout == 12.0
    assert config.amqp_url == "amqp://u:secret@127.71.0.1:5672/"
    assert "secret" not in config.describe() and "secret" not in repr(config)
    assert "u:***@127.71.0.1:5672" in config.describe()


def test_relative_spec_is_found_beside_the_ini(tmp_path: Path) -> None:
    (tmp_path / "rack.yaml").write_text(SPEC.read_text())
    ini = write(tmp_path, "[rackhd]\nurl = http://127.71.0.1:8080\n[rack]\nspec = rack.yaml\n")
    assert load_config(ini, environ={}).rack_spec == tmp_path / "rack.yaml"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({}, ["[rackhd] url (environment RACKHD_URL) is not set"]),
        ({"RACKHD_URL": "ftp://x"}, ["[rackhd] url (environment RACKHD_URL)", "is not a http or https URL"]),
        ({"RACKHD_URL": "http://h:port"}, ["RACKHD_URL", "port that is not a number"]),
        ({"RACKHD_URL": "http://h", "RACKHD_USER": "admin"}, ["[rackhd] password (environment RACKHD_PASSWORD)"]),
        ({"RACKHD_URL": "http://h", "RACKHD_AMQP_URL": "http://x"}, ["[amqp] url", "not a amqp or amqps URL"]),
        ({"RACKHD_URL": "http://h", "RACKHD_MONGO_URL": "mysql://x"}, ["[mongo] url", "mongodb"]),
        (
            {"RACKHD_URL": "http://h", "RACKHD_SUITE_GROUPS": "smoke,dicsovery"},
            ["'dicsovery' is not a group", "valid:"],
        ),
        ({"RACKHD_URL": "http://h", "RACKHD_GRAPH_TIMEOUT": "soon"}, ["[suite] graph_timeout", "not a number"]),
        ({"RACKHD_URL": "http://h", "RACKHD_POLLER_TIMEOUT": "-1"}, ["[suite] poller_timeout", "more than 0"]),
        ({"RACKHD_URL": "http://h", "RACKHD_SUITE_SPEC": "/nowhere.yaml"}, ["[rack] spec", "no such file"]),
    ],
)
def test_errors_name_the_setting(environ: dict[str, str], names: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ=environ)
    for name in names:
        assert name in str(caught.value)


def test_password_in_a_wrong_url_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RACKHD_URL": "http://h", "RACKHD_AMQP_URL": "http://u:hunter22@x"})
    assert "hunter22" not in str(caught.value)


def test_unknown_ini_key_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting \[rackhd\] uri \(valid: \[rackhd\] url"):
        load_config(write(tmp_path, "[rackhd]\nuri = http://h\n"), environ={})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.ini", environ={})
    with pytest.raises(ConfigError, match=r"suite\.ini"):
        load_config(write(tmp_path, "url = no section\n"), environ={})


def test_config_file_from_the_environment(tmp_path: Path) -> None:
    ini = write(tmp_path, "[rackhd]\nurl = http://127.71.0.9:9090\n")
    assert load_config(environ={"RACKHD_SUITE_CONFIG": str(ini)}).rackhd_url == "http://127.71.0.9:9090"


def test_redact() -> None:
    assert redact("amqp://guest:guest@h:5672/") == "amqp://guest:***@h:5672/"
    assert redact("mongodb://h/pxe") == "mongodb://h/pxe"
