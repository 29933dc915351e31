"""User administration through the API: an administrator changes roles and
districts, disables and enables, issues a new TOTP secret and lifts a login
wait; each change names its reason on the audit log, which still verifies;
no one else may do any of it."""

from __future__ import annotations

import pyotp
import pytest

from korgoo.store.audit import audit_verify
from korgoo.web.labels import AUDIT_ACTIONS

from .api_world import World, world_fixture
from .test_api_session import attempt, failures

__all__ = ["world_fixture"]

WHY = {"reason": "ticket 42"}


async def audit_of(w: World, username: str) -> list[tuple[str, str, dict[str, object]]]:
    admin = await w.login("admin")
    entries = (await admin.get("/api/v1/audit", params={"subject": f"user:{username}"})).json()
    return [
        (e["actor"], e["action"], e["details"])
        for e in reversed(entries)
        if e["action"].startswith("user.")
    ]


async def test_role_and_districts_change_with_a_reason_on_the_audit_log(w: World) -> None:
    admin = await w.login("admin")
    r = await admin.patch(
        "/api/v1/users/operator-len",
        json={"role": "supervisor", "districts": ["KG-GB-OKT"], "reason": "promoted"},
    )
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["role"] == "supervisor" and user["districts"] == ["KG-GB-OKT"]
    assert "orders.write" in user["permissions"] and r.json()["totp_secret"] is None
    # The user's next request sees the new grants.
    c = await w.login("operator-len")
    assert (await c.get("/api/v1/audit")).status_code == 200
    assert (await audit_of(w, "operator-len"))[-1] == (
        "admin",
        "user.changed",
        {
            "reason": "promoted",
            "role": ["operator", "supervisor"],
            "districts": [["KG-GB-LEN"], ["KG-GB-OKT"]],
        },
    )
    # Fields sent unchanged are not recorded as changes.
    same = {"role": "supervisor", "districts": ["KG-GB-OKT"], "display_name": "Aida"}
    r = await admin.patch("/api/v1/users/operator-len", json=same | {"reason": "name"})
    assert r.status_code == 200 and r.json()["user"]["display_name"] == "Aida"
    assert (await audit_of(w, "operator-len"))[-1][2] == {
        "reason": "name",
        "display_name": ["operator-len", "Aida"],
    }
    # An administrator made an operator gets a second factor to hand over.
    made = (
        await admin.post(
            "/api/v1/users", json={"username": "tech2", "role": "administrator", **WHY}
        )
    ).json()
    assert made["totp_secret"] is None
    r = await admin.patch("/api/v1/users/tech2", json={"role": "operator", **WHY})
    assert r.json()["totp_secret"] and r.json()["totp_qr"].startswith("data:image/svg+xml")
    code = pyotp.TOTP(r.json()["totp_secret"]).at(int(w.auth_clock()))
    assert (await attempt(w, "tech2", made["password"], code))[0] == 200


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"role": "janitor", **WHY}, "cannot be given"),
        ({"districts": ["KG-XX"], **WHY}, "KG-XX"),
        ({"role": "operator"}, "reason"),
        ({"role": "operator", "reason": "  "}, "reason"),
        ({"role": "operator", "reason": "x" * 501}, "reason"),
        ({"phone": "call me", **WHY}, "phone"),
        ({"email": "not an address", **WHY}, "email"),
    ],
)
async def test_changes_are_validated(w: World, body: dict[str, object], needle: str) -> None:
    admin = await w.login("admin")
    r = await admin.patch("/api/v1/users/operator", json=body)
    assert r.status_code == 422 and needle in r.text
    assert (await admin.patch("/api/v1/users/nobody", json=WHY)).status_code == 404


async def test_a_police_users_contacts_are_set_cleared_and_audited(w: World) -> None:
    """Where the messages to his unit go (docs/notifications.md)."""
    admin = await w.login("admin")
    body = {"phone": "+996 700 000 101", "email": "duty@police.kg", "reason": "duty phone"}
    r = await admin.patch("/api/v1/users/police-okt", json=body)
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert (user["phone"], user["email"]) == ("+996 700 000 101", "duty@police.kg")
    assert (await audit_of(w, "police-okt"))[-1][2] == {
        "reason": "duty phone",
        "phone": [None, "+996 700 000 101"],
        "email": [None, "duty@police.kg"],
    }
    r = await admin.patch("/api/v1/users/police-okt", json={"email": "", **WHY})
    assert (r.json()["user"]["phone"], r.json()["user"]["email"]) == ("+996 700 000 101", None)
    new = {"username": "duty2", "role": "police_duty_officer", "districts": ["KG-GB-OKT"]}
    made = await admin.post("/api/v1/users", json=new | {"phone": "+996700000102", **WHY})
    assert made.status_code == 201, made.text
    got = (await admin.get("/api/v1/users/duty2")).json()
    assert (got["phone"], got["email"]) == ("+996700000102", None)


