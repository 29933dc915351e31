"""Alert quality: does the engine page for what matters, and only for that?

A seeded corpus (`korgoo_lab.sim.corpus`) of N orders over D days in Bishkek is
played through the engine and, in the same run, through a per-fix baseline;
both are scored against ground truth computed from the true trajectories
(sampled every second), never from the fixes.

Definitions
-----------
* **True breach**: a maximal run of seconds, while the order is in force (and,
  for a zone, its schedule), in which the true respondent is within the minimum
  distance of the true protected person (`proximity.breach`; only when the
  protected person carries the victim app, else nothing can show it) or inside
  an exclusion zone (`zone.exclusion`).
* **Evidence**: a fix received before the end of the run, taken during the
  breach, not displaced by multipath, with the breach deep enough for its
  accuracy: for a zone, true depth inside >= 1.5 x the fix's accuracy; for
  proximity, paired with the other party's nearest undisplaced fix within 300 s,
  true distance between the two true positions + 1.5 x (both accuracies) <= the
  minimum distance. (Accuracy is a 68 % radius; 1.5 radii is the ~95 % circle.)
  And what was reported must show it as well, for a reviewer sees only that: the
  fix's whole accuracy circle inside the zone; for proximity, the reported
  distance + both accuracies <= the minimum distance (indoor drift carries a
  fix more than a radius from the truth, and then the data do not show it).
* **Must-alert incident**: a true breach with at least one evidence fix (breaches
  parted only by time within the tolerated band, up to 20 m beyond the limit, are
  one breach: no reviewer would see the parties apart in between); **late**
  when every evidence fix arrived more than 120 s after it was taken (buffered),
  so only a late (record) alert can show it. Device incidents are must-alert
  from the script: strap opened, SOS pressed, battery below 20 % (`battery`),
  and for the respondent's device no contact at all for the no-signal threshold
  + 120 s (`device.loss`: power off, dead battery, switched off, long coverage
  gap; the threshold is 600 s for a bracelet, 900 s for an app).
* **Tolerated**: anything the evidence cannot show, neither required nor false:
  true breaches without evidence, the band up to 20 m beyond a limit, any time
  the true distance is within the warning distance + 20 m or the respondent
  truly closes in with under 180 s to the minimum (`proximity.warning`:
  pre-alerts and approach warnings are never required), silences within 120 s
  of the threshold, and the victim app's silences (not paged).
* **Paged alert**: the moment an alert starts to sound: a decision OPENED with
  `pages=True`, or an UPDATED raising a shown (P4, possible) alert to paging.
* **Matching**: an alert matches an incident of the same order and rule family
  when the device time of its evidence (for `device.loss`, whose silences are
  measured between contacts received, its receive time) lies from 120 s before
  the incident's start to 600 s after its end. A must-alert incident that begins
  while an alert of its family is still sounding (raised before it, its episode
  not yet cleared) is detected by that alert at no delay: it is in front of the
  operator already. The first alert on a must-alert incident detects
  it (delay = its receive time - the true start; late incidents need the late
  flag and are counted apart); further alerts on the same incident or tolerated
  window are repeats; an alert matching nothing is false, counted once.
* **Person-day**: one respondent monitored under an order in force for a day.

The baseline (`Baseline`) judges fix by fix: a fix is inside a zone only when its
whole accuracy circle is; a pair of fixes (the new one and the other party's
latest, at most 900 s apart) is a breach when d + r1 + r2 < minimum; an episode
opens on the first such fix and clears when a fix no longer breaches 120 s after
the last one that did; late fixes (received over 120 s after they were taken,
or older than the device's latest) are judged against the other party's fix
nearest in time and raise a late alert at most once per 600 s. Device signals
page once per episode; silence pages at the threshold.

Orders are independent, so each is played through its own engine in receive-time
order; that gives the decisions a single engine fed the merged stream would give.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import msgspec
from rich.console import Console
from rich.table import Table

from korgoo.domain.decisions import DecisionKind
from korgoo.domain.events import Event, Fix, OrderChange, Signal, SignalKind
from korgoo.domain.schedule import schedule_active
from korgoo.domain.terms import OrderTerms
from korgoo.engine import Engine
from korgoo.geo import CompiledZone, Containment, distance_m
from korgoo_lab.sim.corpus import LATE_AFTER_S, NO_SIGNAL_S, OrderCase, corpus
from korgoo_lab.sim.reporting import Faults
from korgoo_lab.sim.routines import BISHKEK_UTC_OFFSET_S
from korgoo_lab.sim.truth import Incident

HARD_MULTIPATH = 0.04
BEFORE_S = 120.0
AFTER_S = 600.0
SYSTEMS = ("engine", "baseline")
FAMILY = {
    "proximity.breach": "proximity.breach",
    "proximity.prealert": "proximity.warning",
    "proximity.approach": "proximity.warning",
    "zone.exclusion": "zone.exclusion",
    "zone.inclusion": "zone.inclusion",
    "device.strap": "device.strap",
    "panic": "panic",
    "battery.low": "battery",
    "battery.critical": "battery",
    "device.power_off": "device.loss",
    "device.no_signal": "device.loss",
}


class Alert(NamedTuple):
    order_id: str
    rule: str
    at: float  # receive time of the event that raised it
    occurred_at: float  # device time of its evidence
    late: bool
    # Device time until which it kept sounding (its episode cleared); 0: it was
    # over at once (a signal, a late record), inf: still sounding at the end.
    until: float = 0.0

    @property
    def family(self) -> str:
        return FAMILY.get(self.rule, self.rule)


def engine_alerts(events: Iterable[Event]) -> list[Alert]:
    """The paged alerts the engine raises on one order's events."""
    engine = Engine()
    paging: dict[str, int] = {}
    out: list[Alert] = []
    for ev in events:
        for d in engine.apply(ev):
            if (
                d.pages
                and d.kind in (DecisionKind.OPENED, DecisionKind.UPDATED)
                and d.alert_key not in paging
            ):
                paging[d.alert_key] = len(out)
                out.append(Alert(d.order_id, d.rule, d.at, d.occurred_at, d.late, math.inf))
            elif d.kind is DecisionKind.CLEARED and d.alert_key in paging:
                i = paging[d.alert_key]
                out[i] = out[i]._replace(until=max(d.occurred_at, out[i].occurred_at))
    return out


