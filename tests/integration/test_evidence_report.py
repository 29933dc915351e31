"""The evidence report of a real proximity breach, worked by an operator: the PDF,
turned back to text, holds the order number, the rule and its parameters, the
fixes that decided it and the timeline, in the reader's language; the
protected person's positions only for a role that may see them. The API serves
it to supervisors, audited. KORGOO_EVIDENCE_PNG=path saves its first page."""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from pypdf import PdfReader

from korgoo import __version__
from korgoo.engine.params import DEFAULT_PARAMS
from korgoo.evidence.bundle import Evidence, alert_selection, collect
from korgoo.evidence.report import export_report, render_html
from korgoo.settings import get_settings
from korgoo.store.audit import audit_entries
from korgoo.web.i18n import environment, gettext, local_datetime

from ..unit.engine.conftest import T0, east_of, north_of
from .api_world import VICTIM_POS, World, world_fixture

__all__ = ["world_fixture"]


@pytest.fixture(autouse=True)
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KORGOO_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("KORGOO_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "keys" / "signing.key"))
    monkeypatch.setenv("KORGOO_AUDIT_CHECKPOINTS_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def path(key: str, action: str) -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}/{action}"


async def approach(w: World) -> str:
    """The respondent walks from 1.5 km west of the protected person to 100 m of
    her, both devices reporting every 10 s; returns the breach's key."""
    t = T0 + 10
    for step in range(15):
        await w.fixes("victim-app-okt", t, north_of(VICTIM_POS, 5 * (step % 3)))
        pos = north_of(east_of(VICTIM_POS, -1500 + 100 * step), 40 * math.sin(step / 2))
        t = await w.fixes("bracelet-okt", t + 1, pos)
    for _ in range(4):
        await w.fixes("victim-app-okt", t, VICTIM_POS)
        t = await w.fixes("bracelet-okt", t + 1, east_of(VICTIM_POS, -80))
    keys = [a.alert_key for a in w.pipeline.open_alerts() if a.rule == "proximity.breach"]
    assert len(keys) == 1, w.pipeline.open_alerts()
    return keys[0]


async def worked_breach(w: World) -> tuple[str, Evidence]:
    key = await approach(w)
    op = await w.login("operator")
    w.clock.t += 20
    assert (await op.post(path(key, "acknowledge"))).status_code == 200
    w.clock.t += 40
    called = {"party": "protected", "outcome": "answered", "note": "she is safe at work"}
    assert (await op.post(path(key, "calls"), json=called)).status_code == 200
    evidence = collect(
        w.pipeline.db, alert_selection(w.pipeline.db, key, w.clock()), DEFAULT_PARAMS
    )
    return key, evidence


def deciding(evidence: Evidence) -> tuple[list[float], list[float]]:
    """The respondent's and the protected person's fix the breach opened on."""
    for body in evidence.decisions:
        d = orjson.loads(body)
        if d.get("rule") == "proximity.breach" and d["kind"] == "opened":
            return d["evidence"]["respondent_fix"], d["evidence"]["protected_fix"]
    raise AssertionError("no breach opened")


def iso_local(t: float) -> str:
    return flat(local_datetime(t, "en"))


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text without line breaks or repeated spaces, as a table cell may wrap."""
    return " ".join(text.split())


async def test_report_holds_order_rule_fixes_and_timeline(w: World) -> None:
    key, evidence = await worked_breach(w)
    pdf = export_report(
        w.pipeline.db,
        evidence,
        environment("en"),
        language="en",
        protected_ok=True,
        actor="supervisor",
        reason="court request",
        now=w.clock(),
    )
    assert pdf.startswith(b"%PDF")
    text = flat(text_of(pdf))
    assert "OKT-1" in text and "Law No. 214" in text
    assert "Too close to the protected person" in text and "proximity.breach" in text
    assert "The respondent must keep at least 500 m from the protected person" in text
    # The fixes that decided it: both parties' devices, positions to six places.
    mine, hers = deciding(evidence)
    assert f"bracelet-okt {iso_local(mine[0])} {iso_local(mine[0])} {mine[1]:.6f}" in text
    assert f"victim-app-okt {iso_local(hers[0])} {iso_local(hers[0])} {hers[1]:.6f}" in text
    # The timeline: the engine raised it, the operator acknowledged and called.
    assert "Raised" in text and "the engine" in text
    assert "Acknowledged" in text and "operator" in text
    assert "she is safe at work" in text
    assert f"Korgoo version {__version__}" in text
    assert "The protected person's positions are left out" not in text
    entry = audit_entries(w.pipeline.db, action="evidence.export")[0]
    assert entry.details["what"] == "evidence report" and entry.subject == f"alert:{key}"
    if target := os.environ.get("KORGOO_EVIDENCE_PNG"):
        save_first_page(pdf, Path(target))


async def test_report_in_russian_and_kyrgyz_and_without_protected_positions(w: World) -> None:
    _, evidence = await worked_breach(w)
    for lang in ("ru", "ky"):
        pdf = export_report(
            w.pipeline.db,
            evidence,
            environment(lang),
            language=lang,
            protected_ok=False,
            actor="supervisor",
            reason="x",
            now=w.clock(),
        )
        text = flat(text_of(pdf))
        assert flat(gettext(lang, "Evidence report")) in text
        assert flat(gettext(lang, "Too close to the protected person")) in text
        assert "OKT-1" in text and "bracelet-okt" in text
        # Her fix is not in the table, and the report says so.
        mine, hers = deciding(evidence)
        assert f"{mine[1]:.6f}" in text and f"{hers[1]:.6f}" not in text
        left_out = (
            "The protected person's positions are left out of this report: "
            "the reader's role may not see them."
        )
        assert flat(gettext(lang, left_out)) in text
        assert gettext(lang, "Evidence report") != "Evidence report"


async def test_map_is_drawn_without_tiles(w: World) -> None:
    _, evidence = await worked_breach(w)
    html = render_html(
        evidence,
        environment("en"),
        language="en",
        protected_ok=True,
        exported_by="supervisor",
        reason="x",
        now=w.clock(),
    )
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert svg.count("<polyline") == 2  # both parties' tracks
    assert 'class="scale"' in svg and 'class="north"' in svg
    assert "#b71c1c" in svg  # a breach point
    withheld = render_html(
        evidence,
        environment("en"),
        language="en",
        protected_ok=False,
        exported_by="operator",
        reason="x",
        now=w.clock(),
    )
    assert withheld.count("<polyline") == 1


async def test_api_serves_the_report_to_supervisors(w: World) -> None:
    key, _ = await worked_breach(w)
    sup = await w.login("supervisor")
    r = await sup.get(path(key, "evidence.pdf"), params={"reason": "court", "lang": "en"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "OKT-1" in text_of(r.content)
    op = await w.login("operator")
    assert (await op.get(path(key, "evidence.pdf"), params={"reason": "x"})).status_code == 403


def save_first_page(pdf: bytes, target: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) draws the screenshot"
    source = target.with_suffix(".pdf")
    source.write_bytes(pdf)
    stem = target.with_suffix("")
    subprocess.run(
        [pdftoppm, "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", source, stem],
        check=True,
    )
    source.unlink()
