"""Ctrl-C stops `korgoo demo` at once although a console tab holds its event
stream open: the server ends the streams before waiting for connections."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyotp

from korgoo.entry.demo import DEMO_USERS
from tests.net import free_port

START_S = 60.0
STOP_S = 4.0  # under the server's 5 s graceful-shutdown limit: the streams ended themselves


def wait_for_server(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the demo's console did not start")


def test_ctrl_c_with_an_open_console_stream_stops_the_demo_at_once(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).parent / "korgoo"),
        "demo",
        "--no-live",
        "--console",
        "--minutes",
        "5",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "demo.db"),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_server(base, proc)
        username, _, password, secret = DEMO_USERS[0]
        assert secret is not None
        with httpx.Client(base_url=base, timeout=10) as c:
            r = c.post(
                "/api/v1/session",
                json={"username": username, "password": password, "totp": pyotp.TOTP(secret).now()},
            )
            assert r.status_code == 200, r.text
            with c.stream("GET", "/api/v1/events/stream") as stream:
                assert stream.status_code == 200
                lines = stream.iter_lines()  # kept: dropping it would close the stream
                assert next(lines).startswith("retry:")
                proc.send_signal(signal.SIGINT)
                started = time.monotonic()
                proc.wait(timeout=30)
                stopped = time.monotonic() - started
        assert stopped < STOP_S, f"stopped after {stopped:.1f} s"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
