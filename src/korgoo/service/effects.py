"""What the service publishes on its bus after each change."""

from __future__ import annotations

from dataclasses import dataclass, field

from korgoo.alerts.model import Alert, Transition
from korgoo.domain.decisions import Decision


@dataclass
class Effects:
    """What one evaluation (or operator action) produced, for the console, the apps
    and the notifier."""

    decisions: list[Decision] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
