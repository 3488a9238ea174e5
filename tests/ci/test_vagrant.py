"""The top-level Vagrantfile passes Debian's ``vagrant validate`` (with vagrant-libvirt), and its
provisioning script, the one the VM runs, brings up vrack with a netns rack on this machine (safe mode:
every path under a temporary prefix, no systemd, the rack's uplink in a namespace the test makes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUT = "vrt-ci-sut"  # the namespace standing for the machine RackHD runs on
SPEC = f"""\
rack: vrt-ci-vagrant
seed: vrt-ci-vagrant-1
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: 10.167.0.0/24, provisioning: 10.167.128.0/24}}
devices:
  - name: node01
    kind: compute
    model: quanta-d51
    bmc:
      users:
        - {{name: admin, password: admin, privilege: administrator}}
"""


def _vagrant(cwd: Path, *args: str, provider: str | None = None) -> subprocess.CompletedProcess[str]:
    vagrant = shutil.which("vagrant")
    if vagrant is None:
        pytest.fail("vagrant is not installed (scripts/test installs Debian's vagrant and vagrant-libvirt)")
    env = {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1"}  # no version check over the network
    if provider:
        env["VAGRANT_DEFAULT_PROVIDER"] = provider
    return subprocess.run([vagrant, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _project(tmp_path: Path, vagrantfile: str) -> Path:
    """A copy of what vagrant reads (so its .vagrant/ lands in tmp, not in the checkout)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts/provision-vagrant.sh", tmp_path / "scripts")
    (tmp_path / "Vagrantfile").write_text(vagrantfile)
    return tmp_path


def test_vagrant_validate(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    project = _project(tmp_path / "ok", (ROOT / "Vagrantfile").read_text())
    for provider in (None, "libvirt"):
        done = _vagrant(project, "validate", provider=provider)
        assert done.returncode == 0 and "Vagrantfile validated successfully." in done.stdout, done.stderr
    (tmp_path / "bad").mkdir()
    broken = (ROOT / "Vagrantfile").read_text().replace('vrack.vm.hostname = "vrack"', 'vrack.vm.hostnme = "vrack"')
    done = _vagrant(_project(tmp_path / "bad", broken), "validate", provider="libvirt")
    assert done.returncode == 1 and "The following settings shouldn't exist: hostnme" in done.stderr


@pytest.fixture
def sut() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("the provisioning script runs as root (as in the VM; CI runs as root)")
    subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", SUT], check=True)
    yield SUT
    subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_provisioning_script_brings_up_a_netns_rack(tmp_path: Path, sut: str) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    prefix = tmp_path / "root"
    env = {**os.environ, "VRACK_PREFIX": str(prefix), "VRACK_SPEC": str(spec), "VRACK_SRC": str(ROOT),
           "VRACK_SYSTEMD": "no"}  # fmt: skip
    vrack = prefix / "opt/vrack/.venv/bin/vrack"
    state = prefix / "var/lib/vrack"
    try:
        done = subprocess.run(["bash", str(ROOT / "scripts/provision-vagrant.sh")], env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "== provision-vagrant: ready: the rack of" in done.stdout
        assert "node01" in done.stdout and "answering" in done.stdout
        # A manager on the uplink side reaches the BMC inside the rack's namespace, as RackHD would.
        power = subprocess.run(
            ["ip", "netns", "exec", sut, "ipmitool", "-I", "lanplus", "-H", "10.167.0.2", "-U", "admin", "-P",
             "admin", "chassis", "power", "status"], capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert power.stdout.strip() == "Chassis Power is off", power.stderr
        assert vrack.exists() and not (prefix / "etc/systemd").exists()
    finally:
        if vrack.exists():
            subprocess.run([str(vrack), "--state-dir", str(state), "down"], capture_output=True, timeout=60)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert "vrack-vrt-ci-vagrant" not in listed
