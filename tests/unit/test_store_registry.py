"""Persons, orders and their versions, devices, assignments, unknown devices."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import sqlalchemy as sa

from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, ZoneSpec
from korgoo.settings import get_settings
from korgoo.store import orders as orders_module
from korgoo.store.db import open_engine
from korgoo.store.devices import (
    Assignment,
    assign_device,
    assignments,
    device_secret_ok,
    enrol_device,
    list_unknown_devices,
    load_devices,
    record_unknown_device,
    unassign_device,
)
from korgoo.store.orders import (
    create_order,
    current_terms,
    end_order,
    get_order,
    terms_at,
    vary_order,
    versions,
)
from korgoo.store.registry import (
    Address,
    Person,
    PersonRole,
    Phone,
    create_person,
    get_person,
    update_person,
)
from tests.sqlite_files import copy_database

T0 = 1_760_000_000.0
DAY = 86_400.0
HOME = ZoneSpec(
    zone_id="home",
    name="home of the protected person",
    kind="exclusion",
    geometry={"type": "Point", "coordinates": [74.6, 42.87]},
    radius_m=300.0,
)
SCHOOL = ZoneSpec(
    zone_id="school",
    name="school",
    kind="exclusion",
    geometry={
        "type": "Polygon",
        "coordinates": [[[74.5, 42.8], [74.51, 42.8], [74.51, 42.81], [74.5, 42.8]]],
    },
)


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> sa.Engine:
    copy_database(migrated_template, tmp_path / "korgoo.db")
    return open_engine(f"sqlite:///{tmp_path}/korgoo.db")


def people(engine: sa.Engine) -> tuple[Person, Person]:
    with engine.begin() as conn:
        r = create_person(
            conn,
            role=PersonRole.RESPONDENT,
            display_name="respondent",
            district="KG-GB-OKT",
            phones=[Phone("+996700000001", "mobile"), Phone("+996555000002", "sister")],
            addresses=[Address("Bishkek, Toktogul 1", "home")],
            birth_date="1990-04-01",
            language="ky",
            note="call the sister first",
            at=T0,
        )
        p = create_person(
            conn, role=PersonRole.PROTECTED, display_name="protected person", district="KG-GB-OKT"
        )
    return r, p


def order(engine: sa.Engine, r: Person, p: Person, **kw: object) -> str:
    with engine.begin() as conn:
        v1 = create_order(
            conn,
            number="TPO-2025-0001",
            kind=OrderKind.TEMPORARY,
            issuing_authority="Oktyabrsky district police",
            legal_basis="Law No. 214 of 15 Oct 2025",
            district="KG-GB-OKT",
            respondent_id=r.id,
            protected_ids=[p.id],
            starts_at=T0,
            actor="operator1",
            zones=[HOME],
            at=T0,
            **kw,  # type: ignore[arg-type]
        )
    return v1.order_id


class RegistryContract:
    def test_person_round_trip_and_district_must_exist(self, engine: sa.Engine) -> None:
        r, _ = people(engine)
        assert get_person(engine, r.id) == r
        assert get_person(engine, "missing") is None
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            create_person(conn, role=PersonRole.PROTECTED, display_name="x", district="KG-NOPE")

    def test_person_update_replaces_the_contacts_it_names(self, engine: sa.Engine) -> None:
        r, _ = people(engine)
        with engine.begin() as conn:
            updated = update_person(
                conn, r.id, {"phones": [Phone("+996700111222", "work")], "note": ""}, at=T0 + 5
            )
            assert update_person(conn, "missing", {"note": "x"}, at=T0) is None
            with pytest.raises(ValueError, match="district"):
                update_person(conn, r.id, {"district": "KG-GB-LEN"}, at=T0)
        assert updated is not None
        assert get_person(engine, r.id) == updated
        assert updated.phones == (Phone("+996700111222", "work"),)
        assert (updated.note, updated.updated_at) == ("", T0 + 5)
        # What was not named stays.
        assert (updated.addresses, updated.language) == (r.addresses, "ky")

    def test_order_versions_and_terms_at_different_times(self, engine: sa.Engine) -> None:
        r, p = people(engine)
        order_id = order(engine, r, p)
        first = versions(engine, order_id)[0]
        assert first.version == 1
        assert first.ends_at == T0 + get_settings().monitoring_max_days * DAY
        with engine.begin() as conn:
            v2 = vary_order(
                conn,
                order_id,
                {"min_distance_m": 300.0, "zones": [HOME, SCHOOL]},
                reason="court varied the order",
                actor="operator2",
                at=T0 + 2 * DAY,
            )
            v3 = end_order(
                conn, order_id, reason="monitoring ended", actor="operator1", at=T0 + 5 * DAY
            )
        assert (v2.version, v3.version) == (2, 3)
        assert versions(engine, order_id) == [first, v2, v3]
        assert terms_at(engine, order_id, T0 - 1) is None
        t1 = terms_at(engine, order_id, T0 + DAY)
        t2 = terms_at(engine, order_id, T0 + 3 * DAY)
        t3 = terms_at(engine, order_id, T0 + 6 * DAY)
        assert t1 is not None and t2 is not None and t3 is not None
        assert (t1.version, t1.min_distance_m, t1.zones) == (1, 500.0, (HOME,))
        assert (t2.version, t2.min_distance_m, t2.zones) == (2, 300.0, (HOME, SCHOOL))
        assert (t3.version, t3.status, t3.ends_at) == (3, OrderStatus.ENDED, T0 + 5 * DAY)
        assert t2.kind == OrderKind.TEMPORARY
        assert t2.district == "KG-GB-OKT"
        assert (t2.respondent.person_id, [x.person_id for x in t2.protected]) == (r.id, [p.id])
        order_row = get_order(engine, order_id)
        assert order_row is not None and order_row.number == "TPO-2025-0001"

    def test_variations_are_checked(self, engine: sa.Engine) -> None:
        r, p = people(engine)
        order_id = order(engine, r, p)
        with pytest.raises(ValueError, match="cannot vary"), engine.begin() as conn:
            vary_order(conn, order_id, {"number": "X"}, reason="x", actor="a")
        with pytest.raises(Exception, match="Expected `float`"), engine.begin() as conn:
            vary_order(conn, order_id, {"min_distance_m": "near"}, reason="x", actor="a")
        with engine.begin() as conn:
            end_order(conn, order_id, reason="revoked by court", actor="a", revoked=True)
        with pytest.raises(ValueError, match="revoked"), engine.begin() as conn:
            vary_order(conn, order_id, {"min_distance_m": 1.0}, reason="x", actor="a")
        with pytest.raises(LookupError), engine.begin() as conn:
            vary_order(conn, "missing", {}, reason="x", actor="a")
        assert [v.status for v in versions(engine, order_id)] == [
            OrderStatus.ACTIVE,
            OrderStatus.REVOKED,
        ]

    def test_versions_have_no_update_path(self, engine: sa.Engine) -> None:
        source = inspect.getsource(orders_module)
        assert "sa.update" not in source
        assert ".update(" not in source.replace("fields.update(", "")
        r, p = people(engine)
        order_id = order(engine, r, p)
        before = versions(engine, order_id)[0]
        with engine.begin() as conn:
            vary_order(conn, order_id, {"checkins_per_day": 3}, reason="r", actor="a", at=T0 + 1)
        assert versions(engine, order_id)[0] == before
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE order_versions SET min_distance_m = 1")

    def test_current_terms_carry_the_devices_assigned_now(self, engine: sa.Engine) -> None:
        r, p = people(engine)
        order_id = order(engine, r, p)
        with engine.begin() as conn:
            enrol_device(conn, "860000000000001", DeviceKind.BRACELET, model="gt06", at=T0)
            enrol_device(conn, "app-r", DeviceKind.RESPONDENT_APP, at=T0)
            enrol_device(conn, "app-p", DeviceKind.VICTIM_APP, at=T0)
            assign_device(conn, "860000000000001", r.id, actor="op", at=T0 + 10)
            assign_device(conn, "app-p", p.id, actor="op", at=T0 + 10)
            assign_device(conn, "app-r", r.id, actor="op", at=T0 + 20)
        (terms,) = current_terms(engine)
        assert terms.order_id == order_id
        assert terms.respondent.devices == (
            ("860000000000001", DeviceKind.BRACELET),
            ("app-r", DeviceKind.RESPONDENT_APP),
        )
        assert terms.protected[0].devices == (("app-p", DeviceKind.VICTIM_APP),)
        at_15 = terms_at(engine, order_id, T0 + 15)
        assert at_15 is not None
        assert at_15.respondent.devices == (("860000000000001", DeviceKind.BRACELET),)
        with engine.begin() as conn:
            end_order(conn, order_id, reason="ended", actor="op", at=T0 + 30)
        assert current_terms(engine) == []

    def test_assignment_history_one_person_at_a_time(self, engine: sa.Engine) -> None:
        r, p = people(engine)
        dev = "860000000000009"
        with engine.begin() as conn:
            enrol_device(conn, dev, DeviceKind.BRACELET, at=T0)
            assign_device(conn, dev, r.id, actor="op1", at=T0 + 1)
            assign_device(conn, dev, r.id, actor="op1", at=T0 + 2)  # already: no change
            assign_device(conn, dev, p.id, actor="op2", at=T0 + 3, reason="moved")
            assert unassign_device(conn, dev, at=T0 + 4, actor="op3", reason="lost")
            assert not unassign_device(conn, dev, at=T0 + 5)
        # Who ended each assignment and why are kept with it.
        moved = Assignment(dev, p.id, T0 + 3, T0 + 4, "op2", "moved", "op3", "lost")
        assert assignments(engine, device_id=dev) == [
            Assignment(dev, r.id, T0 + 1, T0 + 3, "op1", ended_by="op2", end_reason="moved"),
            moved,
        ]
        assert assignments(engine, person_id=p.id) == [moved]
        with engine.begin() as conn:
            assign_device(conn, dev, r.id, actor="op1", at=T0 + 6)
        # The database itself refuses a second open assignment of one device.
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO device_assignments (device_id, person_id, from_at, assigned_by) "
                f"VALUES ('{dev}', '{p.id}', {T0 + 7}, 'x')"
            )

    def test_devices_lookup_and_secrets(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            enrol_device(conn, "w1", DeviceKind.BRACELET, tz_offset_min=360, secret="s3cret")
            enrol_device(conn, "a1", DeviceKind.RESPONDENT_APP)
        assert load_devices(engine) == {
            "w1": DeviceInfo("w1", DeviceKind.BRACELET, 360),
            "a1": DeviceInfo("a1", DeviceKind.RESPONDENT_APP, 0),
        }
        assert device_secret_ok(engine, "w1", "s3cret")
        assert not device_secret_ok(engine, "w1", "guess")
        assert not device_secret_ok(engine, "a1", "")
        assert not device_secret_ok(engine, "missing", "s3cret")
        with engine.connect() as conn:
            stored = conn.scalar(sa.text("SELECT secret_hash FROM devices WHERE id = 'w1'"))
        assert stored.startswith("sha256$")
        assert "s3cret" not in stored

    def test_unknown_devices_are_counted_until_enrolled(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            record_unknown_device(conn, "gt06", "3567", remote="10.0.0.1:5000", raw=b"xx", at=T0)
            record_unknown_device(
                conn, "gt06", "3567", remote="10.0.0.2:6000", raw=b"\x78\x78" * 200, at=T0 + 5
            )
            record_unknown_device(conn, "gt06", "3567", remote="10.0.0.1:5000", raw=b"y", at=T0 + 1)
            record_unknown_device(conn, "watch", "99", remote="10.0.0.3:1", raw=b"[3G*99]", at=T0)
        seen = list_unknown_devices(engine)
        assert [(u.protocol, u.ident, u.count) for u in seen] == [
            ("gt06", "3567", 3),
            ("watch", "99", 1),
        ]
        gt06 = seen[0]
        assert (gt06.first_seen, gt06.last_seen) == (T0, T0 + 5)  # a late report does not rewind
        assert (gt06.remote, gt06.sample) == ("10.0.0.1:5000", b"y".hex())
        with engine.begin() as conn:
            record_unknown_device(conn, "gt06", "3567", remote="r", raw=b"\x78" * 1000, at=T0 + 9)
        assert len(list_unknown_devices(engine)[0].sample) == 512
        with engine.begin() as conn:
            enrol_device(conn, "3567", DeviceKind.BRACELET)
        assert [u.ident for u in list_unknown_devices(engine)] == ["99"]

    def test_unknown_devices_table_keeps_the_most_recently_seen(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            pruned = [
                record_unknown_device(conn, "osmand", f"fake-{i}", remote="r", raw=b"", at=T0 + i)
                for i in range(8)
            ]
            # A sender seen again is fresh again, and is kept over older ones.
            pruned.append(
                record_unknown_device(conn, "osmand", "fake-0", remote="r", raw=b"", at=T0 + 9)
            )
            pruned.append(
                record_unknown_device(
                    conn, "osmand", "new", remote="r", raw=b"", at=T0 + 10, keep=3
                )
            )
        assert pruned == [0] * 9 + [6]
        assert [u.ident for u in list_unknown_devices(engine)] == ["new", "fake-0", "fake-7"]


class TestRegistrySqlite(RegistryContract):
    pass