# --- the baseline -------------------------------------------------------------------


class _Episode:
    __slots__ = ("alert", "last_hit", "open")

    def __init__(self) -> None:
        self.open = False
        self.last_hit = -1e18
        self.alert = -1  # index of the alert it raised while it is open


class Baseline:
    """Per-fix, accuracy-aware rules for one order (see the module docstring)."""

    def __init__(self, terms: OrderTerms) -> None:
        self.terms = terms
        self.oid = terms.order_id
        self.zones = [(z, CompiledZone(z)) for z in terms.zones if z.kind == "exclusion"]
        self.resp = {d for d, _ in terms.respondent.devices}
        self.kind = dict(d for p in (terms.respondent, *terms.protected) for d in p.devices)
        self.last: dict[bool, tuple[float, float, float, float] | None] = {True: None, False: None}
        self.hist: dict[bool, list[tuple[float, float, float, float]]] = {True: [], False: []}
        self.last_t: dict[str, float] = {}
        self.contact: dict[str, float] = {}
        self.silent: set[str] = set()
        self.episodes: dict[str, _Episode] = defaultdict(_Episode)
        self.late_last: dict[str, float] = {}
        self.out: list[Alert] = []

    def apply(self, ev: Event) -> None:
        if isinstance(ev, OrderChange):
            self.terms = ev.terms
            for d in self.kind:
                self.contact[d] = max(ev.at, ev.terms.starts_at)
            return
        self._silence(ev.at)
        if not isinstance(ev, Fix | Signal) or ev.device_id not in self.kind:
            return
        if not self.terms.active_at(ev.at):
            return
        did = ev.device_id
        self.contact[did] = ev.at
        self.silent.discard(did)
        self.episodes["device.loss|" + did].open = False
        if isinstance(ev, Signal):
            self._signal(ev)
        else:
            self._fix(ev)

    def _page(self, rule: str, at: float, t: float, late: bool = False) -> None:
        self.out.append(Alert(self.oid, rule, at, t, late))

    def _silence(self, now: float) -> None:
        for did in self.resp:
            due = self.contact.get(did, now) + NO_SIGNAL_S[self.kind[did]]
            if did not in self.silent and due <= now and self.terms.active_at(due):
                self.silent.add(did)
                self._page("device.no_signal", due, due)

    def _signal(self, sig: Signal) -> None:
        did, kind, resp = sig.device_id, sig.kind, sig.device_id in self.resp
        if kind in (SignalKind.STRAP_OPEN, SignalKind.TAMPER):
            ep = self.episodes["device.strap|" + did]
            if not ep.open:
                ep.open = True
                self._page("device.strap", sig.at, sig.t)
        elif kind is SignalKind.STRAP_CLOSED:
            self.episodes["device.strap|" + did].open = False
        elif kind is SignalKind.SOS:
            ep = self.episodes["panic|" + did]
            if sig.t - ep.last_hit > 120.0:
                self._page("panic", sig.at, sig.t)
            ep.last_hit = sig.t
        elif resp and kind is SignalKind.LOW_BATTERY:
            ep = self.episodes["battery|" + did]
            if not ep.open:
                ep.open = True
                self._page("battery.low", sig.at, sig.t)
        elif resp and kind in (SignalKind.POWER_OFF, SignalKind.POWER_CUT):
            self._page("device.power_off", sig.at, sig.t)
            self.silent.add(did)

    def _fix(self, fix: Fix) -> None:
        did = fix.device_id
        resp = did in self.resp
        if resp and fix.battery is not None:
            ep = self.episodes["battery|" + did]
            if fix.battery <= 20.0 and not ep.open:
                ep.open = True
                self._page("battery.low", fix.at, fix.t)
            elif fix.battery >= 25.0:
                ep.open = False
        late = fix.t < self.last_t.get(did, -1e18) or fix.at - fix.t > LATE_AFTER_S
        me = (fix.t, fix.lat, fix.lon, fix.acc)
        hist = self.hist[resp]
        bisect.insort(hist, me)
        if late:
            other = self._nearest(not resp, fix.t)
            if other is not None and self._breach(me, other):
                self._late("proximity.breach", fix)
            if resp:
                for spec, _ in self._inside(fix):
                    self._late("zone.exclusion|" + spec.zone_id, fix)
            return
        self.last_t[did] = fix.t
        self.last[resp] = me
        other = self.last[not resp]
        hit = other is not None and abs(fix.t - other[0]) <= 900.0 and self._breach(me, other)
        self._step("proximity.breach", hit, fix)
        if resp:
            inside = {spec.zone_id for spec, _ in self._inside(fix)}
            for spec, _ in self.zones:
                self._step("zone.exclusion|" + spec.zone_id, spec.zone_id in inside, fix)

    def _breach(self, a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        d = distance_m(a[1], a[2], b[1], b[2])
        return d + a[3] + b[3] < self.terms.min_distance_m

    def _inside(self, fix: Fix) -> list[tuple[Any, CompiledZone]]:
        tz = self.terms.timezone
        return [
            (spec, z)
            for spec, z in self.zones
            if (not spec.schedule or schedule_active(spec.schedule, fix.t, tz))
            and z.classify(fix.lat, fix.lon, fix.acc) is Containment.INSIDE
        ]

    def _nearest(self, resp: bool, t: float) -> tuple[float, float, float, float] | None:
        hist = self.hist[resp]
        i = bisect.bisect_left(hist, (t,))
        near = [h for h in hist[max(0, i - 1) : i + 1] if abs(h[0] - t) <= 900.0]
        return min(near, key=lambda h: abs(h[0] - t)) if near else None

    def _step(self, key: str, hit: bool, fix: Fix) -> None:
        ep = self.episodes[key]
        if hit:
            ep.last_hit = fix.t
            if not ep.open:
                ep.open = True
                ep.alert = len(self.out)
                self._page(key.split("|", 1)[0], fix.at, fix.t)
                self.out[-1] = self.out[-1]._replace(until=math.inf)
        elif ep.open and fix.t - ep.last_hit >= 120.0:
            ep.open = False
            self.out[ep.alert] = self.out[ep.alert]._replace(until=fix.t)

    def _late(self, key: str, fix: Fix) -> None:
        last = self.late_last.get(key)
        if last is None or abs(fix.t - last) > 600.0:
            self._page(key.split("|", 1)[0], fix.at, fix.t, late=True)
        self.late_last[key] = fix.t if last is None else max(last, fix.t)


def baseline_alerts(events: Iterable[Event]) -> list[Alert]:
    out: list[Alert] = []
    base: Baseline | None = None
    for ev in events:
        if base is None and isinstance(ev, OrderChange):
            base = Baseline(ev.terms)
        if base is not None:
            base.apply(ev)
    if base is not None:
        out = base.out
    return out


# --- scoring ------------------------------------------------------------------------


class Outcome(NamedTuple):
    """One system's alerts on one order, matched to the order's incidents."""

    first: dict[int, Alert]  # incident index -> the alert that detected it
    late_found: set[int]  # late incidents found by an alert with the late flag
    repeats: list[Alert]
    false: list[Alert]


def match(alerts: list[Alert], incidents: list[Incident]) -> Outcome:
    first: dict[int, Alert] = {}
    late_found: set[int] = set()
    seen: set[int] = set()
    repeats: list[Alert] = []
    false: list[Alert] = []
    for a in sorted(alerts, key=lambda a: a.at):
        # A silence is measured in receive time (the last contact received), so
        # an alert on it is placed by when it was received: a power-off signal
        # uploaded with a late buffer shows the loss only from then on.
        when = a.at if a.family == "device.loss" else a.occurred_at
        cands = [
            k
            for k, inc in enumerate(incidents)
            if inc.family == a.family and inc.start - BEFORE_S <= when <= inc.end + AFTER_S
        ]
        if not cands:
            false.append(a)
            continue
        musts = [k for k in cands if incidents[k].must]
        fresh = [k for k in musts if k not in seen]
        k = (fresh or musts or cands)[0]
        if incidents[k].must and incidents[k].late and a.late:
            late_found.add(k)
        if k in seen:
            repeats.append(a)
            continue
        seen.add(k)
        if incidents[k].must:
            first[k] = a
    # A must-alert incident that begins while an alert of its family is still
    # sounding (its episode not yet cleared: say two approaches 40 s apart) is
    # in front of the operator already: detected by that alert, at no delay.
    for k, inc in enumerate(incidents):
        if k in first or not inc.must or inc.late:
            continue
        for a in alerts:
            if a.family == inc.family and not a.late and a.occurred_at <= inc.start <= a.until:
                first[k] = a
                break
    return Outcome(first, late_found, repeats, false)


class _Tally:
    def __init__(self) -> None:
        self.must = self.detected = self.late_total = self.late_found = 0
        self.false = self.repeats = 0
        self.delays: list[float] = []
        self.person_days = 0.0

    def row(self) -> dict[str, Any]:
        return {
            "must": self.must,
            "detected": self.detected,
            "recall": round(self.detected / self.must, 4) if self.must else None,
            "false": self.false,
            "false_per_person_day": round(self.false / self.person_days, 4)
            if self.person_days
            else None,
            "repeats": self.repeats,
            "median_delay_s": _q(self.delays, 0.5),
            "p95_delay_s": _q(self.delays, 0.95),
            "late_found": self.late_found,
            "late_total": self.late_total,
        }


def _q(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return round(xs[0], 1)
    return round(statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1], 1)


class Scorer:
    """Accumulates both systems' outcomes over the orders."""

    def __init__(self) -> None:
        self.total = {s: _Tally() for s in SYSTEMS}
        self.rule: dict[str, dict[str, _Tally]] = {s: defaultdict(_Tally) for s in SYSTEMS}
        self.scen: dict[str, dict[str, _Tally]] = {s: defaultdict(_Tally) for s in SYSTEMS}
        self.examples: dict[str, dict[str, list[str]]] = {s: defaultdict(list) for s in SYSTEMS}
        self.person_days = 0.0
        self.incidents = {"must": 0, "late": 0, "tolerated": 0}
        self.listed: dict[str, list[dict[str, Any]]] | None = None

    def list_misses(self) -> None:
        """Keep every missed must-alert incident and every false paged alert."""
        self.listed = {s: [] for s in SYSTEMS}

    def add(self, case: OrderCase, system: str, outcome: Outcome) -> None:
        tallies = [self.total[system], self.scen[system][case.scenario]]
        for t in tallies:
            t.person_days += case.person_days
        for k, inc in enumerate(case.incidents):
            if not inc.must:
                continue
            by_rule, by_scen = self.rule[system][inc.family], self.scen[system][inc.scenario]
            for t in (self.total[system], by_rule, by_scen):
                t.must += 1
                t.late_total += inc.late
                t.late_found += k in outcome.late_found
                if k in outcome.first:
                    t.detected += 1
                    if not inc.late:
                        t.delays.append(max(0.0, outcome.first[k].at - inc.start))
            if k not in outcome.first:
                self._example(system, "missed " + inc.family, case, inc.start, inc.scenario)
                self._list(system, "missed", inc.family, case, inc.start, inc.end, inc.late)
            elif inc.late and k not in outcome.late_found:
                self._list(system, "late_unflagged", inc.family, case, inc.start, inc.end, True)
        for a in outcome.false:
            for t in (
                self.total[system],
                self.rule[system][a.rule],
                self.scen[system][case.scenario],
            ):
                t.false += 1
            self._example(system, "false " + a.rule, case, a.at, case.scenario)
            self._list(system, "false", a.rule, case, a.occurred_at, a.at, a.late)
        for a in outcome.repeats:
            for t in (
                self.total[system],
                self.rule[system][a.rule],
                self.scen[system][case.scenario],
            ):
                t.repeats += 1

    def _example(self, system: str, what: str, case: OrderCase, t: float, scenario: str) -> None:
        ex = self.examples[system][what]
        if len(ex) < 5:
            ex.append(f"{case.order_id} ({scenario}) {_local(t)}")

    def _list(
        self, system: str, what: str, rule: str, case: OrderCase, t: float, t2: float, late: bool
    ) -> None:
        """One row of the list: for a miss `t`-`t2` is the incident's true span;
        for a false alert, the device time of its evidence and its receive time."""
        if self.listed is None:
            return
        self.listed[system].append(
            {
                "what": what,
                "order": case.order_id,
                "rule": rule,
                "scenario": case.scenario,
                "time": _local(t),
                "t": t,
                "t2": t2,
                "late": late,
            }
        )

    def count_incidents(self, case: OrderCase) -> None:
        self.person_days += case.person_days
        for inc in case.incidents:
            if inc.must:
                self.incidents["must"] += 1
                self.incidents["late"] += inc.late
            else:
                self.incidents["tolerated"] += 1

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in SYSTEMS:
            row = self.total[s].row()
            row["person_days"] = round(self.total[s].person_days, 2)
            for name, tallies in (("per_rule", self.rule[s]), ("per_scenario", self.scen[s])):
                for t in tallies.values():
                    t.person_days = t.person_days or (
                        self.total[s].person_days if name == "per_rule" else 0.0
                    )
                row[name] = {k: tallies[k].row() for k in sorted(tallies)}
            row["examples"] = {k: v for k, v in sorted(self.examples[s].items())}
            if self.listed is not None:
                row["misses"] = self.listed[s]
            out[s] = row
        return out


def _local(t: float) -> str:
    return time.strftime("%a %H:%M:%S", time.gmtime(t + BISHKEK_UTC_OFFSET_S))


# --- the run ------------------------------------------------------------------------


def run_alerts_bench(
    orders: int = 200,
    days: float = 2.0,
    seed: int = 1,
    multipath: float = 0.01,
    advance: Callable[[int], None] | None = None,
    misses: bool = False,
) -> dict[str, Any]:
    """The evaluation; `misses` lists, for each system, every missed must-alert
    incident, late incident found without the late flag and false paged alert."""
    t0 = time.perf_counter()
    faults = Faults(multipath=multipath)
    scorer = Scorer()
    if misses:
        scorer.list_misses()
    digest = hashlib.sha256()
    timing = {"corpus_s": 0.0, "engine_s": 0.0, "baseline_s": 0.0}
    events_n = 0
    cases = corpus(orders, days, seed, faults)
    while True:
        c0 = time.perf_counter()
        case = next(cases, None)
        timing["corpus_s"] += time.perf_counter() - c0
        if case is None:
            break
        digest.update(msgspec.json.encode(case.events))
        digest.update(msgspec.json.encode(case.incidents))
        events_n += len(case.events)
        scorer.count_incidents(case)
        for system, fn in (("engine", engine_alerts), ("baseline", baseline_alerts)):
            s0 = time.perf_counter()
            alerts = fn(case.events)
            timing[f"{system}_s"] += time.perf_counter() - s0
            scorer.add(case, system, match(alerts, case.incidents))
        if advance is not None:
            advance(1)
    result: dict[str, Any] = {
        "seed": seed,
        "orders": orders,
        "days": days,
        "multipath": multipath,
        "events": events_n,
        "person_days": round(scorer.person_days, 2),
        "incidents": scorer.incidents,
        "corpus_digest": digest.hexdigest()[:16],
        **scorer.result(),
    }
    e, b = result["engine"], result["baseline"]
    result["ratio"] = {
        "recall": _ratio(e["recall"], b["recall"]),
        "false_per_person_day": _ratio(e["false_per_person_day"], b["false_per_person_day"]),
    }
    result["timing_s"] = {k: round(v, 1) for k, v in timing.items()}
    result["run_s"] = round(time.perf_counter() - t0, 1)
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def to_json(result: dict[str, Any]) -> bytes:
    return msgspec.json.encode(result)


def render(result: dict[str, Any], console: Console) -> None:
    console.print(
        f"[bold]Alert quality[/bold]: {result['orders']} orders x {result['days']} days, "
        f"seed {result['seed']}, multipath {result['multipath']:.0%}; "
        f"{result['person_days']} person-days, {result['events']:,} events, "
        f"{result['incidents']['must']} must-alert incidents "
        f"({result['incidents']['late']} late) in {result['run_s']} s"
    )
    table = Table("", *SYSTEMS, title="overall")
    for key in (
        "recall",
        "false_per_person_day",
        "false",
        "repeats",
        "median_delay_s",
        "p95_delay_s",
        "late_found",
        "late_total",
    ):
        table.add_row(key, *(str(result[s][key]) for s in SYSTEMS))
    console.print(table)
    for part in ("per_rule", "per_scenario"):
        t = Table(part, *(f"{s} {k}" for s in SYSTEMS for k in ("recall", "false", "repeats")))
        keys = sorted({k for s in SYSTEMS for k in result[s][part]})
        for k in keys:
            cells = []
            for s in SYSTEMS:
                r = result[s][part].get(k, {})
                recall = r.get("recall")
                cells += [
                    "-" if recall is None else f"{r['detected']}/{r['must']}",
                    str(r.get("false", 0)),
                    str(r.get("repeats", 0)),
                ]
            t.add_row(k, *cells)
        console.print(t)
    for s in SYSTEMS:
        rows = result[s].get("misses")
        if rows is None:
            continue
        t = Table("what", "order", "rule", "scenario", "time (Bishkek)", title=f"{s}: misses")
        for row in rows:
            t.add_row(row["what"], row["order"], row["rule"], row["scenario"], row["time"])
        console.print(t)
