"""The microkernel downloads its OS images before it asks RackHD for anything, and sticks without them.

A real node booting RackHD's Ubuntu microkernel fetches ``BASEFS`` and ``OVERLAYFS`` from its initrd; booting
RancherOS, its cloud-config's rc.local ``wget``\\ s the discovery container and retries ``docker load`` for
ever.  A lab whose file server lacks one of them must not see a simulated node run RackHD's tasks anyway.
In memory, on a fake clock, against the southbound double.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionRefusedError

from node_sim.microkernel import Microkernel, MicrokernelEvent
from tests.rackhd_double.graph import Batch
from tests.rackhd_double.nodes import make_node
from tests.rackhd_double.southbound import Southbound
from vrack.nodes.sim import os_images

SERVER = "http://127.24.0.1:9030"
FILES = "http://127.24.0.1:9080/common"
BASEFS = f"{FILES}/base.trusty.3.16.0-25-generic.squashfs.img"
OVERLAYFS = f"{FILES}/discovery.overlay.cpio.gz"
DOCKER = f"{FILES}/discovery.docker.tar.xz"
# RackHD 2.60.7's linux.ipxe imgargs, rendered (on-taskgraph data/profiles/linux.ipxe)
UBUNTU_ARGS = (
    "vmlinuz-3.16.0-25-generic initrd=initrd.img-3.16.0-25-generic auto=true SYSLOGSERVER=127.24.0.1 "
    f"API_CB=127.24.0.1:9030 BASEFS={BASEFS} OVERLAYFS={OVERLAYFS} BOOTIF=01-2c:60:0c:f7:90:d5 console=tty0 "
    "console=ttyS0,115200n8 "
)
# the part of RackHD 2.60.7's cloud-config.yaml that matters here, rendered
CLOUD_CONFIG = f"""#cloud-config
write_files:
  - path: /etc/rc.local
    content: |
      #!/bin/bash
      modprobe ipmi_devintf
      wget -O /tmp/micro.tar.xz {DOCKER}
      while [ $(docker images | grep -c micro) == "0" ]; do
         xz -cd /tmp/micro.tar.xz | docker load
      done
  - path: /etc/rackhd-micro.sh
    content: |
      docker run -e SERVER='127.24.0.1' -e PORT='9030' -e MAC='x' --privileged --net=host rackhd/micro
"""


class Lab:
    """RackHD's file server (``files``: URL -> body; anything else 404) and the southbound double."""

    def __init__(self, files: dict[str, bytes], refuse: frozenset[str] = frozenset()) -> None:
        self.node = make_node()
        self.southbound = Southbound("127.24.0.1", 9030)
        self.record = self.southbound.add_node(self.node.identity.nic_macs[0])
        self.record.batches.clear()
        self.record.batches.append(Batch("one", [{"cmd": "true"}], exit=127))
        self.files = files
        self.refuse = refuse
        self.log: list[str] = []
        self.events: list[MicrokernelEvent] = []
        self.exits: list[int] = []
        self.mk = Microkernel(
            self.node.ctx, self, self.node.clock, server=SERVER, mac=self.node.identity.nic_macs[0],
            on_exit=self.exits.append, observer=self.events.append,
        )  # fmt: skip

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        self.log.append(url)
        if url in self.refuse:
            return fail(ConnectionRefusedError())
        if url.startswith(FILES):
            return succeed((200, self.files[url]) if url in self.files else (404, b"Not Found"))
        if "cloud-config.yaml" in url:
            return succeed((200, CLOUD_CONFIG.encode()))
        parts = urlparse(url)
        return succeed(self.southbound.handle("GET", parts.path, parse_qs(parts.query), b""))

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        self.log.append(url)
        return succeed(self.southbound.handle("POST", urlparse(url).path, {}, body))

    def run(self, seconds: float = 300.0) -> None:
        clock = self.node.clock
        while self.mk.state not in ("exited", "stopped") and clock.seconds() < seconds:
            clock.advance(1.0)

    def asked_rackhd(self) -> list[str]:
        return [url for url in self.log if "/api/" in url and "cloud-config" not in url]


def test_the_ubuntu_images_are_read_from_linux_ipxe_kernel_arguments_in_order() -> None:
    assert os_images(UBUNTU_ARGS) == [BASEFS, OVERLAYFS]
    assert os_images("console=tty0 rancher.password=monorail") == []


def test_the_ubuntu_microkernel_downloads_basefs_and_overlayfs_then_runs_rackhds_tasks() -> None:
    lab = Lab({BASEFS: b"S" * 4096, OVERLAYFS: b"O" * 512})
    lab.mk.start(images=os_images(UBUNTU_ARGS))
    lab.run()
    assert lab.log[:3] == [BASEFS, OVERLAYFS, f"{SERVER}/api/current/tasks/bootstrap.js?macAddress={lab.mk.mac}"]
    assert lab.exits == [127]
    images = [(e.detail["url"], e.detail["size"]) for e in lab.events if e.kind == "image"]
    assert images == [(BASEFS, 4096), (OVERLAYFS, 512)]


def test_a_missing_basefs_leaves_the_node_stuck_without_a_word_to_rackhd() -> None:
    lab = Lab({OVERLAYFS: b"O"})
    done: list[int | None] = []
    lab.mk.start(images=os_images(UBUNTU_ARGS)).addCallback(done.append)
    lab.run()
    assert lab.log == [BASEFS] and lab.asked_rackhd() == [] and lab.southbound.requests == []
    assert lab.mk.state == "stuck" and lab.exits == [] and done == []
    stuck = [e.detail for e in lab.events if e.kind in ("image", "stuck")]
    assert stuck == [
        {"url": BASEFS, "status": 404, "error": "HTTP 404"},
        {"reason": f"could not download {BASEFS}: HTTP 404"},
    ]
    lab.mk.stop()  # power off
    assert lab.mk.state == "stopped" and done == [None]


def test_a_file_server_that_does_not_answer_leaves_the_node_stuck_too() -> None:
    lab = Lab({BASEFS: b"S"}, refuse=frozenset({OVERLAYFS}))
    lab.mk.start(images=os_images(UBUNTU_ARGS))
    lab.run()
    assert lab.log == [BASEFS, OVERLAYFS] and lab.asked_rackhd() == [] and lab.mk.state == "stuck"
    assert [e.detail.get("status") for e in lab.events if e.kind == "image"] == [200, None]


def test_the_rancher_microkernel_loads_the_container_its_cloud_config_fetches_before_bootstrap() -> None:
    lab = Lab({DOCKER: b"D" * 100})
    lab.mk.start(cloud_config_url=f"{SERVER}/api/current/templates/cloud-config.yaml?nodeId={lab.record.node_id}")
    lab.run()
    assert lab.log[1] == DOCKER and lab.log[2].startswith(f"{SERVER}/api/current/tasks/bootstrap.js")
    assert lab.exits == [127]


def test_a_missing_discovery_container_leaves_the_rancher_node_stuck() -> None:
    lab = Lab({})
    lab.mk.start(cloud_config_url=f"{SERVER}/api/current/templates/cloud-config.yaml?nodeId={lab.record.node_id}")
    lab.run()
    assert lab.log[1:] == [DOCKER] and lab.asked_rackhd() == [] and lab.mk.state == "stuck"
