"""Where a running rack keeps its files, and how other commands find it.

Layout of ``<state root>/<rack name>/``:

* ``control.json``: pid, control API URL, spec path, run id, status (``starting`` /
  ``running``); removed when the rack stops;
* ``runs/<run id>/events*.jsonl``: the event journal of each run, ``latest`` (a symlink to the
  newest run) and ``events.jsonl`` (a symlink to its current segment); see :mod:`vrack.journalfiles`;
* ``vrack.log``: the log of a detached rack.

The state root is ``--state-dir``, else ``$VRACK_STATE_DIR``, else
``$XDG_STATE_HOME/vrack`` (``~/.local/state/vrack``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrack.journalfiles import CURRENT, RunStore
from vrack.procs import process_alive


def state_root(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("VRACK_STATE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "vrack"


@dataclass(frozen=True)
class RackDir:
    path: Path

    @property
    def control_file(self) -> Path:
        return self.path / "control.json"

    @property
    def events_file(self) -> Path:
        """The newest run's current segment (a symlink)."""
        return self.path / CURRENT

    @property
    def runs(self) -> RunStore:
        return RunStore(self.path)

    @property
    def log_file(self) -> Path:
        return self.path / "vrack.log"

    def write_control(self, info: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.control_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it may hold the API token
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(info, indent=2) + "\n")
        tmp.replace(self.control_file)

    def read_control(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.control_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data

    def remove_control(self) -> None:
        self.control_file.unlink(missing_ok=True)


def rack_dir(root: Path, rack: str) -> RackDir:
    return RackDir(root / rack)


def running_racks(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """Racks under ``root`` with a control file whose process is alive."""
    found: list[tuple[str, dict[str, Any]]] = []
    if not root.is_dir():
        return found
    for child in sorted(root.iterdir()):
        if not child.is_dir():
            continue
        info = RackDir(child).read_control()
        if info and _alive(int(info.get("pid", 0))):
            found.append((child.name, info))
    return found


def _alive(pid: int) -> bool:
    return process_alive(pid)
    return True
