"""User administration, for administrators: list, create, change role,
districts and contacts, disable and enable, issue a new TOTP secret, lift a login wait.

Every change names its reason, and goes on the audit log with the
administrator's name in the same transaction as the change. An administrator
cannot disable themselves or take away their own administration, so a centre
is never left without one by a slip.

A new TOTP secret is shown once, to the administrator, with its QR code, as
when a user is created: the administrator hands it over in person, and the
password alone never sets up a second factor.
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, HTTPException

from korgoo.api.auth import (
    UserExistsError,
    add_user,
    backoff_s,
    creatable,
    needs_totp,
    new_totp_secret,
    place,
    totp_uri,
)
from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import CREATABLE_ROLES, DISTRICT_BOUND_ROLES, Capability
from korgoo.api.responses import NewUserOut, UserAdminOut, UserChangeOut
from korgoo.api.schemas import ReasonIn, UserIn, UserPatch, iso
from korgoo.api.views import user_json
from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.text import N_, said
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.users import (
    User,
    change_user,
    clear_login_failures,
    end_sessions,
    failed_logins,
    get_user,
    list_users,
    set_contacts,
    set_totp_secret,
)

router = APIRouter(tags=["users"])
Admin = Annotated[User, Depends(require(Capability.USERS_ADMIN))]


def _admin_json(api: Api, user: User, failures: tuple[int, float] | None) -> dict[str, Any]:
    count, last_at = failures or (0, 0.0)
    until = last_at + backoff_s(count, api.settings)
    return user_json(user) | {
        "disabled": user.disabled,
        "created_at": iso(user.created_at),
        "failed_logins": count,
        "locked_until": iso(until) if count and until > api.auth_clock() else None,
        "phone": user.phone,
        "email": user.email,
    }


def _one(api: Api, username: str) -> dict[str, Any]:
    user = get_user(api.db, username)
    if user is None:
        raise not_found(N_("User {username}", username=repr(username)))
    return _admin_json(api, user, failed_logins(api.db).get(username))


def _change(api: Api, user: User | None, totp_secret: str | None = None) -> dict[str, Any]:
    assert user is not None
    return {
        "user": _one(api, user.username),
        "totp_secret": totp_secret,
        "totp_uri": None if totp_secret is None else totp_uri(totp_secret, user.username),
        "totp_qr": None if totp_secret is None else _qr(totp_uri(totp_secret, user.username)),
    }


def _qr(uri: str) -> str:
    """The QR code of an otpauth URI: a data: URI of its SVG, for an <img>."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=2))


def _check_role_and_districts(role: str | None, districts: list[str] | None) -> None:
    if role is not None and not creatable(role):
        allowed = sorted(r.value for r in CREATABLE_ROLES)
        raise HTTPException(
            422,
            N_(
                "role {role} cannot be given; choose one of {allowed}",
                role=repr(role),
                allowed=allowed,
            ),
        )
    unknown = sorted(set(districts or ()) - {j.code for j in JURISDICTIONS})
    if unknown:
        raise HTTPException(422, N_("unknown district codes {unknown}", unknown=unknown))


def _existing(api: Api, username: str) -> User:
    user = get_user(api.db, username)
    if user is None:
        raise not_found(N_("User {username}", username=repr(username)))
    return user


@router.get("/users", response_model=list[UserAdminOut])
def users(_: Admin, api: ApiDep) -> list[dict[str, Any]]:
    """Every user with their state: disabled, failed logins, waiting until when."""
    failures = failed_logins(api.db)
    return [_admin_json(api, u, failures.get(u.username)) for u in list_users(api.db)]


@router.get("/users/{username}", response_model=UserAdminOut)
def one_user(username: str, _: Admin, api: ApiDep) -> dict[str, Any]:
    return _one(api, username)


