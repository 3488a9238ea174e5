"""Fixtures: real racks started with ``vrack up`` for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.privileges import require_root
from tests.support.rack_process import RackProcess, running_rack

IPMI_SPEC = """\
rack: e2e-ipmi
seed: e2e-ipmi-seed
networks:
  management: 127.11.0.0/24
devices:
  - name: node01
    kind: compute
    model: quanta-d51
    bmc:
      users:
        - {name: admin, password: admin}
        - {name: root, password: "1234567"}
        - {name: viewer, password: viewer-pw, privilege: user}
  - name: node02
    kind: compute
    model: dell-r630
    bmc:
      handshake_timeout: 2
      users:
        - {name: root, password: calvin}
        - {name: admin, password: admin}
  - name: node03
    kind: compute
    model: generic
    bmc:
      cipher_suites: [0, 3, 17]
      ipmi15_auth: [none, md5, password]
      users:
        - {name: admin, password: admin}
  - name: "spare{n}"
    kind: compute
    model: generic
    count: 3
    bmc:
      mc_reset_time: 1.0
"""


@pytest.fixture(scope="module")
def ipmi_rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    """A rack of six BMCs on 127.11.0.1-6:623, stopped (and checked) after the module."""
    require_root("end-to-end tests bind UDP 623 on 127.0.0.0/8 as RackHD requires: run them as root")
    with running_rack(tmp_path_factory.mktemp("ipmi-rack"), IPMI_SPEC, "e2e-ipmi") as rack:
        yield rack
    assert not rack.control_file.exists(), "control.json left behind after SIGTERM"


def write_spec(directory: Path, text: str) -> Path:
    path = directory / "rack.yaml"
    path.write_text(text)
    return path
