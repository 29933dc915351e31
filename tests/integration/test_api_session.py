"""Logging in and out: password and TOTP, the same answer for every wrong
credential, lockout, session cookie and CSRF token, language; users created by
an administrator and by `korgoo user add`."""

from __future__ import annotations

import pyotp
import sqlalchemy as sa
from typer.testing import CliRunner

from korgoo.api.auth import WRONG_LOGIN, token_hash
from korgoo.cli import app as cli
from korgoo.store.db import open_engine

from .api_world import World, world_fixture

__all__ = ["world_fixture"]


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
    assert await attempt(w, "nobody", good, w.totp("operator")) == (401, WRONG_LOGIN)
    assert await attempt(w, "operator", "wrong password", w.totp("operator")) == (401, WRONG_LOGIN)
    assert await attempt(w, "operator", good, "000000") == (401, WRONG_LOGIN)
    # Operators and supervisors need the second factor; administrators do not.
    assert await attempt(w, "supervisor", w.users["supervisor"].password) == (401, WRONG_LOGIN)
    assert (await attempt(w, "admin", w.users["admin"].password))[0] == 200


async def test_lockout_after_repeated_failures_then_unlock(w: World) -> None:
    good = w.users["operator"].password
    for _ in range(w.pipeline.settings.login_max_failures - 1):
        assert (await attempt(w, "operator", "wrong"))[0] == 401
    status, message = await attempt(w, "operator", "wrong")
    assert status == 423 and "locked" in message and "administrator" in message
    # Even the right password is refused while locked.
    status, message = await attempt(w, "operator", good, w.totp("operator"))
    assert status == 423 and "Try again after" in message
    # After the lockout time the right credentials work again.
    w.auth_clock.t += w.pipeline.settings.login_lockout_minutes * 60 + 1
    assert (await attempt(w, "operator", good, w.totp("operator")))[0] == 200

    # An administrator can lift a lockout at once.
    for _ in range(w.pipeline.settings.login_max_failures):
        await attempt(w, "operator", "wrong")
    assert (await attempt(w, "operator", good, w.totp("operator")))[0] == 423
    admin = await w.login("admin")
    assert (await admin.post("/api/v1/users/operator/unlock")).status_code == 200
    assert (await attempt(w, "operator", good, w.totp("operator")))[0] == 200
    assert (await admin.post("/api/v1/users/nobody/unlock")).status_code == 404


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
        json={"username": "night-op", "role": "operator", "districts": ["KG-GB-OKT"]},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["user"]["districts"] == ["KG-GB-OKT"] and created["user"]["totp"]
    assert created["totp_uri"].startswith("otpauth://totp/Korgoo:night-op")
    # The new user logs in with the password and TOTP secret shown once.
    code = pyotp.TOTP(created["totp_secret"]).at(int(w.auth_clock()))
    assert (await attempt(w, "night-op", created["password"], code))[0] == 200

    r = await admin.post("/api/v1/users", json={"username": "night-op", "role": "operator"})
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = await admin.post("/api/v1/users", json={"username": "duty", "role": "police_duty_officer"})
    assert r.status_code == 422 and "cannot be created" in r.json()["detail"]
    r = await admin.post(
        "/api/v1/users", json={"username": "x", "role": "operator", "districts": ["KG-XX"]}
    )
    assert r.status_code == 422 and "KG-XX" in r.json()["detail"]
    names = [u["username"] for u in (await admin.get("/api/v1/users")).json()]
    assert "night-op" in names and "operator" in names

    for who in ("operator", "supervisor"):
        c = await w.login(who)
        assert (await c.get("/api/v1/users")).status_code == 403
        r = await c.post("/api/v1/users", json={"username": "y", "role": "administrator"})
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
    bad = runner.invoke(cli, ["user", "add", "c", "--role", "court", "--database-url", w.url])
    assert bad.exit_code == 2 and "cannot be created" in bad.output
