"""A real ``redis-server`` for one test: a free loopback port, no persistence of its own,
waited for until it answers PING, stopped at the end. A missing ``redis-server`` fails the
test (``scripts/install-redis.sh`` installs it); it is never skipped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Optional

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` on ``127.0.0.1:<port>`` with its own data directory."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed: run scripts/install-redis.sh")
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="hfjwt-redis-py-")
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self._spawn()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.cmd("PING") == "PONG":
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited at start-up ({self.proc.returncode})")
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer PING")
            time.sleep(0.02)

    def cmd(self, *args: str) -> Optional[str]:
        """One command; its reply as text (status, integer, bulk), None for nil."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            req = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
            s.sendall(req.encode())
            f = s.makefile("rb")
            line = f.readline().decode().rstrip("\r\n")
            if not line:
                raise ConnectionError("no reply")
            tag, rest = line[0], line[1:]
            if tag in "+:":
                return rest
            if tag == "-":
                return "ERR " + rest
            if tag == "$":
                n = int(rest)
                return None if n < 0 else f.read(n + 2)[:n].decode()
            return line

    def stop_keeping_data(self) -> None:
        """``SHUTDOWN SAVE``: stops the server with its data in dump.rdb, as a Redis with
        persistence keeps it; ``restart`` loads it again."""
        try:
            self.cmd("SHUTDOWN", "SAVE")
        except OSError:
            pass
        assert self.proc is not None
        self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        assert self.proc is None, "stop it first"
        self._spawn()

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing is answered."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
