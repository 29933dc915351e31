"""The users and sessions store and the API's read helpers on the real PostgreSQL:
the migration creates the tables; login, lockout and sessions work there too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pyotp
import pytest
import sqlalchemy as sa

from korgoo.api.auth import LoginError, add_user, login, token_hash
from korgoo.domain.terms import DeviceKind, OrderKind
from korgoo.settings import Settings
from korgoo.store.audit import audit_append, audit_entries
from korgoo.store.db import migrate, open_engine
from korgoo.store.devices import assign_device, enrol_device, last_contacts, list_devices
from korgoo.store.orders import create_order, list_orders
from korgoo.store.registry import PersonRole, create_person, list_persons
from korgoo.store.users import session_user

pytestmark = pytest.mark.services


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    name = f"korgoo_test_api_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield str(sa.make_url(pg_admin_url).set(database=name).render_as_string(False))
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_login_back_off_and_sessions_on_postgresql(pg_url: str) -> None:
    migrate(pg_url)
    migrate(pg_url)  # a second run changes nothing
    db = open_engine(pg_url)
    try:
        new = add_user(db, "op", role="operator", districts=["KG-GB-OKT"], now=1000.0)
        assert new.user.districts == ("KG-GB-OKT",)
        settings = Settings(login_free_failures=2)
        code = pyotp.TOTP(new.totp_secret or "").at(1000)
        session = login(db, settings, "op", new.password, code, now=1000.0, source="a")
        found = session_user(db, token_hash(session.token), now=1001.0)
        assert found is not None and found[0].username == "op" and found[1] == session.csrf
        assert session_user(db, token_hash(session.token), now=session.expires_at + 1) is None
        with pytest.raises(LoginError) as replayed:
            login(db, settings, "op", new.password, code, now=1001.0, source="a")
        assert replayed.value.status == 401
        with pytest.raises(LoginError) as wrong:
            login(db, settings, "op", "wrong", code, now=1002.0, source="a")
        assert wrong.value.status == 401
        with pytest.raises(LoginError) as throttled:
            login(db, settings, "op", "wrong", code, now=1002.5, source="a")
        assert throttled.value.status == 429 and throttled.value.retry_after == 1
        later = pyotp.TOTP(new.totp_secret or "").at(1030)
        assert login(db, settings, "op", new.password, later, now=1030.0, source="b")
    finally:
        db.dispose()


def test_read_helpers_on_postgresql(pg_url: str) -> None:
    migrate(pg_url)
    db = open_engine(pg_url)
    try:
        with db.begin() as conn:
            for pid, role in (("r", PersonRole.RESPONDENT), ("p", PersonRole.PROTECTED)):
                create_person(
                    conn, role=role, display_name=pid, district="KG-GB-OKT", person_id=pid, at=1.0
                )
            enrol_device(conn, "b", DeviceKind.BRACELET, at=1.0)
            enrol_device(conn, "spare", DeviceKind.BRACELET, at=1.0)
            assign_device(conn, "b", "r", actor="t", at=2.0)
            create_order(
                conn,
                order_id="o",
                number="N-1",
                kind=OrderKind.COURT,
                issuing_authority="c",
                legal_basis="l",
                district="KG-GB-OKT",
                respondent_id="r",
                protected_ids=["p"],
                starts_at=1.0,
                ends_at=1e10,
                actor="t",
                at=3.0,
            )
            audit_append(conn, "t", "order.created", "o", {"number": "N-1"}, at=3.0)
        [(order, version)] = list_orders(db, districts=["KG-GB-OKT"])
        assert order.number == "N-1" and version.protected_ids == ("p",)
        assert list_orders(db, districts=["KG-GB-LEN"]) == []
        assert {p.id for p in list_persons(db, districts=["KG-GB-OKT"])} == {"r", "p"}
        devices = {d.id: d for d in list_devices(db, districts=["KG-GB-LEN"])}
        assert set(devices) == {"spare"}  # unassigned stock is listed in any scope
        assert list_devices(db, device_id="b")[0].district == "KG-GB-OKT"
        assert last_contacts(db, ["b"]) == {}
        [entry] = audit_entries(db, actor="t")
        assert entry.details == {"number": "N-1"}
    finally:
        db.dispose()
