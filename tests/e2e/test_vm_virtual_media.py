"""Redfish virtual media on a ``backend: vm`` node: the image becomes the VM's CD-ROM and the VM boots it.

From the system under test's namespace, curl inserts an image (served over HTTP by this test on 127.66.45.1)
into the BMC's virtual CD, sets the boot override to ``Cd`` and powers the node on.  The BMC reads the image,
libvirt puts it in the VM's CD-ROM drive (``virsh dumpxml`` shows it), SeaBIOS boots it and the image's own
boot code (``tests/support/bootable_iso.py``) prints its message on the VM's serial port; ``EjectMedia`` empties
the running VM's drive.  Each step is on vrack's journal.

Namespaces ``vrt-vmcd-sut`` (the SUT) and ``vrack-vrt-vmcd`` (the rack), 10.243.0.0/24 and 10.243.128.0/24.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.bootable_iso import bootable_iso
from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.ports import free_port
from tests.support.rack_process import ROOT, RackProcess
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RACK, SUT = "vrt-vmcd", "vrt-vmcd-sut"
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: 10.243.0.0/24, provisioning: 10.243.128.0/24}}
devices:
  - {{name: vm01, kind: compute, model: generic, backend: vm, nics: 1}}
"""
IMAGES = "127.66.45.1"
MESSAGE = "vrack virtual CD booted from vm01's BMC"
ISO = bootable_iso(MESSAGE)
SYSTEM = "/redfish/v1/Systems/1"
CD = "/redfish/v1/Managers/1/VirtualMedia/CD"


@pytest.fixture
def image_server() -> Iterator[str]:
    """HTTP on 127.66.45.1 serving ``/live.iso``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/live.iso"
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(ISO) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(ISO)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((IMAGES, free_port(IMAGES)), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{IMAGES}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cdrom_source(domain: str) -> str | None:
    """The file in the running domain's CD-ROM drive, as libvirt reports it."""
    xml = subprocess.run(
        ["virsh", "-c", "qemu:///system", "dumpxml", domain], capture_output=True, text=True, check=True
    ).stdout
    drive = ET.fromstring(xml).find("devices/disk[@device='cdrom']")
    assert drive is not None, xml
    source = drive.find("source")
    return None if source is None else source.get("file")


def test_virtual_media_is_the_vm_cdrom_and_the_vm_boots_it(tmp_path: Path, image_server: str) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    rack = RackProcess(spec, tmp_path / "state", RACK)
    add_namespace(SUT)
    try:
        rack.start(timeout=120)
        node = rack.api("GET", "/api/v1/devices/vm01")
        bmc = node["bmc"]["address"]
        ca = tmp_path / "state" / RACK / "redfish-ca.pem"

        def redfish(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
            argv = ["curl", "-sS", "--max-time", "20", "--cacert", str(ca), "-u", "admin:admin", "-X", method]
            if body is not None:
                argv += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
            argv += ["-w", "\n%{http_code}", f"https://{bmc}{path}"]
            done = subprocess.run(["ip", "netns", "exec", SUT, *argv], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            text, _, code = done.stdout.rpartition("\n")
            return int(code), text

        def media_events() -> list[dict[str, Any]]:
            # the host's drive, not the Redfish requests to the VirtualMedia resource (the same operation name)
            return [e for e in rack.events("vm01") if e["protocol"] == "host" and e["operation"] == "virtual-media"]

        image = f"{image_server}/live.iso"
        assert redfish("POST", f"{CD}/Actions/VirtualMedia.InsertMedia", {"Image": image})[0] == 204
        attached = wait_for(media_events, 30, "the image in the VM's CD-ROM drive", interval=0.2)[-1]
        assert (attached["action"], attached["result"], attached["bytes"]) == ("insert", "attached", len(ISO))
        iso_file = cdrom_source("vrack-vm01")
        assert iso_file is not None and Path(iso_file).read_bytes() == ISO

        boot = {"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}}
        assert redfish("PATCH", SYSTEM, boot)[0] == 200
        assert redfish("POST", f"{SYSTEM}/Actions/ComputerSystem.Reset", {"ResetType": "On"})[0] == 204
        serial = tmp_path / "state" / RACK / "vm01.console.log"
        wait_for(
            lambda: serial.exists() and MESSAGE.encode() in serial.read_bytes(),
            90,
            "the VM to boot the CD and its boot code to print on the serial port",
            interval=0.5,
        )
        booted = [e for e in rack.events("vm01") if e["operation"] == "boot"]
        assert booted[-1]["boot_device"] == "cdrom" and booted[-1]["backend"] == "vm"

        assert redfish("POST", f"{CD}/Actions/VirtualMedia.EjectMedia", {})[0] == 204
        ejected = wait_for(lambda: media_events()[1:], 30, "the eject", interval=0.2)[-1]
        assert (ejected["action"], ejected["result"], ejected["image"]) == ("eject", "ejected", image)
        assert cdrom_source("vrack-vm01") is None and not Path(iso_file).exists()
        assert json.loads(redfish("GET", CD)[1])["Inserted"] is False

        assert (
            redfish("POST", f"{CD}/Actions/VirtualMedia.InsertMedia", {"Image": f"{image_server}/gone.iso"})[0] == 204
        )
        refused = wait_for(lambda: media_events()[2:], 30, "the refused image", interval=0.2)[-1]
        assert (refused["action"], refused["result"], refused["reason"]) == ("insert", "failed", "HTTP 404")
        assert cdrom_source("vrack-vm01") is None
        assert redfish("POST", f"{SYSTEM}/Actions/ComputerSystem.Reset", {"ResetType": "ForceOff"})[0] == 204
        wait_for(lambda: not rack.api("GET", "/api/v1/devices/vm01")["power"], 30, "power off")
    finally:
        try:
            code = rack.stop(timeout=60)
        finally:
            cleanup = [sys.executable, "-m", "vrack", "--state-dir", str(tmp_path / "state"), "cleanup"]
            subprocess.run(cleanup, cwd=ROOT, capture_output=True, check=False)
            remove_namespace(SUT)
    assert code == 0, rack.output()
