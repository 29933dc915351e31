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
    "police_district_inspector": N_("Police district inspector"),
    "probation_officer": N_("Probation officer"),
    "prosecutor": N_("Prosecutor"),
    "court": N_("Court"),
    "statistics": N_("Ministry statistics"),
}

STATES: Final = {
    "compliant": N_("Compliant"),
    "prealert": N_("In pre-alert"),
    "breach": N_("In breach"),
    "switched_off": N_("Switched off"),
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
    "notification": N_("Notification"),
    "resolved": N_("Resolved"),
}

# A notification line on the alert's timeline: "SMS to the protected person: delivered".
CHANNELS: Final = {
    "sms": N_("SMS"),
    "email": N_("E-mail"),
}

NOTIFICATION_STATUS: Final = {
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "undelivered": N_("not delivered"),
    "retrying": N_("not sent, trying again"),
    "failed": N_("failed"),
    "queued": N_("queued"),
    "unreachable": N_("could not be notified by message: no contact address"),
}

NOTIFICATION_TEMPLATES: Final = {
    "prealert": N_("warning"),
    "alert": N_("danger"),
    "all_clear": N_("all-clear"),
    "order_ended": N_("order ended"),
    "order_revoked": N_("order revoked"),
    "monitoring_interrupted": N_("monitoring interrupted"),
    "monitoring_restored": N_("monitoring restored"),
    "unit_offer": N_("alert offered"),
    "unit_failover": N_("not accepted by the police"),
    "unit_monitoring_interrupted": N_("monitoring interrupted"),
    "unit_monitoring_restored": N_("monitoring restored"),
}

PARTIES: Final = {
    "respondent": N_("Respondent"),
    "protected": N_("Protected person"),
    "police": N_("Police"),
    # The units an alert is offered to, as recipients of its messages.
    "police_duty": N_("Police duty unit"),
    "district_inspector": N_("Police district inspector"),
    "probation": N_("Probation officer"),
    "supervisor": N_("Shift supervisor"),
}

PERSON_ROLES: Final = {
    "protected": N_("Protected person"),
    "respondent": N_("Respondent"),
    "probation_client": N_("Probation client"),
}

PERSON_LANGUAGES: Final = {
    "ky": N_("Kyrgyz"),
    "ru": N_("Russian"),
    "uz": N_("Uzbek"),
    "en": N_("English"),
}

WEEKDAYS: Final = {
    "0": N_("Mon"),
    "1": N_("Tue"),
    "2": N_("Wed"),
    "3": N_("Thu"),
    "4": N_("Fri"),
    "5": N_("Sat"),
    "6": N_("Sun"),
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
    "device": N_("Device"),
    "last_contact": N_("Last contact"),
    "battery": N_("Battery, %"),
    "rule": N_("Rule"),
    "rule_version": N_("Rule version"),
    "params_rev": N_("Parameter revision"),
    "confidence": N_("Confidence"),
    "probability": N_("Probability of a breach"),
    "sigma_m": N_("Position uncertainty (one sigma), m"),
    "discounted": N_("Positions discounted"),
    "reason": N_("Reason"),
    "jump_m": N_("Jump, m"),
    "implied_speed_mps": N_("Speed the jump implies, m/s"),
    "suspicious_fixes": N_("Suspicious positions in the last 5 minutes"),
    "due": N_("Due"),
}

ORDER_KINDS: Final = {
    "temporary": N_("Temporary protective order"),
    "court": N_("Court protective order"),
    "probation": N_("Probation order"),
}

# The ministry's classes of an alert's outcome (figures.statistics.OUTCOME_CLASSES).
OUTCOME_CLASSES: Final = {
    "true_breach": N_("True breach"),
    "false_alarm": N_("False alarm"),
    "device_fault": N_("Device fault"),
    "authorised_presence": N_("Authorised presence"),
    "other": N_("Other outcome"),
    "open": N_("Not resolved yet"),
}

# The police view: its steps, and the outcomes an officer records
# (alerts.machine.POLICE_OUTCOMES).
POLICE_STEPS: Final = {
    "accepted": N_("Accepted"),
    "dispatched": N_("Unit dispatched"),
    "on_scene": N_("On scene"),
    "reported": N_("Outcome recorded"),
}
POLICE_OUTCOMES: Final = {
    "respondent_detained": N_("Respondent detained"),
    "respondent_removed": N_("Respondent made to leave"),
    "respondent_not_found": N_("Respondent not found"),
    "no_breach": N_("No breach found"),
    "other": N_("Other"),
}