async def test_an_administrator_cannot_disable_or_demote_themselves(w: World) -> None:
    admin = await w.login("admin")
    r = await admin.post("/api/v1/users/admin/disable", json=WHY)
    assert r.status_code == 409
    r = await admin.patch("/api/v1/users/admin", json={"role": "operator", **WHY})
    assert r.status_code == 409
    assert (await admin.get("/api/v1/users/admin")).json()["role"] == "administrator"


async def test_disabling_ends_sessions_and_enabling_lets_back_in(w: World) -> None:
    operator = await w.login("operator")
    admin = await w.login("admin")
    r = await admin.post("/api/v1/users/operator/disable", json={"reason": "left the centre"})
    assert r.status_code == 200 and r.json()["user"]["disabled"]
    assert (await operator.get("/api/v1/alerts")).status_code == 401
    password = w.users["operator"].password
    assert (await attempt(w, "operator", password, w.totp("operator")))[0] == 401
    r = await admin.post("/api/v1/users/operator/enable", json={"reason": "came back"})
    assert r.status_code == 200 and not r.json()["user"]["disabled"]
    assert (await attempt(w, "operator", password, w.totp("operator")))[0] == 200
    actions = [(a, d.get("reason")) for _, a, d in await audit_of(w, "operator")]
    assert ("user.disabled", "left the centre") in actions
    assert ("user.enabled", "came back") in actions


async def test_a_new_totp_secret_replaces_the_old_one(w: World) -> None:
    operator = await w.login("operator")
    admin = await w.login("admin")
    r = await admin.post("/api/v1/users/operator/totp", json={"reason": "lost phone"})
    assert r.status_code == 200, r.text
    secret = r.json()["totp_secret"]
    assert secret != w.users["operator"].totp_secret
    assert r.json()["totp_uri"].startswith("otpauth://totp/Korgoo:operator")
    assert (await operator.get("/api/v1/alerts")).status_code == 401  # sessions ended
    password = w.users["operator"].password
    assert (await attempt(w, "operator", password, w.totp("operator")))[0] == 401  # old code
    w.auth_clock.t += 30
    assert (await attempt(w, "operator", password, pyotp.TOTP(secret).at(int(w.auth_clock()))))[
        0
    ] == 200
    entry = (await audit_of(w, "operator"))[-1]
    assert entry[:2] == ("admin", "user.totp_reset") and secret not in str(entry)


async def test_a_locked_user_shows_as_locked_until_unlocked(w: World) -> None:
    for _ in range(8):  # the wait doubles to 2 ** 5 s: longer than the admin's sign-in
        w.auth_clock.t += 400
        await failures(w, "supervisor", "192.0.2.20", 1)
    admin = await w.login("admin")
    listed = {u["username"]: u for u in (await admin.get("/api/v1/users")).json()}
    assert listed["supervisor"]["failed_logins"] == 8 and listed["supervisor"]["locked_until"]
    assert listed["operator"]["failed_logins"] == 0 and listed["operator"]["locked_until"] is None
    r = await admin.post("/api/v1/users/supervisor/unlock", json={"reason": "rang the desk"})
    assert r.status_code == 200
    assert r.json()["user"]["locked_until"] is None and r.json()["user"]["failed_logins"] == 0
    client = w.client("192.0.2.20")
    await w.login("supervisor", client)
    assert ("admin", "user.unlocked", {"reason": "rang the desk"}) in await audit_of(
        w, "supervisor"
    )


async def test_operators_and_supervisors_get_403_and_the_chain_verifies(w: World) -> None:
    admin = await w.login("admin")
    await admin.post("/api/v1/users/operator/totp", json=WHY)
    await admin.patch("/api/v1/users/supervisor-len", json={"districts": [], **WHY})
    await admin.post("/api/v1/users/operator-len/disable", json=WHY)
    await admin.post("/api/v1/users/operator-len/enable", json=WHY)
    await admin.post("/api/v1/users/supervisor/unlock", json=WHY)
    for who in ("operator-len", "supervisor"):
        c = await w.login(who)
        for method, path, body in (
            ("GET", "/api/v1/users", None),
            ("GET", "/api/v1/users/operator", None),
            ("PATCH", "/api/v1/users/operator", {"role": "supervisor", **WHY}),
            ("POST", "/api/v1/users/operator/disable", WHY),
            ("POST", "/api/v1/users/operator/enable", WHY),
            ("POST", "/api/v1/users/operator/totp", WHY),
            ("POST", "/api/v1/users/operator/unlock", WHY),
        ):
            r = await c.request(method, path, json=body)
            assert r.status_code == 403 and "users.admin" in r.json()["detail"], (who, path)
    result = audit_verify(w.pipeline.db)
    assert result.ok, result.reason
    assert result.checked >= 5
    # The audit page names every action of these in words.
    await failures(w, "nobody", "192.0.2.40", 4)
    actions = {e["action"] for e in (await admin.get("/api/v1/audit")).json()}
    assert {"user.totp_reset", "user.disabled", "session.throttled"} <= actions
    assert actions <= set(AUDIT_ACTIONS)
