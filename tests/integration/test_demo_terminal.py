"""`korgoo demo` as a person starts it in a terminal (issue 11 item 4): for 20 s
the live view owns the screen, no log line is written over it (they go to a file
beside the database), nothing reports "database is locked", and Ctrl-C ends it
with the summary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.net import free_port

RUN_S = 20.0
KORGOO = str(Path(sys.executable).with_name("korgoo"))  # the installed command


def test_the_live_demo_keeps_logs_off_the_screen_and_never_finds_the_store_locked(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    env = os.environ | {
        "KORGOO_AUDIT_KEY_FILE": str(tmp_path / "keys" / "audit.key"),
        "KORGOO_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "keys" / "signing.key"),
        "KORGOO_AUDIT_CHECKPOINTS_FILE": str(tmp_path / "checkpoints.jsonl"),
        "COLUMNS": "100",
    }
    demo = subprocess.Popen(
        [KORGOO, "demo", "--db", str(db), "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        out, _ = demo.communicate(timeout=RUN_S)
    except subprocess.TimeoutExpired:
        demo.send_signal(signal.SIGINT)
        out, _ = demo.communicate(timeout=60)
    log = (tmp_path / "demo.log").read_text()
    assert demo.returncode == 0, out[-3000:]
    assert "Alerts raised, by rule" in out and "demo.log" in out, out[-3000:]
    # The screen has the live view and the summary only: no log line among them.
    for marker in ("[info", "[warning", "[error", "[INFO]", "[WARNING]", "Traceback"):
        assert marker not in out, out[-3000:]
    assert "recovered" in log  # the logs went to the file instead
    assert "database is locked" not in out + log, log[-3000:]