# Who acted on the timeline when it was not a person (a person's user name is shown
# as it is, even one such as "operator").
ACTORS: Final = {
    "engine": N_("Rules engine"),
    "sla": N_("Response-time control"),
    "policy": N_("Escalation policy"),
    "notify": N_("Notifications"),
    "app": N_("Phone app"),
    "delivery": N_("Delivery service"),
    "system": N_("Korgoo (automatic)"),
    "police_duty": N_("Police duty unit"),
    "demo": N_("Demo data"),
}
# Whom an escalation went to (a role or a unit).
ESCALATED_TO: Final = {
    "police_duty": N_("Police duty unit"),
    "supervisor": N_("Shift supervisor"),
    "operator": N_("Operator"),
}
# The timeline's stages (an operator's steps, the police's steps, a delivery).
TIMELINE_STAGES: Final = {
    "victim_warned": N_("Protected person warned"),
    "respondent_instructed": N_("Respondent instructed"),
    "police_notified": N_("Police notified"),
    "police_on_scene": N_("Police on scene"),
    "police_notification_delivered": N_("Notification to the police delivered"),
    "police_dispatched": N_("Unit dispatched"),
    "police_reported": N_("Police outcome recorded"),
}
REASONS: Final = {
    "police_not_accepted": N_("The police did not accept in time"),
}
# What a device reported (an alert's evidence).
SIGNALS: Final = {
    "strap_open": N_("Strap opened"),
    "strap_closed": N_("Strap closed"),
    "tamper": N_("Tampering"),
    "sos": N_("SOS button"),
    "fall": N_("Fall"),
    "low_battery": N_("Low battery"),
    "power_off": N_("Switched off"),
    "power_cut": N_("Power cut"),
    "charging": N_("Charging"),
    "mock_location": N_("Fake location"),
    "permission_revoked": N_("Location permission withdrawn"),
    "app_hidden": N_("App hidden"),
    "heartbeat": N_("Heartbeat"),
    "check_in": N_("Check-in"),
    "check_in_rejected": N_("Check-in photo rejected"),
    "sharing_paused": N_("Location sharing paused"),
    "sharing_resumed": N_("Location sharing resumed"),
    # ... and why the engine doubted a position (plausibility and confidence).
    "impossible": N_("impossible movement"),
    "speed": N_("faster than the device reported"),
    "still_jump": N_("a leap of a still device"),
    "wide_jump": N_("a leap beyond its accuracy"),
    "glitch": N_("a one-position glitch"),
    "jump": N_("a leap (multipath)"),
    "cell": N_("a cell-tower position"),
    "stale": N_("an old position"),
    "respondent_position": N_("From the respondent's position"),
    "order": N_("From the order's district"),
}
# Units after a number.
UNITS: Final = {
    "m": N_("{n} m"),
    "km": N_("{n} km"),
    "s": N_("{n} s"),
}

# Response stages of the statistics: from the alert's opening to ...
STAGES: Final = {
    "acknowledged": N_("Acknowledged by the operator"),
    "police_notified": N_("Police notified"),
    "police_accepted": N_("Police confirmed receipt"),
    "police_on_scene": N_("Police on scene"),
}

ORDER_STATUS: Final = {
    "draft": N_("Draft"),
    "active": N_("In force"),
    "ended": N_("Ended"),
    "revoked": N_("Revoked"),
}

# The audit log's actions (an alert's are "alert." and its transition's kind).
# The names of an audit entry's details ("reason: ...").
AUDIT_FIELDS: Final = {
    "changed": N_("changed"),
    "device_id": N_("device"),
    "display_name": N_("name"),
    "district": N_("district"),
    "districts": N_("districts"),
    "email": N_("e-mail"),
    "kind": N_("kind"),
    "language": N_("language"),
    "number": N_("number"),
    "order_id": N_("order"),
    "outcome": N_("outcome"),
    "person_id": N_("person"),
    "previous": N_("before"),
    "protocol": N_("protocol"),
    "reason": N_("reason"),
    "role": N_("role"),
    "source": N_("source"),
    "status": N_("status"),
    "totp": N_("one-time codes"),
    "version": N_("version"),
    "wait_s": N_("wait, s"),
    "what": N_("what"),
    "user": N_("user"),
    "username": N_("user"),
    "has_photo": N_("photo"),
    "address": N_("address"),
}
AUDIT_VALUES: Final = {
    "issued": N_("issued"),
    "reset": N_("reset"),
}

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
    "person.photo": N_("Reference photo uploaded"),
    "checkin.reviewed": N_("Identity check-in reviewed"),
    "order.created": N_("Order created"),
    "order.varied": N_("Order varied"),
    "order.ended": N_("Order ended"),
    "order.expired": N_("Order ended: its term ran out"),
    "order.replaced": N_("Order replaced by a court order"),
    "monitoring.requested": N_("Monitoring requested"),
    "monitoring.fitted": N_("Bracelet fitted"),
    "monitoring.enrolled": N_("App enrolled"),
    "monitoring.started": N_("Monitoring started"),
    "monitoring.refused": N_("Monitoring refused"),
    "device.enrolled": N_("Device enrolled"),
    "device.assigned": N_("Device assigned"),
    "device.unassigned": N_("Device unassigned"),
    "enrolment.issued": N_("Enrolment code issued"),
    "evidence.export": N_("Evidence exported"),
    "retention.removed": N_("Records removed after their retention period"),
    "location.read": N_("Protected person's position read"),
    "handover.note": N_("Note left for the next shift"),
}

