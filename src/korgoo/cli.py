"""korgoo: demo | serve | replay | audit | evidence | retention | migrate | bench | user."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from korgoo.settings import get_settings

if TYPE_CHECKING:
    from korgoo.entry.demo import DemoSummary

app = typer.Typer(help="Korgoo: electronic monitoring of protective orders.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
user_app = typer.Typer(help="Console users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
evidence_app = typer.Typer(
    help="Evidence for the court: signed bundles, their check, reports.", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")
console = Console()


def quiet_logs(level: int) -> None:
    """Structured logs at `level` and above (the demo's live view owns the screen)."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    logging.getLogger().setLevel(level)


def logs_to_file(path: Path, level: int) -> None:
    """Structured and library logs at `level` and above into `path`: while the live
    view runs it owns the terminal, and a log line would scroll it away."""
    import logging

    import structlog

    path.parent.mkdir(parents=True, exist_ok=True)
    sink = path.open("a", encoding="utf-8", buffering=1)  # open for the process's life
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sink),
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


@app.command()
def demo(
    minutes: Annotated[float, typer.Option(help="Simulated minutes to run.")] = 180.0,
    live: Annotated[bool, typer.Option("--live/--no-live", help="Live terminal view.")] = True,
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per wall second (0: as fast as possible).")
    ] = 180.0,
    console_: Annotated[
        bool | None,
        typer.Option(
            "--console/--no-console",
            help="Serve the operator console and keep simulating in real time until Ctrl-C "
            "(default: with the live view).",
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="Console port.")] = 8000,
    db: Annotated[Path, typer.Option(help="Demo database file (recreated).")] = Path("var/demo.db"),
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 1,
) -> None:
    """The pilot (18 orders in Oktyabrsky district, Bishkek) simulated in accelerated time,
    with the operator console at http://127.0.0.1:8000."""
    import logging
    import signal

    from korgoo.entry.demo import run_demo

    log_path = db.with_suffix(".log")
    if live:
        logs_to_file(log_path, logging.INFO)
    else:
        quiet_logs(logging.WARNING)
    if not live and speed == 180.0:
        speed = 0.0
    serve_console = live if console_ is None else console_

    async def main() -> DemoSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_demo(
            minutes=minutes,
            live=live,
            speed=speed,
            db_path=db,
            seed=seed,
            console=console,
            serve_console=serve_console,
            port=port,
            stop=stop,
        )

    summary = asyncio.run(main())
    table = Table(title="Alerts raised, by rule")
    table.add_column("Rule")
    table.add_column("Alerts", justify="right")
    for rule, n in sorted(summary.alerts_by_rule.items()):
        table.add_row(rule, str(n))
    console.print(table)
    prio = "  ".join(f"{p}: {n}" for p, n in sorted(summary.alerts_by_priority.items()))
    console.print(f"By priority: {prio or 'none'}")
    console.print(
        f"Simulated {summary.simulated_minutes:.0f} min in {summary.wall_s:.1f} s: "
        f"{summary.fixes:,} fixes, {summary.events:,} device messages, "
        f"{summary.alerts} alerts ({summary.open_alerts} still open). "
        f"Database: {summary.database}" + (f"; log: {log_path}" if live else "")
    )


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="Event log: one JSON event per line.")],
    json: Annotated[bool, typer.Option("--json", help="One JSON decision per line.")] = False,
) -> None:
    """Run an event log through the engine and print its decisions."""
    from korgoo.domain.events import Event
    from korgoo.engine import Engine

    decode = msgspec.json.Decoder(Event).decode
    encode = msgspec.json.Encoder().encode
    engine = Engine()
    with file.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                event = decode(line)
            except msgspec.ValidationError as exc:
                console.print(f"[red]line {n}: not an event: {exc}[/red]")
                raise typer.Exit(2) from exc
            for d in engine.apply(event):
                if json:
                    sys.stdout.buffer.write(encode(d) + b"\n")
                else:
                    console.print(
                        f"{d.at:.0f} {d.kind.value:<9} {d.rule or d.message:<24} "
                        f"{d.priority or '':<3} {d.alert_key or d.recipient}"
                    )


