"""A small monitoring centre for the API tests: a real SQLite file, a real
Pipeline, the FastAPI app, users of every role, and two districts.

Oktyabrsky (KG-GB-OKT) has an order with a bracelet respondent, a protected
person with the victim app, and an exclusion zone around the protected
person's home; Leninsky (KG-GB-LEN) has an order of its own. Monitoring is
rolled out in both, not in Sverdlovsky (KG-GB-SVE), where a prosecutor and a
court of their own see nothing of the others. Clients log in
through the API (password and TOTP) and send the CSRF token on every request.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyotp
import pytest

from korgoo.api.auth import NewUser, add_user
from korgoo.domain.events import Fix
from korgoo.domain.ingest import Message
from korgoo.domain.terms import DeviceKind, OrderKind
from korgoo.entry.app import create_app
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.db import migrate, open_engine
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.orders import create_order, terms_at
from korgoo.store.registry import PersonRole, create_person, set_monitoring

from ..sqlite_files import copy_database
from ..unit.engine.conftest import HOME, T0, east_of, home_zone

OKT, LEN, SVE = "KG-GB-OKT", "KG-GB-LEN", "KG-GB-SVE"
VICTIM_POS = east_of(HOME, 3000)  # the protected person, away from home
TOTP_STEP_S = 30


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


@dataclass
class World:
    url: str
    pipeline: Pipeline
    clock: Clock  # the pipeline's (engine) time
    auth_clock: Clock  # wall time for sessions, lockouts and TOTP
    app: object
    users: dict[str, NewUser] = field(default_factory=dict)

    def client(self, source: str = "127.0.0.1") -> httpx.AsyncClient:
        """A client whose requests come from the address `source`."""
        transport = httpx.ASGITransport(app=self.app, client=(source, 50000))  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url="http://korgoo.test")

    def totp(self, username: str) -> str:
        """The code of the next time step: each code logs in once, so a person
        who signs in again waits for a new one (here: the clock moves on 30 s)."""
        secret = self.users[username].totp_secret
        self.auth_clock.t += TOTP_STEP_S
        return "" if secret is None else pyotp.TOTP(secret).at(int(self.auth_clock()))

    async def login(
        self, username: str, client: httpx.AsyncClient | None = None
    ) -> httpx.AsyncClient:
        """A client logged in as `username`, sending its CSRF token by default."""
        c = client or self.client()
        r = await c.post(
            "/api/v1/session",
            json={
                "username": username,
                "password": self.users[username].password,
                "totp": self.totp(username),
            },
        )
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf"]
        return c

    async def fixes(
        self, device: str, t: float, *positions: tuple[float, float], step: float = 10.0
    ) -> float:
        """Submit one fix per position, `step` s apart from `t`, advancing the clock."""
        for pos in positions:
            self.clock.t = max(self.clock.t, t)
            f = Fix(device, t, t, pos[0], pos[1], 10.0, speed=1.5, battery=80.0, source="test")
            await self.pipeline.submit([Message(event=f, msg_key=f"{device}:{t}")])
            t += step
        await self.settled()
        return t

    async def settled(self) -> None:
        """Wait for the engine to evaluate what was submitted (see `Api.settle`)."""
        await self.pipeline.act(lambda book: [])


def seed(url: str) -> None:
    db = open_engine(url)
    with db.begin() as conn:
        for district in (OKT, LEN):  # monitoring rolled out here, not in Sverdlovsky
            set_monitoring(conn, district, True)
        for pid, role, district in (
            ("resp-okt", PersonRole.RESPONDENT, OKT),
            ("prot-okt", PersonRole.PROTECTED, OKT),
            ("resp-len", PersonRole.RESPONDENT, LEN),
            ("prot-len", PersonRole.PROTECTED, LEN),
        ):
            create_person(
                conn, role=role, display_name=pid, district=district, person_id=pid, at=T0
            )
        for device, kind, person in (
            ("bracelet-okt", DeviceKind.BRACELET, "resp-okt"),
            ("victim-app-okt", DeviceKind.VICTIM_APP, "prot-okt"),
            ("bracelet-len", DeviceKind.BRACELET, "resp-len"),
        ):
            enrol_device(conn, device, kind, at=T0 - 7200)
            assign_device(conn, device, person, actor="setup", at=T0 - 7200)
        for order_id, number, district, resp, prot, zones in (
            ("order-okt", "OKT-1", OKT, "resp-okt", "prot-okt", (home_zone(),)),
            ("order-len", "LEN-1", LEN, "resp-len", "prot-len", ()),
        ):
            create_order(
                conn,
                order_id=order_id,
                number=number,
                kind=OrderKind.COURT,
                issuing_authority="court",
                legal_basis="Law No. 214",
                district=district,
                respondent_id=resp,
                protected_ids=[prot],
                starts_at=T0 - 3600,
                ends_at=T0 + 30 * 86400,
                zones=zones,
                actor="setup",
                at=T0 - 3600,
            )
    db.dispose()


USERS = (
    ("operator", "operator", ()),
    ("operator-len", "operator", (LEN,)),
    ("supervisor", "supervisor", ()),
    ("supervisor-len", "supervisor", (LEN,)),
    ("admin", "administrator", ()),
    ("statistics", "statistics", ()),
    ("statistics-len", "statistics", (LEN,)),
    ("police-okt", "police_duty_officer", (OKT,)),
    ("police-len", "police_duty_officer", (LEN,)),
    ("inspector-okt", "police_district_inspector", (OKT,)),
    ("probation-okt", "probation_officer", (OKT,)),
    ("prosecutor-okt", "prosecutor", (OKT,)),
    ("prosecutor-sve", "prosecutor", (SVE,)),
    ("court-okt", "court", (OKT,)),
    ("court-sve", "court", (SVE,)),
)


@dataclass(frozen=True)
class Template:
    """The world's database as every test starts with it: migrated, seeded, and
    its users made (an argon2 hash each, 15 in all: seconds per test)."""

    path: Path
    users: dict[str, NewUser]


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("world") / "korgoo.db"
    url = f"sqlite:///{path}"
    migrate(url)
    seed(url)
    db = open_engine(url)
    users = {
        username: add_user(db, username, role=role, districts=districts, now=time.time())
        for username, role, districts in USERS
    }
    db.dispose()
    return Template(path, users)


@pytest.fixture(name="w")
async def world_fixture(tmp_path: Path, world_template: Template) -> AsyncIterator[World]:
    """A fresh copy of the template database for each test, and its own pipeline."""
    copy_database(world_template.path, tmp_path / "korgoo.db")
    url = f"sqlite:///{tmp_path / 'korgoo.db'}"
    clock = Clock(T0)
    # A receipt token: the SMS gateway's delivery-report route exists (and wants it).
    settings = Settings(batch_wait_ms=1.0, sms_receipt_token="gateway-token")
    pipeline = Pipeline(open_engine(url), settings, clock=clock)
    await pipeline.start(tick_every=None)
    auth_clock = Clock(time.time())
    app = create_app(pipeline, Health(pipeline), pipeline.settings, auth_clock=auth_clock)
    w = World(url, pipeline, clock, auth_clock, app, dict(world_template.users))
    for order_id in ("order-okt", "order-len"):
        terms = terms_at(pipeline.db, order_id, T0)
        assert terms is not None
        await pipeline.order_changed(terms)
    await w.settled()
    try:
        yield w
    finally:
        await pipeline.stop()


async def zone_breach(w: World) -> str:
    """The Oktyabrsky respondent walks into the protected person's home zone; the
    engine raises an exclusion-zone alert. Returns its key."""
    far = east_of(HOME, -500)
    t = await w.fixes("bracelet-okt", T0 + 10, far, far)
    # 500 m in 20 s, a car's pace: a faster jump would be refused as spoofing.
    await w.fixes("bracelet-okt", t + 10, HOME, HOME, HOME, HOME)
    keys = [a.alert_key for a in w.pipeline.open_alerts() if a.rule == "zone.exclusion"]
    assert len(keys) == 1, w.pipeline.open_alerts()
    return keys[0]


async def proximity_breach(w: World) -> str:
    """The respondent comes within 100 m of the protected person (away from the
    home zone); the engine raises a proximity breach whose evidence holds the
    protected person's position. Returns its key."""
    near = east_of(VICTIM_POS, -100)
    t = T0 + 10
    for _ in range(5):
        await w.fixes("victim-app-okt", t, VICTIM_POS)
        t = await w.fixes("bracelet-okt", t + 1, near)
    keys = [a.alert_key for a in w.pipeline.open_alerts() if a.rule == "proximity.breach"]
    assert len(keys) == 1, w.pipeline.open_alerts()
    return keys[0]
