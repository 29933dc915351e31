"""A whole monitoring centre for the browser tests, on real time.

A fresh SQLite file holds the pilot-shaped demo data (18 orders in Oktyabrsky
district) and an operator with a password and a TOTP secret. A real Pipeline,
the console app (API and pages) and the OsmAnd phone gateway run under uvicorn
in a thread of their own, so the tests drive Chromium with Playwright's sync
API while devices report over HTTP exactly as phones do.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pyotp
import uvicorn

from korgoo.api.auth import add_user
from korgoo.apps.service import Apps
from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import Message, Verdict
from korgoo.domain.terms import DeviceKind, OrderTerms, ZoneSpec
from korgoo.engine.params import DEFAULT_PARAMS, RuleParams
from korgoo.entry.app import create_app
from korgoo.entry.embedded_http import EmbeddedServer
from korgoo.entry.seed import load_population
from korgoo.gateways.http import osmand_app
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.db import migrate, open_engine
from korgoo.store.orders import current_terms
from korgoo_lab.sim.population import Population, pilot_population
from korgoo_lab.sim.russian import russian
from tests.net import free_port
from tests.sqlite_files import copy_database

OPERATOR = "operator"
OPERATOR_NAME = "Дежурный оператор"  # a role, not a person
SUPERVISOR = "supervisor"
SUPERVISOR_NAME = "Старший смены"
PASSWORD = "correct-horse-battery"
START_S = 20.0
T = TypeVar("T")
Report = dict[str, str | int | float]  # one OsmAnd request's parameters


@dataclass(frozen=True)
class Case:
    """One order of the demo data, as a test uses it."""

    order_id: str
    number: str
    respondent_device: str
    respondent_kind: DeviceKind
    victim_device: str | None
    home: tuple[float, float]  # centre of the protected person's home zone
    home_radius_m: float
    home_zone_name: str


def _home_zone(terms: OrderTerms) -> ZoneSpec:
    return next(z for z in terms.zones if z.zone_id.endswith("-home"))


def cases(pop: Population) -> list[Case]:
    out = []
    for rec in pop.order_records:
        terms = pop.terms(rec.order_id)
        device, kind = terms.respondent.devices[0]
        victim = next((d for p in terms.protected for d, _ in p.devices), None)
        zone = _home_zone(terms)
        lon, lat = cast(list[float], zone.geometry["coordinates"])
        assert zone.radius_m is not None
        home = (lat, lon)
        out.append(
            Case(
                rec.order_id,
                rec.number,
                device,
                kind,
                victim,
                home,
                zone.radius_m,
                russian(zone.name),  # as the centre stores it
            )
        )
    return out


@dataclass(frozen=True)
class Template:
    """A migrated database with the operator and the supervisor (argon2 hashes:
    a second per centre), made once per test process and copied for each centre."""

    path: Path
    totp_secret: str
    supervisor_totp_secret: str


@functools.cache
def template() -> Template:
    folder = tempfile.mkdtemp(prefix="korgoo-e2e-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "template.db"
    url = f"sqlite:///{path}"
    migrate(url)
    db = open_engine(url)
    now = time.time()
    new = add_user(
        db, OPERATOR, role="operator", display_name=OPERATOR_NAME, password=PASSWORD, now=now
    )
    sup = add_user(
        db,
        SUPERVISOR,
        role="supervisor",
        display_name=SUPERVISOR_NAME,
        password=PASSWORD,
        now=now,
    )
    db.dispose()
    assert new.totp_secret is not None and sup.totp_secret is not None
    return Template(path, new.totp_secret, sup.totp_secret)


@dataclass
class Centre:
    """Korgoo serving on free ports; `start()` returns once it takes requests."""

    db_path: Path
    settings: dict[str, Any] = field(default_factory=dict)  # more KORGOO_* settings
    params: RuleParams = DEFAULT_PARAMS  # the engine's thresholds
    api_port: int = field(default_factory=free_port)
    osmand_port: int = field(default_factory=free_port)
    population: Population = field(init=False)
    totp_secret: str = field(init=False)
    supervisor_totp_secret: str = field(init=False)
    pipeline: Pipeline = field(init=False)
    apps: Apps = field(init=False)  # the phone apps' side: notifier, check-in scheduler
    _loop: asyncio.AbstractEventLoop = field(init=False)
    _thread: threading.Thread = field(init=False)
    _ready: threading.Event = field(default_factory=threading.Event)
    _failure: list[BaseException] = field(default_factory=list)
    _stop: asyncio.Event = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def osmand_url(self) -> str:
        return f"http://127.0.0.1:{self.osmand_port}"

    def totp(self, username: str = OPERATOR) -> str:
        secret = self.supervisor_totp_secret if username == SUPERVISOR else self.totp_secret
        return pyotp.TOTP(secret).now()

    def cases(self) -> list[Case]:
        return cases(self.population)

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        url = f"sqlite:///{self.db_path}"
        base = template()
        copy_database(base.path, self.db_path)
        self.totp_secret = base.totp_secret
        self.supervisor_totp_secret = base.supervisor_totp_secret
        now = time.time()
        self.population = pilot_population(1, now)
        db = open_engine(url)
        load_population(db, self.population, at=now)
        db.dispose()
        settings = Settings(
            database_url=url, batch_wait_ms=1.0, osmand_port=self.osmand_port, **self.settings
        )
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._main(settings),), name="korgoo-e2e", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(START_S) or self._failure:
            raise RuntimeError(f"the monitoring centre did not start: {self._failure}")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_S)

    async def _main(self, settings: Settings) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.pipeline = Pipeline(
                open_engine(settings.database_url), settings, params=self.params
            )
            await self.pipeline.start()
            console = create_app(self.pipeline, Health(self.pipeline), settings)
            self.apps = console.state.apps
            apps = (
                (console, self.api_port),
                (osmand_app(self.pipeline, settings), self.osmand_port),
            )
            servers = [
                EmbeddedServer(
                    uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
                )
                for app, port in apps
            ]
            tasks = [asyncio.create_task(s.serve()) for s in servers]
            for terms in current_terms(self.pipeline.db):
                await self.pipeline.order_changed(terms)
            await self.pipeline.act(lambda book: [])  # the engine has every order
            while not all(s.started for s in servers):
                await asyncio.sleep(0.01)
        except BaseException as error:
            self._failure.append(error)
            self._ready.set()
            raise
        self._ready.set()
        await self._stop.wait()
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.pipeline.stop()

    def run(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine on the centre's loop (where the pipeline lives)."""
        return asyncio.run_coroutine_threadsafe(work(), self._loop).result(START_S)

    # -- devices ------------------------------------------------------------------

    def phone_reports(self, device: str, reports: Sequence[Report]) -> None:
        """Each report as the phone app's events; app devices speak only the native
        API with their secret (OsmAnd cannot carry one), which ends in this same
        pipeline input. Each must be accepted, i.e. stored."""
        now = time.time()
        events: list[Fix | Signal] = []
        for r in reports:
            t = float(r["timestamp"])
            if r.get("alarm") == "sos":
                events.append(Signal(device, t, now, SignalKind.SOS, source="native"))
            lat, lon, batt = float(r["lat"]), float(r["lon"]), float(r.get("batt", 80))
            events.append(Fix(device, t, now, lat, lon, 10.0, battery=batt, source="native"))
        self.engine_input(events)

    def engine_input(self, events: Sequence[Fix | Signal]) -> None:
        """Events straight into the engine's input (for devices that do not speak
        OsmAnd); each must be accepted."""

        async def submit() -> None:
            messages = [Message(e, f"e2e:{e.device_id}:{type(e).__name__}:{e.t}") for e in events]
            outcomes = await self.pipeline.submit(messages)
            assert all(o.verdict is Verdict.ACCEPTED for o in outcomes), outcomes

        self.run(submit)

    def settled(self) -> None:
        """Wait until the engine has evaluated everything submitted so far."""

        async def barrier() -> None:
            await self.pipeline.act(lambda book: [])

        self.run(barrier)
