"""Private PostgreSQL and Mosquitto instances for a test session or a benchmark.

Each runs from a fresh temporary folder on a free loopback port, so test runs never
share a server with each other or with anything else on the machine. As root the
servers run as `nobody` (PostgreSQL refuses to run as root). `setpriv --pdeathsig`
ends a server when the test process dies without tearing it down.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

import psycopg

START_S = 30.0
STOP_S = 10.0
ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
INSTALL_HINT = "run scripts/ensure-system-deps (`make test` does) to install it"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Broker(NamedTuple):
    host: str
    port: int


class ServiceError(RuntimeError):
    pass


def _as_unprivileged() -> tuple[list[str], int, int] | None:
    """The `setpriv` prefix and ids to run a server as `nobody`, when we are root."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    ids = [f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    return ["setpriv", *ids], nobody.pw_uid, nobody.pw_gid


def _command(argv: list[str]) -> list[str]:
    unprivileged = _as_unprivileged()
    prefix = unprivileged[0] if unprivileged else ["setpriv"]
    return [*prefix, "--pdeathsig", "TERM", "--", *argv]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _sweep(prefix: str) -> None:
    """Removes the folders of sessions that were killed before their teardown."""
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = path / "owner.pid"
        with contextlib.suppress(OSError, ValueError):
            if not _alive(int(owner.read_text())):
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _workdir(prefix: str) -> Iterator[Path]:
    _sweep(prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / "owner.pid").write_text(str(os.getpid()))
    try:
        unprivileged = _as_unprivileged()
        if unprivileged:
            os.chown(path, unprivileged[1], unprivileged[2])
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(argv: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _command(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )


def _wait_until(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """Polls `ready()` until it holds (True) or the server exits or times out (False)."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.1)
    return False


def postgres_bindir() -> Path:
    """Where `initdb` and `postgres` are: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not versions:
        raise ServiceError(f"PostgreSQL's initdb is not installed: {INSTALL_HINT}")
    return Path(versions[-1]).parent


def _accepts(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=1):
            return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def private_postgres() -> Iterator[str]:
    """A throwaway cluster (trust auth, no fsync); yields its admin URL."""
    bindir = postgres_bindir()
    with _workdir("korgoo-test-pg-") as work:
        data = work / "data"
        init = subprocess.run(
            _command([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync"]),
            capture_output=True,
            check=False,
        )  # fmt: skip
        if init.returncode != 0:
            raise ServiceError(f"initdb failed:\n{init.stdout.decode()}{init.stderr.decode()}")
        with open(work / "postgres.log", "ab") as log:
            for _ in range(ATTEMPTS):
                port = free_port()
                url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
                process = _start(
                    [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(work),
                     "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                     "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                    log,
                )  # fmt: skip
                try:
                    if _wait_until(process, functools.partial(_accepts, url)):
                        yield url
                        return
                finally:
                    _stop(process, signal.SIGINT)  # SIGINT: PostgreSQL's fast shutdown
        raise ServiceError(f"PostgreSQL did not start:\n{(work / 'postgres.log').read_text()}")


def mosquitto_binary() -> Path:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise ServiceError(f"Mosquitto is not installed: {INSTALL_HINT}")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def private_mosquitto(port: int | None = None) -> Iterator[Broker]:
    """A broker with a minimal configuration (anonymous, no persistence), on
    `port` if given (a broker started again where the last one listened)."""
    binary = mosquitto_binary()
    with _workdir("korgoo-test-mqtt-") as work, open(work / "mosquitto.log", "ab") as log:
        wanted = port
        for _ in range(ATTEMPTS):
            port = wanted or free_port()
            config = work / "mosquitto.conf"
            config.write_text(
                f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "log_dest stderr\n"
            )
            config.chmod(0o644)
            process = _start([str(binary), "-c", str(config)], log)
            try:
                if _wait_until(process, functools.partial(_listening, port)):
                    yield Broker("127.0.0.1", port)
                    return
            finally:
                _stop(process, signal.SIGTERM)
        raise ServiceError(f"Mosquitto did not start:\n{(work / 'mosquitto.log').read_text()}")
