"""The vrack ci config: validated like rack specs (every problem with its line, path and what is valid)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vrack.cli import main
from vrack.located import SpecError
from vrack_ci.config import load_config

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
name: demo
repositories:
  - name: proj
    url: .
    github: {repo: acme/proj}
rack:
  spec: rack.yaml
suites:
  - name: smoke
    command: [pytest, "--junitxml={junit}"]
    gate: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "rack.yaml").write_text("rack: r\n")
    path = tmp_path / "ci.yaml"
    path.write_text(text)
    return path


def test_a_valid_config_resolves_paths_against_its_directory(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.spec_path == (tmp_path / "rack.yaml").resolve()
    assert cfg.history_path == (tmp_path / "ci-state/history.sqlite").resolve()
    assert cfg.config.repositories[0].github is not None
    assert cfg.config.repositories[0].github.token_env == "GITHUB_TOKEN"
    assert cfg.public_url == "http://127.0.0.1:8642"


def test_every_problem_names_its_line_path_and_what_is_valid(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("url: .", "url: .\n    brnach: main")
        .replace("acme/proj", "acme")
        .replace("  - name: smoke", "  - name: Smoke")
        .replace('"--junitxml={junit}"', '"--junitxml=out.xml"')
    )
    with pytest.raises(SpecError) as caught:
        load_config(_write(tmp_path, bad))
    text = str(caught.value)
    assert "ci.yaml:5: repositories[0].brnach: unknown key 'brnach'" in text
    assert "did you mean 'branch'?" in text
    assert "ci.yaml:6: repositories[0].github.repo: 'acme' is not valid: write OWNER/NAME" in text
    assert "ci.yaml:10: suites[0].name: 'Smoke' is not valid: use lower-case letters" in text


def test_cross_checks_name_their_line(tmp_path: Path) -> None:
    bad = GOOD.replace("    gate: true", "    gate: true\n    repo: other").replace('"--junitxml={junit}"', "-q")
    bad = bad.replace("spec: rack.yaml", "spec: missing.yaml")
    with pytest.raises(SpecError) as caught:
        load_config(_write(tmp_path, bad))
    text = str(caught.value)
    assert "ci.yaml:7: rack.spec: missing.yaml: no such file" in text
    assert "ci.yaml:10: suites[0].command: the command must write JUnit XML to {junit}" in text
    assert "ci.yaml:12: suites[0].repo: unknown repository 'other' (valid: proj)" in text


def test_vrack_ci_validate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ci", "validate", str(ROOT / "ci/example.yaml")]) == 0
    assert "valid vrack ci config 'vrack-example': 1 repositories, 1 suites (1 PR gates: example)" in (
        capsys.readouterr().out
    )
    path = _write(tmp_path, GOOD.replace("suites:", "suites: 3\nextra:"))
    assert main(["ci", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ci.yaml:8: suites: " in err and "unknown key 'extra'" in err
    assert main(["ci", "validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file (the vrack ci config)" in capsys.readouterr().err
