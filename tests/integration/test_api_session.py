"""Logging in and out: password and TOTP, the same answer for every wrong
credential, lockout, session cookie and CSRF token, language; users created by
an administrator and by `korgoo user add`."""

from __future__ import annotations

import pyotp
import sqlalchemy as sa
from typer.testing import CliRunner

from korgoo.api.auth import THROTTLED, WRONG_LOGIN, token_hash
from korgoo.cli import app as cli
from korgoo.store.audit import VerifyResult, audit_verify
from korgoo.store.db import open_engine
from korgoo.store.users import get_user

from .api_world import World, world_fixture

__all__ = ["world_fixture"]


def verify_chain(w: World) -> VerifyResult:
    return audit_verify(w.pipeline.db)


async def attempt(w: World, username: str, password: str, totp: str = "") -> tuple[int, str]:
    r = await w.client().post(
        "/api/v1/session", json={"username": username, "password": password, "totp": totp}
    )
    return r.status_code, r.json()["detail"] if r.status_code != 200 else ""


async def test_login_sets_a_strict_httponly_cookie_and_returns_the_csrf_token(w: World) -> None:
    c = w.client()
    r = await c.post(
        "/api/v1/session",
        json={
            "username": "operator",
            "password": w.users["operator"].password,
            "totp": w.totp("operator"),
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["role"] == "operator" and "alerts.act" in body["user"]["permissions"]
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("korgoo_session=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    # Only the token's hash is stored.
    token = c.cookies["korgoo_session"]
    with w.pipeline.db.connect() as conn:
        stored = conn.scalars(sa.text("SELECT token_hash FROM sessions")).all()
    assert stored == [token_hash(token)] and token not in stored
    me = await c.get("/api/v1/session")
    assert me.status_code == 200 and me.json()["csrf"] == body["csrf"]


async def test_wrong_user_password_or_code_get_the_same_answer(w: World) -> None:
    good = w.users["operator"].password
    assert await attempt(w, "nobody", good, w.totp("operator")) == (401, str(WRONG_LOGIN))
    assert await attempt(w, "operator", "wrong password", w.totp("operator")) == (
        401,
        str(WRONG_LOGIN),
    )
    assert await attempt(w, "operator", good, "000000") == (401, str(WRONG_LOGIN))
    # Operators and supervisors need the second factor; administrators do not.
    assert await attempt(w, "supervisor", w.users["supervisor"].password) == (401, str(WRONG_LOGIN))
    assert (await attempt(w, "admin", w.users["admin"].password))[0] == 200


async def test_a_code_logs_in_once_and_no_older_code_after_it(w: World) -> None:
    good, secret = w.users["operator"].password, w.users["operator"].totp_secret or ""
    now = int(w.auth_clock())
    code, previous = pyotp.TOTP(secret).at(now), pyotp.TOTP(secret).at(now - 30)
    assert (await attempt(w, "operator", good, code))[0] == 200
    # The same code again, and the previous step's code (still inside the window), fail.
    assert await attempt(w, "operator", good, code) == (401, str(WRONG_LOGIN))
    assert await attempt(w, "operator", good, previous) == (401, str(WRONG_LOGIN))
    w.auth_clock.t += 30
    assert (await attempt(w, "operator", good, pyotp.TOTP(secret).at(now + 30)))[0] == 200
    with w.pipeline.db.connect() as conn:
        step = conn.scalar(sa.text("SELECT totp_last_step FROM users WHERE username='operator'"))
    assert step == (now + 30) // 30


async def failures(w: World, username: str, source: str, n: int) -> list[tuple[int, str]]:
    c = w.client(source)
    out = []
    for _ in range(n):
        r = await c.post(
            "/api/v1/session", json={"username": username, "password": "wrong", "totp": ""}
        )
        out.append((r.status_code, r.headers.get("retry-after", "")))
    return out


async def test_failures_slow_down_their_source_not_the_operator_elsewhere(w: World) -> None:
    flood = "203.0.113.7"
    # Three free tries, then a wait that doubles with every further failure.
    assert await failures(w, "operator", flood, 4) == [
        (401, ""), (401, ""), (401, ""), (429, "1")]  # fmt: skip
    w.auth_clock.t += 1
    assert await failures(w, "operator", flood, 2) == [(401, ""), (429, "2")]
    w.auth_clock.t += 2
    assert await failures(w, "operator", flood, 1) == [(401, "")]
    status, message = await attempt(w, "operator", "wrong")  # from another address
    assert (status, message) == (401, str(WRONG_LOGIN))
    # The operator at the console signs in from there while the flood goes on.
    assert (await w.login("operator")).headers["X-CSRF-Token"]
    # The back-off doubles up to about five minutes, never an open-ended lockout.
    for _ in range(12):
        w.auth_clock.t += 400
        await failures(w, "operator", flood, 1)
    assert await failures(w, "operator", flood, 1) == [(429, "300")]
    # The right credentials from the flooding address wait too, then work.
    w.auth_clock.t += 300
    c = await w.login("operator", w.client(flood))
    assert (await c.get("/api/v1/session")).status_code == 200
    # An administrator can lift the back-off at once.
    await failures(w, "supervisor", flood, 4)
    admin = await w.login("admin")
    unlocked = await admin.post("/api/v1/users/supervisor/unlock", json={"reason": "rang the desk"})
    assert unlocked.status_code == 200
    await w.login("supervisor", w.client(flood))
    r = await admin.post("/api/v1/users/nobody/unlock", json={"reason": "rang the desk"})
    assert r.status_code == 404


async def test_unknown_names_are_answered_and_slowed_down_alike(w: World) -> None:
    known = await failures(w, "operator", "198.51.100.1", 5)
    unknown = await failures(w, "nobody", "198.51.100.1", 5)
    assert known == unknown == [(401, ""), (401, ""), (401, ""), (429, "1"), (429, "1")]
    r = await w.client("198.51.100.1").post(
        "/api/v1/session", json={"username": "nobody", "password": "x", "totp": ""}
    )
    assert r.status_code == 429 and r.json()["detail"] == str(THROTTLED)


async def test_failed_logins_and_throttling_are_audited(w: World) -> None:
    await failures(w, "nobody", "192.0.2.9", 4)
    admin = await w.login("admin")
    entries = (await admin.get("/api/v1/audit", params={"subject": "user:nobody"})).json()
    actions = [(e["action"], e["details"]) for e in reversed(entries)]
    assert [a for a, _ in actions] == ["session.login_failed"] * 3 + ["session.throttled"]
    # The third failure starts the wait; the refused fourth try writes nothing more.
    failed = {"source": "192.0.2.9", "failures": 3, "reason": "unknown_user"}
    assert actions[2][1] == failed
    assert actions[3][1] == failed | {"wait_s": 1.0}


async def test_each_failed_login_is_audited_with_its_reason_and_never_the_password(
    w: World,
) -> None:
    good = w.users["operator"].password
    await attempt(w, "nobody", "secret-typed-1", w.totp("operator"))
    await attempt(w, "operator", "secret-typed-2", w.totp("operator"))
    await attempt(w, "operator", good, "000000")
    used = w.totp("operator")
    assert (await attempt(w, "operator", good, used))[0] == 200
    assert await attempt(w, "operator", good, used) == (
        401,
        str(WRONG_LOGIN),
    )  # a code logs in once
    admin = await w.login("admin")
    disabled = await admin.post(
        "/api/v1/users/supervisor/disable", json={"reason": "left the centre"}
    )
    assert disabled.status_code == 200
    assert await attempt(w, "supervisor", w.users["supervisor"].password, w.totp("supervisor")) == (
        401,
        str(WRONG_LOGIN),
    )
    entries = (await admin.get("/api/v1/audit", params={"action": "session.login_failed"})).json()
    reasons = [(e["subject"], e["details"]["reason"]) for e in reversed(entries)]
    assert reasons == [
        ("user:nobody", "unknown_user"),
        ("user:operator", "wrong_password"),
        ("user:operator", "wrong_totp"),
        ("user:operator", "wrong_totp"),
        ("user:supervisor", "disabled"),
    ]
    everything = (await admin.get("/api/v1/audit", params={"limit": 5000})).json()
    assert "secret-typed" not in str(everything) and good not in str(everything)
    # The failures are links of the chain like any other entry.
    assert verify_chain(w).ok


async def test_a_throttled_user_is_told_to_ask_an_administrator(w: World) -> None:
    await failures(w, "operator", "192.0.2.10", 4)
    r = await w.client("192.0.2.10").post(
        "/api/v1/session", json={"username": "operator", "password": "x", "totp": ""}
    )
    assert r.status_code == 429 and "administrator" in r.json()["detail"]
    throttled = (
        await (await w.login("admin")).get(
            "/api/v1/audit", params={"action": "session.throttled", "subject": "user:operator"}
        )
    ).json()
    assert len(throttled) == 1 and throttled[0]["details"]["wait_s"] == 1.0


async def test_logout_expiry_language_and_csrf(w: World) -> None:
    c = await w.login("operator")
    r = await c.patch("/api/v1/session", json={"language": "ky"})
    assert r.status_code == 200 and r.json()["user"]["language"] == "ky"
    bad = await c.patch("/api/v1/session", json={"language": "de"})
    assert bad.status_code == 422 and "'language'" in bad.json()["detail"]
    r = await c.patch("/api/v1/session", json={"language": "en"}, headers={"X-CSRF-Token": ""})
    assert r.status_code == 403
    assert (await c.get("/api/v1/session")).json()["user"]["language"] == "ky"

    assert (await c.delete("/api/v1/session")).status_code == 204
    assert (await c.get("/api/v1/session")).status_code == 401

    c2 = await w.login("operator")
    w.auth_clock.t += w.pipeline.settings.session_hours * 3600 + 1
    r = await c2.get("/api/v1/alerts")
    assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_administrator_manages_users_and_nobody_else_does(w: World) -> None:
    admin = await w.login("admin")
    r = await admin.post(
        "/api/v1/users",
        json={
            "username": "night-op",
            "role": "operator",
            "districts": ["KG-GB-OKT"],
            "reason": "new night shift",
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["user"]["districts"] == ["KG-GB-OKT"] and created["user"]["totp"]
    assert created["totp_uri"].startswith("otpauth://totp/Korgoo:night-op")
    # The new user logs in with the password and TOTP secret shown once.
    code = pyotp.TOTP(created["totp_secret"]).at(int(w.auth_clock()))
    assert (await attempt(w, "night-op", created["password"], code))[0] == 200

    r = await admin.post(
        "/api/v1/users",
        json={"username": "night-op", "role": "operator", "reason": "new night shift"},
    )
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = await admin.post(
        "/api/v1/users",
        json={"username": "duty", "role": "janitor", "reason": "new night shift"},
    )
    assert r.status_code == 422 and "cannot be created" in r.json()["detail"]
    r = await admin.post(
        "/api/v1/users",
        json={"username": "duty", "role": "police_duty_officer", "reason": "new night shift"},
    )
    assert r.status_code == 422 and "at least one" in r.json()["detail"]
    r = await admin.post(
        "/api/v1/users",
        json={
            "username": "x",
            "role": "operator",
            "districts": ["KG-XX"],
            "reason": "new night shift",
        },
    )
    assert r.status_code == 422 and "KG-XX" in r.json()["detail"]
    names = [u["username"] for u in (await admin.get("/api/v1/users")).json()]
    assert "night-op" in names and "operator" in names

    for who in ("operator", "supervisor"):
        c = await w.login(who)
        assert (await c.get("/api/v1/users")).status_code == 403
        r = await c.post(
            "/api/v1/users",
            json={"username": "y", "role": "administrator", "reason": "new night shift"},
        )
        assert r.status_code == 403 and "users.admin" in r.json()["detail"]


def test_cli_user_add_prints_password_and_totp(w: World) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "user",
            "add",
            "duty-sup",
            "--role",
            "supervisor",
            "--districts",
            "KG-GB-OKT",
            "--districts",
            "KG-GB-LEN",
            "--language",
            "en",
            "--database-url",
            w.url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "password:" in result.output and "otpauth://totp/" in result.output
    with open_engine(w.url).connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT role, districts, language, totp_secret FROM users "
                "WHERE username = 'duty-sup'"
            )
        ).one()
    assert row.role == "supervisor" and row.language == "en" and row.totp_secret
    assert "KG-GB-LEN" in str(row.districts)
    again = runner.invoke(
        cli, ["user", "add", "duty-sup", "--role", "operator", "--database-url", w.url]
    )
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(cli, ["user", "add", "c", "--role", "janitor", "--database-url", w.url])
    assert bad.exit_code == 2 and "cannot be created" in bad.output


def test_cli_user_contacts_sets_and_clears_the_units_addresses(w: World) -> None:
    runner = CliRunner()
    base = ["user", "contacts", "police-okt", "--database-url", w.url]
    result = runner.invoke(cli, [*base, "--phone", "+996700000101", "--email", "d@police.kg"])
    assert result.exit_code == 0, result.output
    user = get_user(w.pipeline.db, "police-okt")
    assert user is not None and (user.phone, user.email) == ("+996700000101", "d@police.kg")
    assert runner.invoke(cli, [*base, "--phone", "+996700000101"]).exit_code == 0
    user = get_user(w.pipeline.db, "police-okt")
    assert user is not None and (user.phone, user.email) == ("+996700000101", None)
    nobody = runner.invoke(cli, ["user", "contacts", "nobody", "--database-url", w.url])
    assert nobody.exit_code == 2 and "no user nobody" in nobody.output
