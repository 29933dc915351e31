"""Words the console's scripts show, as gettext messages.

The pages hand these to their scripts translated (a JSON block in each page), so
every word the operator reads comes from the catalogues, including the ones
drawn by JavaScript. `N_` only marks a message for extraction.
"""

from __future__ import annotations

from typing import Final

from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.rules import CATALOGUE
from korgoo.web.i18n import gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


RULES: Final = {rule.value: spec.label for rule, spec in CATALOGUE.items()}

ROLES: Final = {
    "operator": N_("Operator"),
    "supervisor": N_("Supervisor"),
    "administrator": N_("Administrator"),
    "police_duty_officer": N_("Police duty officer"),
    "probation_officer": N_("Probation officer"),
    "prosecutor": N_("Prosecutor"),
    "court": N_("Court"),
}

STATES: Final = {
    "compliant": N_("Compliant"),
    "prealert": N_("In pre-alert"),
    "breach": N_("In breach"),
    "no_signal": N_("No signal"),
    "low_battery": N_("Low battery"),
}

OUTCOMES: Final = {
    "confirmed_violation": N_("Confirmed violation"),
    "gps_false_alarm": N_("GPS false alarm"),
    "technical_false_alarm": N_("Technical false alarm"),
    "device_fault": N_("Device fault"),
    "authorised_presence": N_("Authorised presence"),
    "other": N_("Other"),
}

TRANSITIONS: Final = {
    "raised": N_("Raised"),
    "updated": N_("Updated"),
    "returned_to_normal": N_("Returned to normal"),
    "reactivated": N_("Active again"),
    "acknowledged": N_("Acknowledged"),
    "note": N_("Note"),
    "call_logged": N_("Call logged"),
    "escalated": N_("Escalated"),
    "stage": N_("Stage"),
    "resolved": N_("Resolved"),
}

PARTIES: Final = {
    "respondent": N_("Respondent"),
    "protected": N_("Protected person"),
    "police": N_("Police"),
}