@router.post("/users", status_code=201, response_model=NewUserOut)
def create(body: UserIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Create a user. The password (generated unless given) and the TOTP secret are
    shown in this answer only."""
    try:
        new = add_user(
            api.db,
            body.username,
            role=body.role,
            districts=body.districts,
            agency=body.agency,
            language=body.language,
            display_name=body.display_name,
            password=body.password,
            now=api.auth_clock(),
        )
    except ValueError as e:
        raise HTTPException(409 if isinstance(e, UserExistsError) else 422, said(e)) from None
    with begin_write(api.db) as conn:
        if body.phone or body.email:
            set_contacts(conn, body.username, phone=body.phone, email=body.email)
        details = {
            "role": body.role,
            "agency": new.user.agency,
            "districts": list(new.user.districts),
            "reason": body.reason,
        }
        audit_append(
            conn,
            admin.username,
            "user.created",
            f"user:{body.username}",
            details,
            at=api.auth_clock(),
        )
    return {
        "user": user_json(new.user),  # the contacts are on the administration's view
        "password": new.password,
        "totp_secret": new.totp_secret,
        "totp_uri": new.totp_uri,
        "totp_qr": None if new.totp_uri is None else _qr(new.totp_uri),
    }


@router.patch("/users/{username}", response_model=UserChangeOut)
def change(username: str, body: UserPatch, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Change a user's role, agency, districts, name or contacts (the phone and
    e-mail the messages to his unit go to; an empty one clears it). The role must fit the
    agency, the districts lie within the agency's (a new agency without districts
    gives its own). A user moved to a role that needs a second factor and has
    none gets a new TOTP secret (in this answer only)."""
    _check_role_and_districts(body.role, body.districts)
    before = _existing(api, username)
    role = body.role or before.role
    if body.districts is not None:
        districts: tuple[str, ...] | list[str] = body.districts
    else:
        districts = () if body.agency not in (None, before.agency) else before.districts
    if role in {r.value for r in DISTRICT_BOUND_ROLES} and body.districts == []:
        raise HTTPException(422, N_("a {role} serves districts: give at least one", role=role))
    try:
        agency, districts = place(role, body.agency or before.agency, districts)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    if username == admin.username and body.role not in (None, before.role):
        raise HTTPException(409, N_("You cannot change your own role: ask another administrator."))
    secret = None
    if body.role is not None and needs_totp(body.role) and not before.has_totp:
        secret = new_totp_secret()
    with begin_write(api.db) as conn:
        after = change_user(
            conn,
            username,
            role=body.role,
            districts=districts,
            agency=agency.id,
            display_name=body.display_name,
        )
        if secret is not None:
            set_totp_secret(conn, username, secret)
        phone = before.phone if body.phone is None else body.phone or None
        email = before.email if body.email is None else body.email or None
        if (phone, email) != (before.phone, before.email):
            set_contacts(conn, username, phone=phone, email=email)
        details: dict[str, object] = {"reason": body.reason}
        # What changed, before and after (a field sent unchanged is left out).
        if body.role is not None and body.role != before.role:
            details["role"] = [before.role, body.role]
        if agency.id != before.agency:
            details["agency"] = [before.agency, agency.id]
        if sorted(districts) != sorted(before.districts):
            details["districts"] = [list(before.districts), list(districts)]
        if body.display_name is not None and body.display_name != before.display_name:
            details["display_name"] = [before.display_name, body.display_name]
        if phone != before.phone:
            details["phone"] = [before.phone, phone]
        if email != before.email:
            details["email"] = [before.email, email]
        if secret is not None:
            details["totp"] = "issued"
        audit_append(
            conn, admin.username, "user.changed", f"user:{username}", details, at=api.auth_clock()
        )
    return _change(api, after, secret)


def _set_disabled(
    username: str, disabled: bool, body: ReasonIn, admin: User, api: Api
) -> dict[str, Any]:
    _existing(api, username)
    if disabled and username == admin.username:
        raise HTTPException(409, N_("You cannot disable yourself: ask another administrator."))
    with begin_write(api.db) as conn:
        after = change_user(conn, username, disabled=disabled)
        ended = end_sessions(conn, username) if disabled else []
        action = "user.disabled" if disabled else "user.enabled"
        audit_append(
            conn,
            admin.username,
            action,
            f"user:{username}",
            {"reason": body.reason},
            at=api.auth_clock(),
        )
    for token_hash in ended:
        api.streams.end(token_hash)
    return _change(api, after)


@router.post("/users/{username}/disable", response_model=UserChangeOut)
def disable(username: str, body: ReasonIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Disable a user: their sessions and live streams end at once, no login works."""
    return _set_disabled(username, True, body, admin, api)


@router.post("/users/{username}/enable", response_model=UserChangeOut)
def enable(username: str, body: ReasonIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    return _set_disabled(username, False, body, admin, api)


@router.post("/users/{username}/totp", response_model=UserChangeOut)
def reset_totp(username: str, body: ReasonIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """A new TOTP secret (a lost or changed phone): the old codes stop working and
    the user's sessions end; the secret and its QR code are in this answer only."""
    _existing(api, username)
    secret = new_totp_secret()
    with begin_write(api.db) as conn:
        set_totp_secret(conn, username, secret)
        ended = end_sessions(conn, username)
        details = {"reason": body.reason}
        audit_append(
            conn,
            admin.username,
            "user.totp_reset",
            f"user:{username}",
            details,
            at=api.auth_clock(),
        )
    for token_hash in ended:
        api.streams.end(token_hash)
    return _change(api, get_user(api.db, username), secret)


@router.post("/users/{username}/unlock", response_model=UserChangeOut)
def unlock(username: str, body: ReasonIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Lift the wait that failed logins put on this user's name, from every address."""
    user = _existing(api, username)
    clear_login_failures(api.db, username)
    with begin_write(api.db) as conn:
        details = {"reason": body.reason}
        audit_append(
            conn, admin.username, "user.unlocked", f"user:{username}", details, at=api.auth_clock()
        )
    return _change(api, user)