# Why the centre cannot monitor (domain.outage causes, without the gateway's name).
OUTAGE_CAUSES: Final = {
    "store": N_("the database refuses writes"),
    "pipeline": N_("processing has stalled"),
    "gateway": N_("a device gateway is down"),
    "broker": N_("the apps' message broker cannot be reached"),
}
REQUEST_STATUS: Final = {
    "requested": N_("requested"),
    "fitted": N_("bracelet fitted"),
    "enrolled": N_("app enrolled"),
    "started": N_("monitoring started"),
    "refused": N_("refused"),
}
MONITORING_KINDS: Final = {
    "bracelet": N_("Bracelet"),
    "respondent_app": N_("Respondent app"),
}

# A reporting appointment's outcome, recorded by the probation officer.
APPOINTMENT_OUTCOMES: Final = {
    "attended": N_("Attended"),
    "missed": N_("Missed"),
}

# A request to vary a curfew's schedule.
VARIATION_STATUS: Final = {
    "requested": N_("Awaiting the supervisor"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
}

MESSAGES: Final = {
    "outage_banner": N_(
        "The centre cannot monitor since {since}: {causes}. Protected persons are told by SMS."
    ),
    "no_requests": N_("No monitoring request is waiting."),
    "request_saved": N_("Saved."),
    "temporary_order_made": N_("Temporary order issued; the centre has your request."),
    "refusal_needs_reason": N_("Give the reason for the refusal."),
    "no_curfew": N_("No curfew"),
    "offered_to_you": N_("Sent to you"),
    "excepted": N_("Approved exception"),
    "review_note": N_("Your review of the alert"),
    "note_review": N_("Note the review"),
    "review_saved": N_("Review saved."),
    "outcome_saved": N_("Outcome recorded."),
    "appointment_saved": N_("Appointment added."),
    "request_sent": N_("Request sent to the supervisor."),
    "decision_note": N_("Note on the decision (needed to refuse)"),
    "approve": N_("Approve"),
    "refuse": N_("Refuse"),
    "police_no_position": N_("No position known"),
    "police_withheld": N_("Shown only with a reason"),
    "police_accepted_by": N_("Accepted by"),
    "push_on": N_("New alerts for your unit are shown on this phone, even with the page closed."),
    "push_off": N_("Switch on to be told of new alerts for your unit on this phone."),
    "push_denied": N_("Notifications are blocked for this site in the browser's settings."),
    "push_unsupported": N_("This browser cannot show notifications from Korgoo."),
    "push_failed": N_("Could not change the notifications."),
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
    "possible_not_paged": N_("Possible, not paged"),
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
    "map_plain": N_("No map tiles configured: plain grid"),
    "map_credit": N_("Map data © OpenStreetMap contributors, Protomaps"),
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
    "no_contact": N_("No contact"),
    "no_contact_yes": N_("No contact with the protected person by any means"),
    "zones": N_("Zones"),
    "move_centre": N_("Drag to move the centre"),
    "move_corner": N_("Drag to move the corner"),
    "enrol": N_("Enrol"),
    "assign": N_("Assign"),
    "unassign": N_("Unassign"),
    "not_recorded": N_("not recorded yet"),
    "per_person_day": N_("per monitored person-day"),
    "per_order_month": N_("per order-month"),
    "alerts_count": N_("Alerts"),
    "false_alarms": N_("False alarms"),
    "true_breaches": N_("True breaches"),
    "median": N_("Median"),
    "p90": N_("90th percentile"),
    "minutes": N_("min"),
    "seconds": N_("s"),
    "no_figures": N_("No figures for this period."),
    "bad_period": N_("The period's end must come after its start."),
    "edit": N_("Edit"),
    "days": N_("Days"),
    "from": N_("From"),
    "to": N_("To"),
    "remove": N_("Remove"),
    "exception_reason": N_("Reason"),
    "approved_by": N_("Approved by"),
    "exception_invalid": N_("each exception needs a reason and must end after it starts."),
    "replaced_by": N_("Replaced by version {n}"),
    "not_started": N_("Monitoring has not started yet"),
    "choose": N_("Choose…"),
    "no_persons": N_("No persons registered."),
    "required_field": N_("fill this in."),
    "invalid_value": N_("this value is not valid."),
    "choose_outcome": N_("Choose how the call went."),
    "no_numbers": N_("No phone numbers are registered for this person."),
    "numbers_to_call": N_("Numbers to call"),
    "operator_note": N_("Note for the operator"),
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
    "monitoring_on": N_("Monitoring rolled out"),
    "monitoring_off": N_("Not rolled out"),
    "switch_on": N_("Switch on"),
    "switch_off": N_("Switch off"),
    "switch_on_title": N_("Roll out monitoring in the district"),
    "switch_on_help": N_("Orders may then be entered in this district."),
    "switch_off_title": N_("Stop entering orders in the district"),
    "switch_off_help": N_(
        "New orders are refused in this district; the orders already there keep being monitored."
    ),
    "no_entries": N_("No entries match."),
    "stale": N_("silent too long"),
    "alert_action": N_("Alert"),
    "history": N_("History"),
    "version_issued": N_("Issued"),
    "zoom_in": N_("Zoom in"),
    "zoom_out": N_("Zoom out"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "no_action_yet": N_("No action yet"),
    "checkin_missed": N_("No photo by the deadline"),
    "checkin_waiting": N_("Waiting for the photo"),
    "checkin_in_time": N_("in time"),
    "checkin_late": N_("late"),
    "checkin_to_review": N_("To review"),
    "checkin_confirmed": N_("Confirmed"),
    "checkin_rejected": N_("Rejected"),
    "no_checkins": N_("No check-in has been sent yet."),
    "no_checkins_to_review": N_("No check-in photo is waiting for review."),
    "no_reference_photo": N_(
        "No reference photo on the person's record: upload one on the Persons page."
    ),
    "reject_needs_reason": N_("Say why the photo is rejected."),
    "checkin_reviewed": N_("Review saved."),
    "nothing_to_watch": N_("No order in breach, in pre-alert or without signal."),
    "no_devices_to_fix": N_("No device to fix."),
    "no_notes": N_("No notes in the last 24 hours."),
    "note_saved": N_("Note saved for the next shift."),
    "problem_silent": N_("Silent too long"),
    "problem_never_heard": N_("Never heard from"),
    "problem_low_battery": N_("Low battery"),
}


def script_labels(lang: str) -> dict[str, dict[str, str]]:
    """Every label group translated into `lang`, keyed by the code the API sends."""
    groups = {
        "rules": RULES,
        "states": STATES,
        "outcomes": OUTCOMES,
        "transitions": TRANSITIONS,
        "parties": PARTIES,
        "channels": CHANNELS,
        "notification_status": NOTIFICATION_STATUS,
        "notification_templates": NOTIFICATION_TEMPLATES,
        "person_roles": PERSON_ROLES,
        "weekdays": WEEKDAYS,
        "person_languages": PERSON_LANGUAGES,
        "call_outcomes": CALL_OUTCOMES,
        "confidence": CONFIDENCE,
        "device_kinds": DEVICE_KINDS,
        "zone_kinds": ZONE_KINDS,
        "order_kinds": ORDER_KINDS,
        "order_status": ORDER_STATUS,
        "outcome_classes": OUTCOME_CLASSES,
        "stages": STAGES,
        "police_steps": POLICE_STEPS,
        "police_outcomes": POLICE_OUTCOMES,
        "appointment_outcomes": APPOINTMENT_OUTCOMES,
        "variation_status": VARIATION_STATUS,
        "roles": ROLES,
        "evidence": EVIDENCE,
        "actors": ACTORS,
        "escalated_to": ESCALATED_TO,
        "timeline_stages": TIMELINE_STAGES,
        "reasons": REASONS,
        "signals": SIGNALS,
        "units": UNITS,
        "audit_actions": AUDIT_ACTIONS,
        "audit_fields": AUDIT_FIELDS,
        "audit_values": AUDIT_VALUES,
        "messages": MESSAGES,
        "outage_causes": OUTAGE_CAUSES,
        "request_status": REQUEST_STATUS,
        "monitoring_kinds": MONITORING_KINDS,
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
