"""The outage notice's adapter: samples the health by the clock, asks
`domain.outage.assess` whether an outage started or ended, and then records it
and tells the protected persons of the live orders, and the police duty officers
and supervisors of their districts (monitoring interrupted, then restored) through the outbox,
once per outage: a notice's id is a digest of the outage and the person, so a
retried write stores it once.

The store may be the cause: then the write fails and is tried again at the
next check, in order, until it is stored. The state the console and the police
view read (`current`) is the one in memory, which does not need the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import sqlalchemy as sa
import structlog

from korgoo.domain.outage import Change, Limits, Outage, assess
from korgoo.notify.channels import enabled_channels
from korgoo.notify.outbox import enqueue_notice, enqueue_unit_notice
from korgoo.service.health import Health
from korgoo.settings import Settings
from korgoo.store.db import begin_write
from korgoo.store.orders import current_terms
from korgoo.store.schema import outages

log = structlog.get_logger("korgoo.outage")
TEMPLATE_OF: dict[Change, str] = {
    "started": "monitoring_interrupted",
    "ended": "monitoring_restored",
}


class OutageWatch:
    def __init__(
        self, health: Health, db: sa.Engine, settings: Settings, clock: Callable[[], float]
    ) -> None:
        self.health = health
        self.db = db
        self.settings = settings
        self.clock = clock
        self.limits = Limits(
            settings.outage_pipeline_stall_s,
            settings.outage_gateway_down_s,
            settings.outage_broker_down_s,
        )
        self.current: Outage | None = None
        self.districts: tuple[str, ...] = ()  # of the live orders when it started
        self._unwritten: list[tuple[Outage, Change, float]] = []
        self._task: asyncio.Task[None] | None = None

    def recover(self) -> None:
        """An outage left open by a stopped process is still the current one."""
        with self.db.connect() as conn:
            row = conn.execute(
                sa.select(outages).where(outages.c.ended_at.is_(None)).limit(1)
            ).first()
        if row is not None:
            self.current = Outage(row.id, row.started_at, tuple(row.causes))

    def check(self) -> Change | None:
        """One look at the health; records and tells what changed."""
        now = self.clock()
        before = self.current
        self.current, change = assess(before, self.health.sample(), now, self.limits)
        if change is not None:
            outage = self.current if change == "started" else before
            assert outage is not None
            self._unwritten.append((outage, change, now))
            log.warning("outage_" + change, outage=outage.id, causes=list(outage.causes))
        self._write()
        return change

    def _write(self) -> None:
        while self._unwritten:
            outage, change, at = self._unwritten[0]
            try:
                self._store(outage, change, at)
            except sa.exc.SQLAlchemyError as exc:  # the store may be the outage
                log.error("outage_not_recorded", outage=outage.id, error=str(exc))
                return
            self._unwritten.pop(0)

    def _store(self, outage: Outage, change: Change, at: float) -> None:
        live = [t for t in current_terms(self.db) if t.active_at(at)]
        if change == "started" or not self.districts:  # not known after a restart
            self.districts = tuple(sorted({t.district for t in live}))
        with begin_write(self.db) as conn:
            if change == "started":
                values = {"id": outage.id, "started_at": outage.started_at}
                found = conn.execute(sa.select(outages.c.id).where(outages.c.id == outage.id))
                if found.first() is None:
                    conn.execute(sa.insert(outages).values(values | {"causes": outage.causes}))
            else:
                conn.execute(
                    sa.update(outages).where(outages.c.id == outage.id).values(ended_at=at)
                )
            # Her only: nothing about the respondent, and one notice per outage
            # however many orders protect her.
            for terms in live:
                enqueue_notice(
                    conn,
                    key=f"outage:{outage.id}",
                    template=TEMPLATE_OF[change],
                    order_id=terms.order_id,
                    person_ids=[p.person_id for p in terms.protected],
                    at=at,
                    enabled=enabled_channels(self.settings),
                )
            # The duty units and the supervisors of the districts the outage
            # leaves unwatched (a supervisor of every district among them).
            for unit in ("police_duty", "supervisor"):
                enqueue_unit_notice(
                    conn,
                    key=f"outage:{outage.id}",
                    template="unit_" + TEMPLATE_OF[change],
                    unit=unit,
                    districts=self.districts,
                    at=at,
                    enabled=enabled_channels(self.settings),
                    order=self.settings.agency_channels.split(","),
                    public_url=self.settings.public_url,
                )

    def start(self) -> None:
        self.recover()
        self._task = asyncio.create_task(self._loop(), name="korgoo-outage-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.outage_check_every_s)
            await asyncio.to_thread(self.check)
