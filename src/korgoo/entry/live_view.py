"""The demo's live terminal view: the alert queue and what just happened."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from korgoo.alerts.model import Alert, Transition
from korgoo.domain.decisions import DecisionKind
from korgoo.domain.rules import CATALOGUE, AlertKey
from korgoo.service.effects import Effects
from korgoo.service.pipeline import Pipeline

BISHKEK = ZoneInfo("Asia/Bishkek")
PRIORITY_STYLE = {"P1": "bold white on red", "P2": "bold red", "P3": "yellow", "P4": "dim"}


def local(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).astimezone(BISHKEK).strftime("%H:%M:%S")


class LiveView:
    def __init__(self, pipeline: Pipeline, start: float, end: float) -> None:
        self.pipeline = pipeline
        self.start = start
        self.end = end
        self.recent: deque[Text] = deque(maxlen=12)
        self.warnings = 0
        self.instructions = 0
        self.console_url = ""
        self.logins: Callable[[], list[tuple[str, str, str]]] | None = None

    def take(self, effects: Effects) -> None:
        for d in effects.decisions:
            if d.kind is DecisionKind.WARN:
                self.warnings += 1
            elif d.kind is DecisionKind.INSTRUCT:
                self.instructions += 1
        for t in effects.transitions:
            self.recent.appendleft(self._line(t))

    def _line(self, t: Transition) -> Text:
        order, label = _parts(t.alert_key)
        style = PRIORITY_STYLE.get(t.priority.value if t.priority else "", "")
        line = Text(f"{local(t.at)} ", style="cyan")
        line.append(f"{t.kind.value:<19}", style="bold" if t.kind.value == "raised" else "")
        line.append(f" {t.priority.value if t.priority else '  '} ", style=style)
        line.append(f"{label} · {order}")
        return line

    def render(self, now: float) -> Group:
        done = min(1.0, (now - self.start) / max(1.0, self.end - self.start))
        head = Text()
        head.append(
            "Korgoo monitoring centre — pilot demo, Oktyabrsky district, Bishkek\n", style="bold"
        )
        head.append(f"Simulated time {local(now)} (Asia/Bishkek)   ")
        if done < 1.0:
            head.append(f"{done:5.0%} done   ", style="green")
        head.append(f"fixes processed {self.pipeline.fixes_processed:,}   ")
        head.append(
            f"victim warnings {self.warnings}   respondent instructions {self.instructions}"
        )
        if self.console_url:
            head.append("\nOperator console ", style="bold")
            head.append(self.console_url, style="bold underline cyan")
            head.append(
                "   (running in real time now; Ctrl-C stops)"
                if now >= self.end
                else "   (catching up on the last hours)"
            )
            for user, password, code in self.logins() if self.logins else []:
                head.append(f"\n  login {user} / {password}")
                if code:
                    head.append(f"   one-time code {code}", style="bold green")
        return Group(
            Panel(head, border_style="blue"),
            Panel(self._queue(now), title="Alert queue (priority, then age)", border_style="red"),
            Panel(
                Group(*self.recent) if self.recent else Text("nothing yet", style="dim"),
                title="Latest transitions",
                border_style="cyan",
            ),
        )

    def _queue(self, now: float) -> Table:
        table = Table(expand=True, show_edge=False)
        for col in ("P", "Alert", "Order", "Since", "State", "Confidence"):
            table.add_column(col)
        alerts: list[Alert] = list(self.pipeline.open_alerts())
        for a in alerts[:14]:
            order, label = _parts(a.alert_key)
            state = ("ACTIVE" if a.active else "returned to normal") + (
                ", acked" if a.acked else ", unacknowledged"
            )
            table.add_row(
                Text(a.priority.value, style=PRIORITY_STYLE[a.priority.value]),
                label + (" (late)" if a.late else ""),
                order,
                f"{int((now - a.opened_at) // 60)} min",
                state,
                a.confidence.value if a.confidence else "",
            )
        if len(alerts) > 14:
            table.add_row("", Text(f"… and {len(alerts) - 14} more", style="dim"), "", "", "", "")
        return table


def _parts(alert_key: str) -> tuple[str, str]:
    """The order and the rule's label of an alert."""
    try:
        key = AlertKey.parse(alert_key)
    except ValueError:
        return alert_key, ""
    return key.order_id, CATALOGUE[key.rule].label
