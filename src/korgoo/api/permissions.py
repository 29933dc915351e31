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
- administrator: users, devices and the audit log; does not see alerts or
  anyone's location, cannot act on alerts, and cannot enrol a phone on an
  order (that would give a credential that reads the case): technical staff
  are kept away from case work.
- statistics: the ministry's figures (counts, rates, response times over a
  period and district) and nothing else: no person, order, alert, track,
  device or audit entry. Operators and supervisors see the figures too.
The agency roles are declared with the grants intended for them; they become
creatable with the issue that brings them (`CREATABLE_ROLES`).
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
    EVIDENCE_EXPORT = "evidence.export"
    USERS_ADMIN = "users.admin"
    STATISTICS_READ = "statistics.read"  # figures over a period, never a person


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    POLICE_DUTY_OFFICER = "police_duty_officer"
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
    | {C.ORDERS_WRITE, C.DEVICES_WRITE, C.PERSONS_WRITE, C.AUDIT_READ, C.EVIDENCE_EXPORT},
    # No DEVICES_ENROL: a phone enrolled on an order is a credential for the
    # case (a respondent app reads his order's conditions), which is case work.
    Role.ADMINISTRATOR: frozenset({C.USERS_ADMIN, C.DEVICES_READ, C.DEVICES_WRITE, C.AUDIT_READ}),
    # Intended grants of the agency roles (not creatable yet):
    # the police unit on duty takes alerts of its districts and sends officers.
    Role.POLICE_DUTY_OFFICER: frozenset(
        {
            C.ALERTS_READ,
            C.ALERTS_ACT,
            C.ORDERS_READ,
            C.PERSONS_READ,
            C.LOCATIONS_PROTECTED_READ,
            C.TRACKS_READ,
        }
    ),
    # probation follows its clients' compliance, not the victims' whereabouts.
    Role.PROBATION_OFFICER: frozenset(
        {C.ALERTS_READ, C.ORDERS_READ, C.PERSONS_READ, C.DEVICES_READ, C.TRACKS_READ}
    ),
    # the prosecutor reads the record of violations as evidence.
    Role.PROSECUTOR: frozenset(
        {C.ALERTS_READ, C.ORDERS_READ, C.PERSONS_READ, C.TRACKS_READ, C.AUDIT_READ}
    ),
    # the court issues and varies orders.
    Role.COURT: frozenset({C.ORDERS_READ, C.ORDERS_WRITE, C.PERSONS_READ}),
    # the ministry's analysts: the centre's figures, and nothing of any person.
    Role.STATISTICS: frozenset({C.STATISTICS_READ}),
}

CREATABLE_ROLES: Final = frozenset(
    {Role.OPERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR, Role.STATISTICS}
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


def any_in_scope(user: User, districts: Collection[str]) -> bool:
    allowed = scope(user)
    return allowed is None or any(d in allowed for d in districts)
