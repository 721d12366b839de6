"""Login (JSON and OAuth2 form), token contents, 2-hour expiry, no account enumeration."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import time_machine

from auth_service.tokens import ACCESS_TOKEN_TTL_SECONDS


async def test_login_returns_a_two_hour_bearer_token(api):
    response = await api.login(api.admin_email, api.admin_password)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7200 == ACCESS_TOKEN_TTL_SECONDS


async def test_token_carries_the_user_claims_signed_with_eddsa(api):
    account = await api.create_user(name="Ada Owner")

    header = jwt.get_unverified_header(account.token)
    claims = jwt.decode(account.token, options={"verify_signature": False})

    assert header["alg"] == "EdDSA"
    assert header["kid"] == api.app.state.token_issuer.signing_key.kid
    assert claims["sub"] == account.id
    assert claims["email"] == account.email
    assert claims["name"] == "Ada Owner"
    assert claims["roles"] == ["user"]
    assert claims["iss"] == "spendscore-auth"
    assert claims["aud"] == "spendscore"
    assert claims["exp"] - int(claims["iat"]) == 7200
    assert claims["nbf"] == int(claims["iat"])  # iat keeps milliseconds (revocation compares it)
    assert uuid.UUID(hex=claims["jti"])


async def test_oauth2_form_login_gives_the_same_kind_of_token(api):
    response = await api.client.post(
        "/auth/token", data={"username": api.admin_email, "password": api.admin_password}
    )

    assert response.status_code == 200
    assert response.json()["expires_in"] == 7200
    me = await api.client.get(
        "/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["email"] == api.admin_email


async def test_email_is_case_insensitive_and_login_is_recorded(api):
    account = await api.create_user()

    response = await api.login(account.email.upper(), account.password)

    assert response.status_code == 200
    me = await api.client.get("/users/me", headers=account.headers)
    assert me.json()["last_login_at"] is not None


async def test_unknown_email_and_wrong_password_get_the_same_answer(api):
    account = await api.create_user()

    wrong_password = await api.login(account.email, "not-the-password")
    unknown_email = await api.login("nobody@spendscore.test", "not-the-password")
    malformed_email = await api.login("not an email", "not-the-password")

    assert wrong_password.status_code == unknown_email.status_code == malformed_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == malformed_email.json()
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"] == "Bearer"


async def test_unknown_email_costs_a_bcrypt_check_too(api, monkeypatch):
    hasher = api.app.state.password_hasher
    checked: list[str] = []
    real_verify_dummy = hasher.verify_dummy

    async def spy(password: str) -> None:
        checked.append(password)
        await real_verify_dummy(password)

    monkeypatch.setattr(hasher, "verify_dummy", spy)

    await api.login("nobody@spendscore.test", "a-guess-1234")

    assert checked == ["a-guess-1234"]


async def test_a_deactivated_user_cannot_log_in_and_learns_why_only_with_the_right_password(api):
    account = await api.create_user()
    await api.client.patch(
        f"/admin/users/{account.id}", json={"is_active": False}, headers=await api.admin_headers()
    )

    right = await api.login(account.email, account.password)
    wrong = await api.login(account.email, "not-the-password")

    assert right.status_code == 403
    assert right.json() == {"detail": "This account is deactivated", "code": "account_deactivated"}
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Incorrect email or password"}


async def test_an_overlong_password_at_login_is_a_plain_401(api):
    response = await api.login(api.admin_email, "x" * 100)

    assert response.status_code == 401


async def test_token_is_accepted_until_it_expires_two_hours_later(api):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        account = await api.create_user()
        traveller.move_to(start + timedelta(hours=1, minutes=59))
        assert (await api.client.get("/users/me", headers=account.headers)).status_code == 200
        traveller.move_to(start + timedelta(hours=2, minutes=1))
        expired = await api.client.get("/users/me", headers=account.headers)

    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"
    assert expired.json() == {"detail": "token expired"}


async def test_missing_or_garbage_token_is_401(api):
    missing = await api.client.get("/users/me")
    garbage = await api.client.get("/users/me", headers={"Authorization": "Bearer not.a.token"})

    assert missing.status_code == garbage.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_readiness_reports_database_and_keys(api):
    response = await api.client.get("/readyz")

    # Customers is not running here: reported, but auth stays ready (logins do not need it).
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "signing_keys": "ok", "customers": "unavailable"}
