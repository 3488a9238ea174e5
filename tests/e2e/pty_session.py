"""Drive an interactive client (``ipmitool sol activate``, ``ipmiconsole``) through a pseudo-terminal.

The standard library's :mod:`pty` only: the client sees a real terminal (ipmitool puts it in raw mode),
the test reads what it prints and types keystrokes.  Every wait has a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time


class PtySession:
    """A child process on a pty; :meth:`expect` waits for text, :meth:`send` types."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed its side
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, text: bytes, timeout: float = 20.0, start: int = 0) -> int:
        """Wait until ``text`` appears in the output after offset ``start``; return the offset after it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.output.find(text, start)
            if found >= 0:
                return found + len(text)
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.proc.poll() is not None):
                if self.output.find(text, start) >= 0:
                    return self.output.find(text, start) + len(text)
                raise AssertionError(
                    f"{self.argv[0]}: {text!r} not seen within {timeout} s (exit {self.proc.poll()}); "
                    f"output:\n{bytes(self.output[-2000:])!r}"
                )

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 20.0) -> int:
        """Wait for the child to exit, reading its output meanwhile; return its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0):
            pass
        if self.proc.poll() is None:
            raise AssertionError(f"{self.argv[0]} did not exit within {timeout} s:\n{bytes(self.output[-2000:])!r}")
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        os.close(self.master)
