"""The statistics as a table for other agencies (CSV and XLSX), in a language.

Counts from 1 to 4 are shown as "<5" (small-cell suppression: a count that
small may point to a person), and so is a rate whose count is suppressed (the
rate times its exposure would give the count back). Response times keep their
values; their number of alerts is suppressed like any count.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font

from korgoo.figures.statistics import Count, Rate, Statistics
from korgoo.web.i18n import gettext
from korgoo.web.labels import N_, script_labels

SMALL: Final = "<5"
Cell = str | int | float
HEADER: Final = (N_("Section"), N_("Code"), N_("Item"), N_("Count"), N_("Value"))
SECTIONS: Final = {
    "orders": N_("Orders"),
    "orders_by_kind": N_("Orders by kind"),
    "orders_by_district": N_("Orders by district"),
    "orders_by_status": N_("Orders by status"),
    "orders_by_mode": N_("Orders by monitoring mode"),
    "devices_by_kind": N_("Devices in use"),
    "alerts_by_rule": N_("Alerts by rule"),
    "alerts_by_priority": N_("Alerts by priority"),
    "alerts_by_outcome": N_("Alerts by outcome"),
    "exposure": N_("Monitored time"),
    "false_alarms_by_rule": N_("False alarms per monitored person-day"),
    "response_times": N_("Response time from the alert, median / 90th percentile, s"),
    "breaches_by_mode": N_("True breaches per order-month"),
}
GROUPS: Final = {
    "orders_by_kind": "order_kinds",
    "orders_by_district": "districts",
    "orders_by_status": "order_status",
    "orders_by_mode": "device_kinds",
    "devices_by_kind": "device_kinds",
    "alerts_by_rule": "rules",
    "alerts_by_priority": "priorities",
    "alerts_by_outcome": "outcome_classes",
    "false_alarms_by_rule": "rules",
    "breaches_by_mode": "device_kinds",
}


def suppressed(count: int) -> int | str:
    return SMALL if 0 < count < 5 else count


def table(s: Statistics, lang: str) -> list[list[Cell]]:
    """Rows of (section, code, item, count, value), the header first."""
    labels = script_labels(lang)

    def label(group: str, key: str) -> str:
        return labels.get(group, {}).get(key, key)

    def section(name: str) -> str:
        return gettext(lang, SECTIONS[name])

    rows: list[list[Cell]] = [[gettext(lang, h) for h in HEADER]]
    totals = (
        ("orders", "orders", N_("Orders"), s.orders),
        ("orders", "devices_in_use", N_("Devices in use"), s.devices_in_use),
        ("orders", "alerts", N_("Alerts"), s.alerts),
    )
    rows += [
        [section(sec), code, gettext(lang, name), suppressed(n), ""]
        for sec, code, name, n in totals
    ]
    counts: dict[str, list[Count]] = {
        "orders_by_kind": s.orders_by_kind,
        "orders_by_district": s.orders_by_district,
        "orders_by_status": s.orders_by_status,
        "orders_by_mode": s.orders_by_mode,
        "devices_by_kind": s.devices_by_kind,
        "alerts_by_rule": s.alerts_by_rule,
        "alerts_by_priority": s.alerts_by_priority,
        "alerts_by_outcome": s.alerts_by_outcome,
    }
    for name, items in counts.items():
        rows += [
            [section(name), c.key, label(GROUPS[name], c.key), suppressed(c.count), ""]
            for c in items
        ]
    rows.append(
        [
            section("exposure"),
            "person_days",
            gettext(lang, N_("Monitored person-days")),
            "",
            s.person_days,
        ]
    )
    rows.append(
        [section("exposure"), "order_months", gettext(lang, N_("Order-months")), "", s.order_months]
    )
    rates: dict[str, list[Rate]] = {
        "false_alarms_by_rule": s.false_alarms_by_rule,
        "breaches_by_mode": s.breaches_by_mode,
    }
    for name, rated in rates.items():
        for r in rated:
            shown = suppressed(r.count)
            value: Cell = SMALL if shown == SMALL else ("" if r.rate is None else round(r.rate, 4))
            rows.append([section(name), r.key, label(GROUPS[name], r.key), shown, value])
    for t in s.response_times:
        value = (
            gettext(lang, N_("not recorded yet"))
            if t.median_s is None or t.p90_s is None
            else f"{t.median_s:.0f} / {t.p90_s:.0f}"
        )
        rows.append(
            [section("response_times"), t.stage, label("stages", t.stage), suppressed(t.n), value]
        )
    return rows


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def to_csv(s: Statistics, lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read Cyrillic."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(table(s, lang))
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(s: Statistics, lang: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = gettext(lang, N_("Statistics"))[:31]
    sheet.append(
        [
            gettext(lang, N_("Statistics")),
            f"{_day(s.from_at)} - {_day(s.to_at)}",
            s.district or gettext(lang, N_("All districts")),
        ]
    )
    sheet.append([])
    for i, row in enumerate(table(s, lang)):
        sheet.append(row)
        if i == 0:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for column, width in zip("ABCDE", (42, 26, 44, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
