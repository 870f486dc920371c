"""Sign-up, sign-in, cookies, CSRF, refresh rotation and reuse, logout, invitations and password resets."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI

from api.deps import Platform
from reviewlab.accounts import Role, User
from reviewlab.mail import MemoryMailer
from tests.api import BASE_URL, PASSWORD, PROBLEM, Client, new_email


def jar(client: Client) -> dict[str, str]:
    """The client's cookies by name (whatever their path), to copy into another client."""
    return {cookie.name: cookie.value or "" for cookie in client.cookies.jar}


def set_cookies(response: object) -> dict[str, SimpleCookie]:
    jar: dict[str, SimpleCookie] = {}
    for raw in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(raw)
        for name in cookie:
            jar[name] = cookie
    return jar


def test_register_then_login_sets_the_three_cookies_with_the_seed_flags(client: Client) -> None:
    email = new_email()
    registered = client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    assert registered.json()["role"] == "viewer"
    assert "password" not in registered.text

    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})

    assert response.status_code == 200
    cookies = set_cookies(response)
    access = cookies["access_token"]["access_token"]
    refresh = cookies["refresh_token"]["refresh_token"]
    csrf = cookies["csrf_token"]["csrf_token"]
    for morsel in (access, refresh, csrf):
        assert morsel["secure"] is True
        assert morsel["samesite"].lower() == "lax"
    assert access["httponly"] is True
    assert refresh["httponly"] is True
    assert not csrf["httponly"]  # the page reads it to send X-CSRF-Token
    assert refresh["path"] == "/api/auth"
    assert response.json()["csrf_token"] == csrf.value
    assert client.get("/api/auth/me").json()["email"] == email


def test_register_refuses_a_weak_password_and_a_taken_email(client: Client, make_user: Callable[..., User]) -> None:
    weak = client.post("/api/auth/register", json={"email": new_email(), "password": "short"})
    assert weak.status_code == 422
    assert weak.headers["content-type"] == PROBLEM

    user = make_user()
    taken = client.post("/api/auth/register", json={"email": user.email.upper(), "password": PASSWORD})
    assert taken.status_code == 409


def test_register_refuses_unknown_fields(client: Client) -> None:
    response = client.post("/api/auth/register", json={"email": new_email(), "password": PASSWORD, "role": "admin"})

    assert response.status_code == 422


def test_wrong_password_and_unknown_account_answer_alike(client: Client, make_user: Callable[..., User]) -> None:
    user = make_user()
    wrong = client.post("/api/auth/login", json={"email": user.email, "password": "not the password"})
    unknown = client.post("/api/auth/login", json={"email": new_email("ghost"), "password": "not the password"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "access_token" not in set_cookies(wrong)


def test_login_takes_the_same_time_whether_or_not_the_account_exists(
    client: Client, make_user: Callable[..., User], platform: Platform
) -> None:
    user = make_user()

    def timed(email: str) -> float:
        started = time.perf_counter()
        client.post("/api/auth/login", json={"email": email, "password": "not the password"})
        return time.perf_counter() - started

    platform.limiter.rules = platform.limiter.rules.__class__(())  # no limits: this test makes many attempts
    timed(user.email), timed(new_email("ghost"))  # warm-up (first audit append, caches), not measured
    known, unknown = [], []
    for _ in range(25):  # interleaved: load on the machine and drift weigh on both alike
        known.append(timed(user.email))
        unknown.append(timed(new_email("ghost")))

    # Both paths verify one Argon2id hash; medians differ by scheduling noise, not by a hash (~ms).
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.5 * statistics.median(known)


def test_every_login_attempt_is_audited(client: Client, make_user: Callable[..., User], platform: Platform) -> None:
    user = make_user()
    client.post("/api/auth/login", json={"email": user.email, "password": "nope nope nope"})
    client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})

    actions = [r.action for r in platform.services().audit.query(limit=10)]
    assert actions[:2] == ["auth.login", "auth.login.failed"]
    failed = platform.services().audit.query(action_prefix="auth.login.failed", limit=1)[0]
    assert failed.details == {"email": user.email}
    assert failed.ip is not None


def test_state_changes_need_the_csrf_header_equal_to_the_cookie(app: FastAPI, make_user: Callable[..., User]) -> None:
    user = make_user()
    with Client(app, base_url=BASE_URL) as client:
        client.auto_csrf = False
        no_token = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        assert no_token.status_code == 403
        assert no_token.headers["content-type"] == PROBLEM

        token = client.get("/api/auth/csrf").json()["csrf_token"]
        wrong = client.post(
            "/api/auth/login", json={"email": user.email, "password": PASSWORD}, headers={"X-CSRF-Token": token + "x"}
        )
        assert wrong.status_code == 403
        ok = client.post(
            "/api/auth/login", json={"email": user.email, "password": PASSWORD}, headers={"X-CSRF-Token": token}
        )
        assert ok.status_code == 200

        # Signed in, the anonymous token no longer works: tokens are bound to their session.
        signed = jar(client)
    with Client(app, base_url=BASE_URL, cookies=signed | {"csrf_token": token}) as stale:
        stale.auto_csrf = False
        assert stale.post("/api/auth/logout", headers={"X-CSRF-Token": token}).status_code == 403
    with Client(app, base_url=BASE_URL, cookies=signed) as fresh:
        fresh.auto_csrf = False
        assert fresh.post("/api/auth/logout", headers={"X-CSRF-Token": signed["csrf_token"]}).status_code == 204


