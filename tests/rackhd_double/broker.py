"""A real RabbitMQ (Debian's ``rabbitmq-server``) for tests, on one loopback address, in a directory of its own.

Started with its own node name, ports (AMQP, distribution, epmd) and data/log directories under the test's
temporary directory, so it never touches a system RabbitMQ.  :meth:`Broker.stop` stops the server's whole
process group and the epmd it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def available() -> bool:
    return Path(SERVER).exists() and shutil.which("epmd") is not None


class Broker:
    """``rabbitmq-server`` on ``address:port`` (guest/guest allowed from any address)."""

    def __init__(self, base: Path, address: str, port: int) -> None:
        self.base = base
        self.address = address
        self.port = port
        self.dist_port = port + 1
        self.epmd_port = port + 2
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.address}:{self.port}/"

    def _env(self) -> dict[str, str]:
        octets = ",".join(self.address.split("."))
        return {
            **os.environ,
            "HOME": str(self.base),
            "RABBITMQ_BASE": str(self.base),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbit.pid"),
            "RABBITMQ_NODENAME": f"vrack-test-{self.port}@localhost",
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel inet_dist_use_interface {{{octets}}}",
            "ERL_EPMD_ADDRESS": self.address,
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def start(self, timeout: float = 60.0) -> Broker:
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = {self.address}:{self.port}\nloopback_users = none\n"
        )
        (self.base / "enabled_plugins").write_text("[].\n")
        with (self.base / "server.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [SERVER],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"rabbitmq-server did not listen on {self.address}:{self.port} within {timeout:g} s")

    def log(self) -> str:
        path = self.base / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        subprocess.run(["epmd", "-kill"], env=self._env(), capture_output=True, timeout=10, check=False)
