"""`kill -9` between "events committed" and "decisions committed", on SQLite and PostgreSQL.

A bracelet's SOS is committed and acknowledged; the server (slow_commit_server.py
with its decision hook) hangs before storing the decisions it caused and is
killed there. An earlier alert's decisions are stored, so the log holds stored
decisions both before and after nothing: recovery must find the SOS's events as
undecided, and the panic alert must be in the `alerts` table exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from korgoo.domain.terms import DeviceKind
from korgoo.store.alerts import list_alerts, transitions

from .helpers_devices import HOME, WATCH_SOS, WATCH_STRAP_REMOVED, order_terms, watch_position
from .test_crash_recovery import Server, send, watch_id

FAR = (HOME[0] + 0.03, HOME[1])
HANG_S = 20.0


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'korgoo.db'}"
        return
    admin: str = request.getfixturevalue("pg_admin_url")
    name = f"korgoo_test_kill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    try:
        yield sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


async def test_kill_after_events_commit_before_decisions_keeps_the_alert_once(
    tmp_path: Path, db_url: str
) -> None:
    server = Server(tmp_path, db_url)
    try:
        await _scenario(server, tmp_path)
    finally:
        server.stop()
        server.db.dispose()


async def _scenario(server: Server, tmp_path: Path) -> None:
    ident = watch_id(7)
    server.enrol([order_terms("order-kill", [(ident, DeviceKind.BRACELET)])])
    t0 = float(int(time.time()) - 60)

    def alerts_of(rule: str) -> list[str]:
        return [a.alert_key for a in list_alerts(server.db, rule=rule)]

    # An alert whose decisions are stored: the strap opened.
    await server.start()
    acked: list[int] = []
    strap = watch_position(ident, t0, *FAR, kind="AL", status=WATCH_STRAP_REMOVED)
    await send(server.watch_port, [strap], acked)
    assert acked == [0]
    await server.until(lambda: len(alerts_of("device.strap")) == 1)
    server.stop()

    # The SOS: committed and acknowledged, then the decisions hang and the process dies.
    marker = tmp_path / "hanging"
    await server.start(hang_decisions=marker)
    sos = watch_position(ident, t0 + 5, *FAR, kind="AL", status=WATCH_SOS)
    acked = []
    await send(server.watch_port, [sos], acked)
    assert acked == [0]
    async with asyncio.timeout(HANG_S):
        while not marker.exists():
            await asyncio.sleep(0.05)
    server.kill()
    assert alerts_of("panic") == []  # never stored before the kill
    with server.db.connect() as conn:
        sos_seq = conn.scalar(
            sa.text("SELECT seq FROM events WHERE kind = 'signal' AND t = :t"), {"t": t0 + 5}
        )
    assert sos_seq is not None and str(sos_seq) in marker.read_text().split(",")

    # Restart: recovery stores the SOS's decisions; a resend changes nothing.
    await server.start()
    await server.until(lambda: len(alerts_of("panic")) == 1)
    acked = []
    await send(server.watch_port, [sos, strap], acked)
    assert acked == [0, 1]
    server.stop()

    for rule in ("panic", "device.strap"):
        (key,) = alerts_of(rule)
        assert [t.kind.value for t in transitions(server.db, key)].count("raised") == 1
    with server.db.connect() as conn:
        opened = conn.execute(
            sa.text("SELECT rule, count(*) FROM decisions WHERE kind = 'opened' GROUP BY rule")
        ).all()
    assert dict(opened) == {"device.strap": 1, "panic": 1}