def test_a_csrf_token_from_another_session_is_refused(signed_in: Callable[..., Client], app: FastAPI) -> None:
    alice, mallory = signed_in(), signed_in()
    # Mallory plants her own (valid, signed) CSRF cookie in Alice's browser and sends it as the header.
    planted = jar(alice) | {"csrf_token": jar(mallory)["csrf_token"]}
    with Client(app, base_url=BASE_URL, cookies=planted) as forged:
        forged.auto_csrf = False
        response = forged.post("/api/auth/logout", headers={"X-CSRF-Token": planted["csrf_token"]})

    assert response.status_code == 403
    assert alice.get("/api/auth/me").status_code == 200


def test_safe_methods_need_no_csrf(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    client.auto_csrf = False

    assert client.get("/api/auth/me").status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_whole_session(signed_in: Callable[..., Client], app: FastAPI) -> None:
    client = signed_in()
    stolen = jar(client)

    rotated = client.post("/api/auth/refresh")
    assert rotated.status_code == 200
    assert jar(client)["refresh_token"] != stolen["refresh_token"]
    assert client.get("/api/auth/me").status_code == 200

    # An attacker replays the stolen, already-rotated token: the whole session dies, for both of them.
    with Client(app, base_url=BASE_URL, cookies=stolen) as attacker:
        replay = attacker.post("/api/auth/refresh")
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert client.post("/api/auth/refresh").status_code == 401
    assert client.get("/api/auth/me").status_code == 401


def test_logout_revokes_the_session_even_for_a_copied_access_token(
    signed_in: Callable[..., Client], app: FastAPI
) -> None:
    client = signed_in()
    copied = jar(client)

    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401

    with Client(app, base_url=BASE_URL, cookies=copied) as thief:
        response = thief.get("/api/auth/me")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_me_needs_a_session(client: Client) -> None:
    response = client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_a_forged_access_token_is_refused(client: Client) -> None:
    forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."
    client.cookies.set("access_token", forged)

    assert client.get("/api/auth/me").status_code == 401


def test_invitation_is_mailed_and_accepted_once(
    signed_in: Callable[..., Client], client: Client, mailer: MemoryMailer, platform: Platform
) -> None:
    admin = signed_in(Role.ADMIN)
    email = new_email("invited")

    invited = admin.post("/api/auth/invitations", json={"email": email, "role": "reviewer"})

    assert invited.status_code == 201
    assert "token" not in invited.json()
    mail = mailer.to(email)[-1]
    token = re.search(r"token=([A-Za-z0-9_%-]+)", mail.text).group(1)  # type: ignore[union-attr]
    accepted = client.post("/api/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 201
    assert accepted.json()["role"] == "reviewer"
    again = client.post("/api/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400
    assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    assert [r.action for r in platform.services().audit.query(action_prefix="auth.invit")] == [
        "auth.invitation.accepted",
        "auth.invite",
    ]


def test_only_admins_invite(signed_in: Callable[..., Client]) -> None:
    reviewer = signed_in(Role.REVIEWER)

    response = reviewer.post("/api/auth/invitations", json={"email": new_email(), "role": "admin"})

    assert response.status_code == 403


def test_password_reset_answers_alike_and_works_once(
    client: Client, make_user: Callable[..., User], mailer: MemoryMailer
) -> None:
    user = make_user()
    known = client.post("/api/auth/password-reset", json={"email": user.email})
    unknown = client.post("/api/auth/password-reset", json={"email": new_email("ghost")})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mailer.sent) == 1

    token = re.search(r"token=([A-Za-z0-9_%-]+)", mailer.last.text).group(1)  # type: ignore[union-attr]
    new_password = "a brand new passphrase"
    done = client.post("/api/auth/password-reset/confirm", json={"token": token, "password": new_password})
    assert done.status_code == 204
    assert (
        client.post("/api/auth/password-reset/confirm", json={"token": token, "password": PASSWORD}).status_code == 400
    )
    assert client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/api/auth/login", json={"email": user.email, "password": new_password}).status_code == 200


def test_a_password_reset_ends_existing_sessions(
    signed_in: Callable[..., Client], client: Client, platform: Platform
) -> None:
    victim = signed_in()
    user: User = victim.user
    token = platform.services().accounts.request_password_reset(user.email)
    assert token is not None

    client.post("/api/auth/password-reset/confirm", json={"token": token, "password": "a brand new passphrase"})

    assert victim.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("body", [{"email": "x"}, {"password": "y"}, [], "text", {"email": 1, "password": 2}])
def test_malformed_login_bodies_are_422(client: Client, body: object) -> None:
    response = client.post("/api/auth/login", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