@audit_app.command("verify")
def audit_verify(
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Check every link of the audit log's keyed chain, and the chain against the
    signed checkpoints (KORGOO_AUDIT_KEY_FILE, KORGOO_AUDIT_CHECKPOINTS_FILE)."""
    from korgoo.store.audit import audit_keys
    from korgoo.store.audit import audit_verify as verify
    from korgoo.store.db import open_engine

    settings = get_settings()
    result = verify(open_engine(database_url or settings.database_url), audit_keys(settings))
    if result.ok:
        console.print(f"[green]audit log intact: {result.checked} entries verified[/green]")
        return
    where = "" if result.first_bad_id is None else f" at entry {result.first_bad_id}"
    console.print(
        f"[red]audit log broken{where}: {result.reason} ({result.checked} entries checked)[/red]"
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Verify the audit log, then sign its head into the checkpoints file
    (`korgoo serve` does this daily)."""
    from korgoo.store.audit import AuditBrokenError, audit_keys
    from korgoo.store.audit import audit_checkpoint as checkpoint
    from korgoo.store.db import open_engine

    settings = get_settings()
    keys = audit_keys(settings)
    try:
        done = checkpoint(open_engine(database_url or settings.database_url), keys)
    except AuditBrokenError as broken:
        console.print(f"[red]{broken}; no checkpoint written[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"checkpoint: entry {done.seq}, head {done.head}, in {keys.checkpoints}", highlight=False
    )


@evidence_app.command("export")
def evidence_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle (a zip) to write.")],
    reason: Annotated[str, typer.Option(help="Why it is exported (on the audit log).")],
    alert: Annotated[str | None, typer.Option(help="The alert's key.")] = None,
    order: Annotated[str | None, typer.Option(help="The order's id (with --from, --to).")] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Start, ISO-8601 (UTC without offset).")
    ] = None,
    to: Annotated[str | None, typer.Option(help="End, ISO-8601 (default: now).")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Also write the report (PDF) here.")] = None,
    language: Annotated[str, typer.Option(help="The report's language: ru, ky or en.")] = "ru",
    actor: Annotated[str | None, typer.Option(help="Who exports (default: login name).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Export one alert, or one order over a time range, as a signed bundle (and a
    report); the export goes on the audit log with who and why."""
    import getpass
    import time

    from korgoo.api.schemas import parse_time
    from korgoo.engine.params import DEFAULT_PARAMS
    from korgoo.evidence.bundle import (
        Selection,
        SelectionError,
        alert_selection,
        collect,
        export_bundle,
    )
    from korgoo.evidence.keys import signing_key
    from korgoo.store.db import open_engine

    settings = get_settings()
    db = open_engine(database_url or settings.database_url)
    now = time.time()
    who = actor or getpass.getuser()
    try:
        if (alert is None) == (order is None):
            raise typer.BadParameter("give either --alert or --order")
        if alert is not None:
            selection = alert_selection(db, alert, now)
        else:
            assert order is not None
            if from_ is None:
                raise typer.BadParameter("--order needs --from")
            end = now if to is None else parse_time(to, "to")
            selection = Selection(order, parse_time(from_, "from"), min(end, now))
        evidence = collect(db, selection, DEFAULT_PARAMS)
        done = export_bundle(
            db, evidence, key=signing_key(settings), actor=who, reason=reason, now=now
        )
        if pdf is not None:
            from korgoo.evidence.report import export_report
            from korgoo.web.i18n import environment, pick_language

            lang = pick_language(language)
            report = export_report(
                db,
                evidence,
                environment(lang),
                language=lang,
                protected_ok=True,
                actor=who,
                reason=reason,
                now=now,
            )
            pdf.write_bytes(report)
    except (SelectionError, ValueError) as e:
        console.print(f"[red]cannot export: {e}[/red]")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    output.write_bytes(done.data)
    replay = done.manifest["replay"]
    console.print(
        f"{output}: {replay['events']} events, {replay['decisions']} decisions, "
        f"signed by the key with fingerprint\n  {done.fingerprint}",
        highlight=False,
        soft_wrap=True,
    )
    if pdf is not None:
        console.print(f"report: {pdf}", highlight=False, soft_wrap=True)


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle (a zip).")],
    public_key: Annotated[
        Path | None,
        typer.Option(help="The centre's published public key (PEM); default: the bundle's."),
    ] = None,
) -> None:
    """Check every file's SHA-256 and the signature, then replay the events through
    this software's engine and compare its decisions with the bundle's, byte for byte."""
    from korgoo.evidence.keys import load_public_pem
    from korgoo.evidence.verify import verify_bundle

    key = None
    if public_key is not None:
        try:
            key = load_public_pem(public_key.read_bytes())
        except ValueError as e:
            console.print(f"[red]{public_key}: {e}[/red]")
            raise typer.Exit(2) from None
    verdict = verify_bundle(bundle.read_bytes(), key)
    for check in verdict.checks:
        mark = "[green]ok  [/green]" if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name}: {check.detail}", highlight=False, soft_wrap=True)
    if verdict.fingerprint:
        console.print(
            f"signing key fingerprint: {verdict.fingerprint}\n"
            "  compare it with the fingerprint the centre publishes",
            highlight=False,
            soft_wrap=True,
        )
    if not verdict.ok:
        console.print("[red]the bundle does NOT verify[/red]")
        raise typer.Exit(1)
    console.print("[green]the bundle verifies[/green]")


@evidence_app.command("key")
def evidence_key(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the public key (PEM) here.")
    ] = None,
) -> None:
    """The centre's public key (PEM) and its fingerprint, to publish."""
    from korgoo.evidence.keys import fingerprint, public_pem, signing_key

    public = signing_key(get_settings()).public_key()
    if output is not None:
        output.write_bytes(public_pem(public))
    else:
        sys.stdout.write(public_pem(public).decode())
    console.print(f"fingerprint: {fingerprint(public)}", highlight=False, soft_wrap=True)


@bench_app.command("engine")
def bench_engine(
    orders: Annotated[int, typer.Option(help="Orders in the synthetic load.")] = 10_000,
    fixes: Annotated[int, typer.Option(help="Fixes to replay.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Load generator seed.")] = 1,
    batch: Annotated[int, typer.Option(help="Fixes per store commit.")] = 1_000,
    baseline_fixes: Annotated[
        int, typer.Option(help="Fixes for the query-per-fix baseline (it is slow).")
    ] = 50_000,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    """Engine throughput, latency and state per order; store in the loop; a baseline."""
    from korgoo_lab.benchmarks.engine import render, run_engine_bench, to_json

    status = Console(stderr=True)
    result = run_engine_bench(
        orders,
        fixes,
        seed,
        batch=batch,
        baseline_fixes=baseline_fixes,
        progress=lambda msg: status.print(f"[dim]{msg} …[/dim]"),
    )
    if json:
        sys.stdout.buffer.write(to_json(result) + b"\n")
    else:
        render(result, console)


@bench_app.command("alerts")
def bench_alerts(
    orders: Annotated[int, typer.Option(help="Orders in the corpus.")] = 200,
    days: Annotated[float, typer.Option(help="Days simulated.")] = 2.0,
    seed: Annotated[int, typer.Option(help="Corpus seed.")] = 1,
    multipath: Annotated[
        float, typer.Option(help="Share of GNSS fixes displaced by multipath.")
    ] = 0.01,
    hard: Annotated[bool, typer.Option("--hard", help="Multipath at 4 %.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
    misses: Annotated[
        bool,
        typer.Option(
            "--misses",
            help="List every missed must-alert incident and false paged alert (order, rule, "
            "scenario, time).",
        ),
    ] = False,
) -> None:
    """Alert quality of the engine and a per-fix baseline against ground truth."""
    from rich.progress import Progress

    from korgoo_lab.benchmarks.alerts import HARD_MULTIPATH, render, run_alerts_bench, to_json

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("orders", total=orders)
        result = run_alerts_bench(
            orders,
            days,
            seed,
            HARD_MULTIPATH if hard else multipath,
            advance=lambda k: bar.advance(task, k),
            misses=misses,
        )
    if json:
        sys.stdout.buffer.write(to_json(result) + b"\n")
    else:
        render(result, console)


@bench_app.command("gateways")
def bench_gateways(
    seconds: Annotated[float, typer.Option(help="Steady window per protocol, seconds.")] = 20.0,
    protocol: Annotated[
        list[str] | None, typer.Option(help="watch, osmand or mqtt (repeat; default all).")
    ] = None,
    orders: Annotated[int, typer.Option(help="Orders, each with an exclusion zone.")] = 2_500,
    watch_connections: Annotated[int, typer.Option(help="Watch devices (TCP).")] = 5_000,
    http_connections: Annotated[int, typer.Option(help="OsmAnd phones (keep-alive).")] = 500,
    mqtt_devices: Annotated[int, typer.Option(help="Apps publishing over MQTT.")] = 50,
    mqtt_window: Annotated[int, typer.Option(help="Publishes in flight per app.")] = 10,
    watch_reports: Annotated[
        int, typer.Option(help="Watch UD reports per LK (UD itself gets no reply).")
    ] = 1,
    batch_max: Annotated[int, typer.Option(help="Server: messages per commit.")] = 2_000,
    batch_wait_ms: Annotated[float, typer.Option(help="Server: batch fill wait, ms.")] = 5.0,
    server_uvloop: Annotated[
        bool, typer.Option("--server-uvloop/--server-asyncio", help="Server event loop.")
    ] = True,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    """Simulated devices over loopback into a separate server process, end to end."""
    from korgoo_lab.benchmarks.gateways import PROTOCOLS, render, run_gateways_bench, to_json

    chosen = tuple(protocol or PROTOCOLS)
    unknown = set(chosen) - set(PROTOCOLS)
    if unknown:
        raise typer.BadParameter(f"unknown protocol(s) {sorted(unknown)}; use {PROTOCOLS}")
    status = Console(stderr=True)
    result = run_gateways_bench(
        chosen,
        seconds=seconds,
        orders=orders,
        watch_connections=watch_connections,
        http_connections=http_connections,
        mqtt_devices=mqtt_devices,
        mqtt_window=mqtt_window,
        watch_reports=watch_reports,
        batch_max=batch_max,
        batch_wait_ms=batch_wait_ms,
        server_uvloop=server_uvloop,
        progress=lambda msg: status.print(f"[dim]{msg} …[/dim]"),
    )
    if json:
        sys.stdout.buffer.write(to_json(result) + b"\n")
    else:
        render(result, console)


@bench_app.command("durability")
def bench_durability(
    cycles: Annotated[int, typer.Option(help="kill -9 cycles per backend.")] = 20,
    backend: Annotated[
        list[str] | None, typer.Option(help="sqlite or postgresql (repeat; default both).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL URL of a user who may create databases (else a private one)."
        ),
    ] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(help="Mosquitto host:port, e.g. 127.0.0.1:1883 (else a private one)."),
    ] = None,
    watch_devices: Annotated[int, typer.Option(help="Watch bracelets (TCP).")] = 20,
    osmand_devices: Annotated[int, typer.Option(help="OsmAnd trackers (HTTP).")] = 20,
    mqtt_devices: Annotated[int, typer.Option(help="Respondent apps (MQTT).")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the kill times.")] = 1,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    """kill -9 `korgoo serve` under load again and again: acked, stored, lost, doubled."""
    from rich.progress import Progress

    from korgoo_lab.benchmarks.durability import BACKENDS, render, run_durability_bench, to_json

    chosen = tuple(backend or BACKENDS)
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        raise typer.BadParameter(f"unknown backend(s) {sorted(unknown)}; use {BACKENDS}")
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("kill -9 cycles", total=cycles * len(chosen))
        result = run_durability_bench(
            chosen,
            cycles=cycles,
            database_url=database_url,
            mqtt=mqtt,
            watch_devices=watch_devices,
            osmand_devices=osmand_devices,
            mqtt_devices=mqtt_devices,
            seed=seed,
            advance=lambda what: bar.update(task, advance=1, description=what),
        )
    if json:
        sys.stdout.buffer.write(to_json(result) + b"\n")
    else:
        render(result, console)


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would go; change nothing.")
    ] = False,
    actor: Annotated[str, typer.Option(help="Who runs it (on the audit log).")] = "korgoo",
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Remove what is past its retention period (KORGOO_RETENTION_*), except what an
    open case or an exported evidence bundle needs; each removal leaves a tombstone
    and an audit entry (`korgoo serve` runs this daily)."""
    import time

    from rich.progress import Progress

    from korgoo.store.audit import AuditBrokenError, audit_keys
    from korgoo.store.db import open_engine
    from korgoo.store.retention import LeftLeaseError, Periods, plan, run_retention

    settings = get_settings()
    db = open_engine(database_url or settings.database_url)
    periods, now = Periods.of(settings), time.time()
    try:
        planned = plan(db, periods, now)
        table = Table(title="Would be removed" if dry_run else "Past the retention period")
        for column in ("Kind", "Records", "Range", "Older than"):
            table.add_column(column, justify="right" if column == "Records" else "left")
        for r in planned:
            span = f"{r.first_id} … {r.last_id}" if r.count else ""
            cutoff = time.strftime("%Y-%m-%d", time.gmtime(r.cutoff))
            table.add_row(r.kind, f"{r.count:,}", span, cutoff)
        console.print(table)
        total = sum(r.count for r in planned)
        if dry_run or not total:
            console.print("nothing changed" if dry_run else "nothing to remove")
            return
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("removing", total=total)
            removed = run_retention(
                db,
                periods,
                now,
                audit_keys(settings),
                actor=actor,
                advance=lambda kind, n: bar.update(task, advance=n, description=kind),
            )
    except AuditBrokenError as broken:
        console.print(f"[red]{broken}; the audit log was not cut[/red]")
        raise typer.Exit(1) from None
    except LeftLeaseError as left:
        console.print(f"[red]{left}; nothing removed[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    done = ", ".join(f"{r.kind} {r.count:,}" for r in removed) or "nothing"
    console.print(f"removed: {done}; tombstones and audit entries written", highlight=False)


@app.command()
def migrate(
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Create or upgrade the database schema."""
    from korgoo.store.db import migrate as run

    url = database_url or get_settings().database_url
    run(url)
    console.print(f"database at {url} is up to date")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option(help="operator, supervisor, administrator, ...")],
    districts: Annotated[
        list[str] | None, typer.Option("--districts", help="District code; repeat for more.")
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(help="Agency id (docs/roles.md); else the one role and districts point to."),
    ] = None,
    language: Annotated[str, typer.Option(help="ru, ky or en.")] = "ru",
    display_name: Annotated[str, typer.Option(help="Name shown in the console.")] = "",
    password: Annotated[
        str | None, typer.Option(help="Set this password (else generated).")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Create a console user; print the password and the TOTP secret (shown once)."""
    import time

    from korgoo.api.auth import add_user
    from korgoo.store.db import open_engine

    db = open_engine(database_url or get_settings().database_url)
    try:
        new = add_user(
            db,
            username,
            role=role,
            districts=districts or (),
            agency=agency,
            language=language,
            display_name=display_name,
            password=password,
            now=time.time(),
        )
    except ValueError as e:
        console.print(f"[red]cannot add user: {e}[/red]")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    scope = ", ".join(new.user.districts) or "all districts"
    console.print(f"user {username} ({role}, {new.user.agency}, {scope}) created")
    console.print(f"password: {new.password}", highlight=False)
    if new.totp_secret:
        console.print(f"TOTP secret: {new.totp_secret}", highlight=False)
        console.print(f"TOTP URI: {new.totp_uri}", highlight=False, soft_wrap=True)


@user_app.command("contacts")
def user_contacts(
    username: Annotated[str, typer.Argument(help="The login name.")],
    phone: Annotated[str, typer.Option(help="Mobile number for SMS; empty: none.")] = "",
    email: Annotated[str, typer.Option(help="E-mail address; empty: none.")] = "",
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Set where the messages to the user's unit reach him (alerts offered to it)."""
    from korgoo.store.db import open_engine
    from korgoo.store.users import set_contacts

    db = open_engine(database_url or get_settings().database_url)
    try:
        with db.begin() as conn:
            found = set_contacts(conn, username, phone=phone, email=email)
    finally:
        db.dispose()
    if not found:
        console.print(f"[red]no user {username}[/red]")
        raise typer.Exit(2)
    console.print(f"contacts of {username} set")


@app.command()
def serve() -> None:
    """Run the gateways, the engine and the store in one process (on uvloop)."""
    from korgoo.entry.server import run

    run(get_settings())


def main() -> None:
    app()
