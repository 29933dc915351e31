"""Who may do what: named capabilities granted to roles in one table, and
jurisdiction scoping.

A route asks for a capability (`deps.require("alerts.act")`), never for a role,
so a new role is one row in `ROLE_PERMISSIONS`. Jurisdiction scoping is the
other axis: a user's districts (empty = all) filter what they see, applied in
the repository queries (`scope(user)` is what those queries take).

Decisions for the roles of now:
- operator: works the alert queue (acknowledge, note, call, escalate, resolve),
  reads orders, persons, devices, tracks, and the protected person's location
  (to send the police), but does not change orders or devices.
- supervisor: everything an operator does, plus entering and varying orders,
  registering persons, enrolling and assigning devices, reading the audit log,
  and exporting evidence (the bundle and the report). An evidence bundle holds
  the raw events of both parties, the protected person's positions among them,
  so only a role that may read those and answers for the case exports it; each
  export names its reason on the audit log.
- supervisor also edits the escalation policy (`escalation.manage`): who is
  told of which alert and when is case work, so not the administrator's.
- administrator: users, devices and the audit log; does not see alerts or
  anyone's location, cannot act on alerts, and cannot enrol a phone on an
  order (that would give a credential that reads the case): technical staff
  are kept away from case work.
- statistics: the ministry's figures (counts, rates, response times over a
  period and district) and nothing else: no person, order, alert, track,
  device or audit entry. Operators and supervisors see the figures too.
- police duty officer / district inspector: the police view (`police.respond`):
  the alerts offered to their districts and their response to them, and the
  orders, persons and tracks of their districts; the duty officer also the
  protected person's position, with a reason. Bound to districts. The duty
  officer also issues temporary orders of his districts and asks the centre to
  monitor them (`orders.request`), never a court order.
  protected person's position, with a reason. Bound to districts.
- probation officer: his caseload (`probation.caseload`) and nothing of the
  centre's: the probation orders of his districts, their clients' compliance,
  alerts (to review), curfews, appointments, and requests to vary a curfew.
  No `orders.read`, `alerts.read` or `persons.read`: those routes scope by
  district only and would show him the protective orders and the victims of
  his districts; the caseload's queries take probation orders alone. Bound to
  districts.
- prosecutor: the record of violations of his districts (alerts, orders,
  persons, tracks) and the evidence report. Bound to districts.
- court (judge or clerk): the orders of its districts, their alerts, and the
  evidence report. Bound to districts.
docs/roles.md is this table in words (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Final

from korgoo.store.users import User


class Capability(StrEnum):
    ALERTS_READ = "alerts.read"
    ALERTS_ACT = "alerts.act"
    ALERTS_RESOLVE = "alerts.resolve"
    ORDERS_READ = "orders.read"
    ORDERS_WRITE = "orders.write"
    DEVICES_READ = "devices.read"
    DEVICES_WRITE = "devices.write"
    DEVICES_ENROL = "devices.enrol"  # enrol a phone app on an order (a one-time code)
    PERSONS_READ = "persons.read"
    PERSONS_WRITE = "persons.write"
    LOCATIONS_PROTECTED_READ = "locations.protected.read"
    TRACKS_READ = "tracks.read"
    AUDIT_READ = "audit.read"
    EVIDENCE_EXPORT = "evidence.export"  # the signed bundle (raw events of both parties)
    # The evidence report (PDF); the protected person's positions are in it only
    # for a role that also has locations.protected.read.
    EVIDENCE_REPORT = "evidence.report"
    USERS_ADMIN = "users.admin"
    STATISTICS_READ = "statistics.read"  # figures over a period, never a person
    # The police view: alerts offered to the user's districts (read, accept, unit
    # dispatched, on scene, outcome); scoped by the offer's district, not the order's.
    POLICE_RESPOND = "police.respond"
    # A temporary protective order of the user's districts, with its request for
    # monitoring (bracelet or app, and the fitting); never a court order.
    ORDERS_REQUEST = "orders.request"
    # The probation caseload: the probation orders of the user's districts, and
    # the officer's part in them (appointments, reviews, variation requests).
    PROBATION_CASELOAD = "probation.caseload"
    # The escalation policy: who is told of which alert, when and how; a new
    # version with a reason (docs/escalation.md).
    ESCALATION_MANAGE = "escalation.manage"


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    POLICE_DUTY_OFFICER = "police_duty_officer"
    POLICE_DISTRICT_INSPECTOR = "police_district_inspector"
    PROBATION_OFFICER = "probation_officer"
    PROSECUTOR = "prosecutor"
    COURT = "court"
    STATISTICS = "statistics"


C = Capability
_OPERATOR: Final = frozenset(
    {
        C.ALERTS_READ,
        C.ALERTS_ACT,
        C.ALERTS_RESOLVE,
        C.ORDERS_READ,
        C.DEVICES_READ,
        C.PERSONS_READ,
        C.LOCATIONS_PROTECTED_READ,
        C.TRACKS_READ,
        C.DEVICES_ENROL,
        C.STATISTICS_READ,
    }
)

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Capability]]] = {
    Role.OPERATOR: _OPERATOR,
    Role.SUPERVISOR: _OPERATOR
    | {
        C.ORDERS_WRITE,
        C.DEVICES_WRITE,
        C.PERSONS_WRITE,
        C.AUDIT_READ,
        C.EVIDENCE_EXPORT,
        C.EVIDENCE_REPORT,
        C.ESCALATION_MANAGE,
    },
    # No DEVICES_ENROL: a phone enrolled on an order is a credential for the
    # case (a respondent app reads his order's conditions), which is case work.
    Role.ADMINISTRATOR: frozenset({C.USERS_ADMIN, C.DEVICES_READ, C.DEVICES_WRITE, C.AUDIT_READ}),
    # The police unit on duty takes the alerts offered to its districts and sends
    # officers; it reads the orders, persons and tracks of its districts, and the
    # protected person's position with a reason (to find her). It does not work
    # the centre's queue (no alerts.read / alerts.act): it sees only what it is
    # offered, and the centre resolves the alert. It issues temporary orders of
    # its districts and asks the centre to monitor them (orders.request),
    # registering the order's persons on the way; never a court order, never a
    # variation (no orders.write, no persons.write).
    Role.POLICE_DUTY_OFFICER: frozenset(
        {
            C.POLICE_RESPOND,
            C.ORDERS_REQUEST,
            C.ORDERS_READ,
            C.PERSONS_READ,
            C.LOCATIONS_PROTECTED_READ,
            C.TRACKS_READ,
        }
    ),
    # The district inspector follows the respondents of his district (strap
    # removals are offered to him), not the protected person's whereabouts.
    Role.POLICE_DISTRICT_INSPECTOR: frozenset(
        {C.POLICE_RESPOND, C.ORDERS_READ, C.PERSONS_READ, C.TRACKS_READ}
    ),
    # Probation follows its clients' compliance, never a protective order or a
    # victim: everything through the caseload, scoped to probation orders.
    Role.PROBATION_OFFICER: frozenset({C.PROBATION_CASELOAD}),
    # The prosecutor reads the record of violations of his districts (alerts,
    # orders, persons, the respondents' tracks) and takes the evidence report to
    # bring a breach to court. Not the audit log (it is not scoped by district),
    # not the signed bundle nor the protected person's positions: the report
    # proves the breach by distances, and what he files reaches the defence.
    Role.PROSECUTOR: frozenset(
        {C.ALERTS_READ, C.ORDERS_READ, C.PERSONS_READ, C.TRACKS_READ, C.EVIDENCE_REPORT}
    ),
    # The court (judge or clerk) reads the orders of its districts and their
    # breaches (alerts) and takes the evidence of them: the report and the signed
    # bundle (the court rules on the breach and weighs the raw record, her
    # positions in it included; each export is audited with its reason, and only
    # of its districts' alerts). Orders are entered by the centre's supervisor
    # from the court's decision (the court does not write them here).
    Role.COURT: frozenset(
        {C.ALERTS_READ, C.ORDERS_READ, C.PERSONS_READ, C.EVIDENCE_REPORT, C.EVIDENCE_EXPORT}
    ),
    # the ministry's analysts: the centre's figures, and nothing of any person.
    Role.STATISTICS: frozenset({C.STATISTICS_READ}),
}

CREATABLE_ROLES: Final = frozenset(
    {
        Role.OPERATOR,
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
        Role.STATISTICS,
        Role.POLICE_DUTY_OFFICER,
        Role.POLICE_DISTRICT_INSPECTOR,
        Role.PROBATION_OFFICER,
        Role.PROSECUTOR,
        Role.COURT,
    }
)
# The unit an agency role belongs to: it is offered the alerts of that unit in
# its districts (alerts.policy.agency_for says which unit gets which); the police
# see them on /police, the probation officer on his caseload.
POLICE_UNIT_OF_ROLE: Final = {
    Role.POLICE_DUTY_OFFICER: "police_duty",
    Role.POLICE_DISTRICT_INSPECTOR: "district_inspector",
    Role.PROBATION_OFFICER: "probation",
}
# Roles that must be bound to districts: an agency unit serves its districts,
# never the whole country.
DISTRICT_BOUND_ROLES: Final = frozenset(
    {
        Role.POLICE_DUTY_OFFICER,
        Role.POLICE_DISTRICT_INSPECTOR,
        Role.PROBATION_OFFICER,
        Role.PROSECUTOR,
        Role.COURT,
    }
)
# Roles whose login needs a second factor (TOTP).
TOTP_ROLES: Final = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def capabilities(user: User) -> frozenset[Capability]:
    try:
        return ROLE_PERMISSIONS[Role(user.role)]
    except ValueError:
        return frozenset()  # an unknown role (from a newer version) may do nothing


def can(user: User, capability: Capability | str) -> bool:
    return Capability(capability) in capabilities(user)


def scope(user: User) -> tuple[str, ...] | None:
    """The districts a user's queries are limited to; None means all."""
    return user.districts or None


def in_scope(user: User, district: str | None) -> bool:
    """Whether a record of `district` is visible to the user. A record without a
    district (an unassigned device) is visible only to users who see all."""
    allowed = scope(user)
    return allowed is None or (district is not None and district in allowed)


def police_unit(user: User) -> str | None:
    try:
        return POLICE_UNIT_OF_ROLE.get(Role(user.role))
    except ValueError:
        return None


def any_in_scope(user: User, districts: Collection[str]) -> bool:
    allowed = scope(user)
    return allowed is None or any(d in allowed for d in districts)