CALL_OUTCOMES: Final = {
    "reached": N_("Reached"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "wrong_number": N_("Wrong number"),
    "dispatched": N_("Police dispatched"),
}

CONFIDENCE: Final = {
    "certain": N_("certain"),
    "probable": N_("probable"),
    "possible": N_("possible"),
}

DEVICE_KINDS: Final = {
    "bracelet": N_("Bracelet"),
    "respondent_app": N_("Respondent app"),
    "victim_app": N_("Protected person's app"),
}

ZONE_KINDS: Final = {
    "exclusion": N_("Exclusion zone"),
    "inclusion": N_("Curfew zone"),
}

EVIDENCE: Final = {
    "distance_m": N_("Distance, m"),
    "respondent_radius_m": N_("Respondent accuracy, m"),
    "protected_radius_m": N_("Protected person accuracy, m"),
    "respondent_fix": N_("Respondent position"),
    "protected_fix": N_("Protected person position"),
    "counterpart_age_s": N_("Age of the other position, s"),
    "limit_m": N_("Limit, m"),
    "last_fix": N_("Last position"),
    "zone_id": N_("Zone"),
    "zone_name": N_("Zone name"),
    "signed_distance_m": N_("From the zone's edge, m (negative: inside)"),
    "time_to_breach_s": N_("Time to breach at this speed, s"),
    "battery_pct": N_("Battery, %"),
    "signal": N_("Signal"),
    "last_contact": N_("Last contact"),
    "battery": N_("Battery, %"),
    "rule": N_("Rule"),
    "rule_version": N_("Rule version"),
    "params_rev": N_("Parameter revision"),
    "confidence": N_("Confidence"),
}

ORDER_KINDS: Final = {
    "temporary": N_("Temporary protective order"),
    "court": N_("Court protective order"),
}

ORDER_STATUS: Final = {
    "draft": N_("Draft"),
    "active": N_("In force"),
    "ended": N_("Ended"),
    "revoked": N_("Revoked"),
}

# The audit log's actions (an alert's are "alert." and its transition's kind).
AUDIT_ACTIONS: Final = {
    "audit.keyed": N_("Audit log keyed"),
    "session.login": N_("Signed in"),
    "session.logout": N_("Signed out"),
    "session.login_failed": N_("Failed sign-in"),
    "session.throttled": N_("Sign-ins slowed down"),
    "user.created": N_("User created"),
    "user.changed": N_("User changed"),
    "user.disabled": N_("User disabled"),
    "user.enabled": N_("User enabled"),
    "user.totp_reset": N_("New one-time code secret"),
    "user.unlocked": N_("User unlocked"),
    "person.created": N_("Person registered"),
    "order.created": N_("Order created"),
    "order.varied": N_("Order varied"),
    "order.ended": N_("Order ended"),
    "device.enrolled": N_("Device enrolled"),
    "device.assigned": N_("Device assigned"),
    "device.unassigned": N_("Device unassigned"),
    "enrolment.issued": N_("Enrolment code issued"),
    "evidence.export": N_("Evidence exported"),
    "location.read": N_("Protected person's position read"),
}

MESSAGES: Final = {
    "open": N_("Open"),
    "active": N_("Active"),
    "normal": N_("Returned to normal"),
    "unacked": N_("Unacknowledged"),
    "acked": N_("Acknowledged"),
    "resolved": N_("Resolved"),
    "late": N_("Late"),
    "late_help": N_("Revealed by positions uploaded late: it happened before it became known."),
    "happened": N_("Happened"),
    "became_known": N_("Became known"),
    "overdue": N_("overdue"),
    "no_alerts": N_("No open alerts."),
    "load_failed": N_("Could not load the data. Retrying…"),
    "login_failed": N_("Wrong user name, password or one-time code."),
    "login_throttled": N_(
        "Too many failed sign-ins from this computer. Wait a moment, then try again, "
        "or ask an administrator to unlock your account."
    ),
    "resolve_active": N_(
        "The condition is still active. Act on it and wait until it returns to normal, "
        "or, if the condition itself is false, choose a GPS or technical false alarm, a "
        "device fault or an authorised presence."
    ),
    "saved": N_("Saved."),
    "live_on": N_("Live"),
    "live_off": N_("Disconnected"),
    "sound_on": N_("Sound on"),
    "sound_muted": N_("Sound muted"),
    "sound_blocked": N_("Click anywhere to enable sound"),
    "order": N_("Order"),
    "version": N_("Version"),
    "respondent_here": N_("Respondent"),
    "protected_here": N_("Protected person"),
    "accuracy": N_("accuracy"),
    "track_before": N_("Track before the alert"),
    "track_after": N_("Track after the alert"),
    "new_zone": N_("New zone"),
    "click_centre": N_("Click the map to place the centre of the circle."),
    "click_vertices": N_("Click the map to add corners; press Finish when done."),
    "zones_changed": N_("Zones changed: save them as a new version."),
    "reason_required": N_("A reason is required."),
    "no_track": N_("No positions in this time range."),
    "never": N_("never"),
    "unassigned": N_("not assigned"),
    "enrolled": N_("Device enrolled."),
    "p1_open": N_("Open P1 alerts"),
    "no_devices": N_("No devices."),
    "no_unknown": N_("No unknown devices are waiting."),
    "no_orders": N_("No orders."),
    "case": N_("Case"),
    "kind": N_("Kind"),
    "authority": N_("Issued by"),
    "legal_basis": N_("Legal basis"),
    "district": N_("District"),
    "status": N_("Status"),
    "starts": N_("Monitoring starts"),
    "ends": N_("Monitoring ends"),
    "min_distance": N_("Minimum distance"),
    "warning_distance": N_("Warning distance"),
    "checkins": N_("Check-ins per day"),
    "zones": N_("Zones"),
    "move_centre": N_("Drag to move the centre"),
    "move_corner": N_("Drag to move the corner"),
    "enrol": N_("Enrol"),
    "assign": N_("Assign"),
    "unassign": N_("Unassign"),
    # user administration
    "all_districts": N_("All districts"),
    "user_active": N_("Can sign in"),
    "user_disabled": N_("Disabled"),
    "user_locked": N_("Waiting after failed sign-ins until"),
    "failed_logins": N_("Failed sign-ins"),
    "change": N_("Change"),
    "change_user": N_("Change the user"),
    "new_user": N_("New user"),
    "unlock": N_("Unlock"),
    "unlock_user": N_("Unlock the user"),
    "unlock_help": N_(
        "Lifts the wait that failed sign-ins put on this user, from every computer. "
        "Check first that it is really them who asks."
    ),
    "new_totp": N_("New code"),
    "new_totp_title": N_("A new one-time code secret"),
    "new_totp_help": N_(
        "For a lost or changed phone: the old codes stop working and the user is signed "
        "out. The new secret is shown once, to hand over in person."
    ),
    "disable": N_("Disable"),
    "disable_user": N_("Disable the user"),
    "disable_help": N_("The user is signed out at once and cannot sign in until enabled."),
    "enable": N_("Enable"),
    "enable_user": N_("Enable the user"),
    "enable_help": N_("The user can sign in again with their password and code."),
    "no_entries": N_("No entries match."),
    "stale": N_("silent too long"),
    "alert_action": N_("Alert"),
    "history": N_("History"),
    "yes": N_("Yes"),
    "no": N_("No"),
}


def script_labels(lang: str) -> dict[str, dict[str, str]]:
    """Every label group translated into `lang`, keyed by the code the API sends."""
    groups = {
        "rules": RULES,
        "states": STATES,
        "outcomes": OUTCOMES,
        "transitions": TRANSITIONS,
        "parties": PARTIES,
        "call_outcomes": CALL_OUTCOMES,
        "confidence": CONFIDENCE,
        "device_kinds": DEVICE_KINDS,
        "zone_kinds": ZONE_KINDS,
        "order_kinds": ORDER_KINDS,
        "order_status": ORDER_STATUS,
        "roles": ROLES,
        "evidence": EVIDENCE,
        "audit_actions": AUDIT_ACTIONS,
        "messages": MESSAGES,
    }
    labels = {
        name: {code: gettext(lang, msg) for code, msg in group.items()}
        for name, group in groups.items()
    }
    labels["districts"] = district_names(lang)
    return labels


def district_names(lang: str) -> dict[str, str]:
    """Jurisdiction code -> its name in `lang` (the names live with the codes)."""
    field = {"ky": "name_ky", "en": "name_en"}.get(lang, "name_ru")
    return {j.code: getattr(j, field) for j in JURISDICTIONS}
