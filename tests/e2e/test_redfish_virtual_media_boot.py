"""A node boots from its BMC's virtual CD, driven by sushy (Ironic's Redfish library): insert an image, set the
boot override to ``Cd``, reset; the BMC reads the image over HTTP from its own address (a real HTTP server sees
the request), the host boots it (journal ``host boot`` ``virtual-cd`` / ``boot-outcome`` / ``os-running``, the
console shows the CD boot and a login prompt).  A ``Once`` override is used up by that boot; ``Continuous``
boots the CD again; an image that is not ISO 9660 fails the boot with the reason.

Rack on 127.66.41.0/24 (the image server on 127.66.41.250), in process through vrack.testing, as root (TCP 443).
"""

from __future__ import annotations

import http.server
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import sushy

from vrack.testing import start_rack
from vrack.testing.waiting import wait_until

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: redfish-vmedia
    seed: redfish-vmedia-seed
    networks: {management: 127.66.41.0/24}
    devices:
      - name: node01
        kind: compute
        model: quanta-d51
        post_seconds: 0
        bmc: {boot_time: 0, users: [{name: admin, password: admin}]}
    """
)
# an ISO 9660 image as far as a BMC checks: the primary volume descriptor's "CD001" at sector 16, 64 KiB in all
ISO = bytes(32768) + b"\x01CD001\x01" + bytes(65536 - 32768 - 7)


class ImageServer:
    """HTTP on ``address`` serving ``/live.iso`` (ISO 9660) and ``/blank.img`` (zeros); records who asked."""

    def __init__(self, address: str) -> None:
        self.requests: list[tuple[str, str]] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append((self.client_address[0], self.path))
                body = {"/live.iso": ISO, "/blank.img": bytes(65536)}.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.base = f"http://{address}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ImageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _console_after(path: Path, start: int) -> str:
    return path.read_text(errors="replace")[start:] if path.exists() else ""


def test_sushy_virtual_media_boot() -> None:
    rack = start_rack(SPEC, mode="inprocess", ports="standard")
    try:
        bmc = rack.node("node01").bmc
        root = sushy.Sushy(f"{bmc.redfish_url}/redfish/v1", username="admin", password="admin", verify=bmc.redfish_ca)
        system = root.get_system("/redfish/v1/Systems/1")
        cd = root.get_manager("/redfish/v1/Managers/1").virtual_media.get_member(
            "/redfish/v1/Managers/1/VirtualMedia/CD"
        )
        console = rack.state_dir / "redfish-vmedia" / "node01.console.log"
        with ImageServer("127.66.41.250") as images:
            cd.insert_media(f"{images.base}/live.iso", inserted=True, write_protected=True)
            system.set_system_boot_options(sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.ONCE)
            mark = rack.journal.mark()
            system.reset_system(sushy.ResetType.ON)
            boot = rack.journal.wait_for(device="node01", protocol="host", operation="boot", since=mark)
            assert (boot["boot_device"], boot["image"]) == ("virtual-cd", f"{images.base}/live.iso")
            outcome = rack.journal.wait_for(device="node01", protocol="host", operation="boot-outcome", since=mark)
            assert (outcome["kind"], outcome["status"], outcome["bytes"]) == ("virtual-cd", 200, len(ISO))
            rack.journal.wait_for(device="node01", protocol="host", operation="os-running", since=mark)
            assert images.requests == [(bmc.address, "/live.iso")]  # read by the BMC, from its own address
            wait_until(lambda: "login:" in _console_after(console, 0), 10, "a login prompt")
            shown = console.read_text(errors="replace")
            assert "Booting from Virtual CD" in shown and "live CD live.iso" in shown

            # the Once override is used up: the next reset boots the BIOS order (PXE), not the CD
            mark = rack.journal.mark()
            system.reset_system(sushy.ResetType.FORCE_RESTART)
            again = rack.journal.wait_for(device="node01", protocol="host", operation="boot", since=mark)
            assert again["boot_device"] == "pxe" and len(images.requests) == 1
            system.refresh()
            assert system.boot.enabled == sushy.BootSourceOverrideEnabled.DISABLED

            # Continuous, with an image that is no CD: the boot fails and says why
            cd.eject_media()
            cd.insert_media(f"{images.base}/blank.img")
            system.set_system_boot_options(sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS)
            start = len(console.read_text(errors="replace"))
            mark = rack.journal.mark()
            system.reset_system(sushy.ResetType.FORCE_RESTART)
            failed = rack.journal.wait_for(device="node01", protocol="host", operation="boot-outcome", since=mark)
            assert failed["kind"] == "failed" and "not an ISO 9660 image" in failed["reason"]
            wait_until(lambda: "No bootable device" in _console_after(console, start), 10, "the failed CD boot")

            cd.eject_media()
            cd.insert_media(f"{images.base}/live.iso")
            mark = rack.journal.mark()
            system.reset_system(sushy.ResetType.FORCE_RESTART)
            outcome = rack.journal.wait_for(device="node01", protocol="host", operation="boot-outcome", since=mark)
            assert outcome["kind"] == "virtual-cd"  # Continuous: the CD again
            assert images.requests[-1] == (bmc.address, "/live.iso")
    finally:
        rack.stop()
