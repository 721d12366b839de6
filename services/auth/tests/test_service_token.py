"""Service tokens: the customers service trades CUSTOMERS_SERVICE_SECRET for a 10-minute token."""

import jwt
import pytest

from spendscore_common.tokens import JwksKeyStore, TokenVerifier

SECRET = "customers-secret-0123456789abcdef0123456789abcdef"
REFUSED = {"detail": "Invalid client credentials"}


@pytest.fixture
async def api_with_secret(open_api, make_settings):
    async with open_api(make_settings(customers_service_secret=SECRET)) as running:
        yield running


async def ask(api, client_id: str = "customers", client_secret: str = SECRET):
    return await api.client.post(
        "/auth/service-token", json={"client_id": client_id, "client_secret": client_secret}
    )


async def test_the_customers_service_gets_a_ten_minute_service_token(api_with_secret):
    response = await ask(api_with_secret)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 600
    token = body["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "service:customers"
    assert claims["roles"] == ["service"]
    assert claims["email"] is None
    assert claims["name"] == "customers service"
    assert claims["exp"] - int(claims["iat"]) == 600
    assert jwt.get_unverified_header(token)["kid"] == api_with_secret.app.state.token_issuer.signing_key.kid
    verifier = TokenVerifier(
        JwksKeyStore("http://auth.test/.well-known/jwks.json", api_with_secret.client),
        issuer="spendscore-auth",
        audience="spendscore",
    )
    principal = await verifier.verify(token)
    assert principal.user_id == "service:customers" and principal.roles == frozenset({"service"})


@pytest.mark.parametrize(
    ("client_id", "client_secret"),
    [("customers", SECRET[:-1] + "X"), ("customers", ""), ("inference", SECRET), ("", SECRET)],
    ids=["wrong-secret", "empty-secret", "unknown-client", "empty-client"],
)
async def test_wrong_credentials_all_get_the_same_401(api_with_secret, client_id, client_secret):
    response = await ask(api_with_secret, client_id, client_secret)

    assert response.status_code == 401
    assert response.json() == REFUSED
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("configured", [None, ""], ids=["unset", "empty"])
async def test_without_a_configured_secret_no_service_token_is_issued(open_api, make_settings, configured):
    async with open_api(make_settings(customers_service_secret=configured)) as api:
        empty = await ask(api, client_secret="")
        guess = await ask(api, client_secret=SECRET)

    assert empty.status_code == guess.status_code == 401
    assert empty.json() == guess.json() == REFUSED


async def test_a_service_token_is_no_user_session(api_with_secret):
    token = (await ask(api_with_secret)).json()["access_token"]

    response = await api_with_secret.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


async def test_the_endpoint_is_documented(api):
    operation = (await api.client.get("/openapi.json")).json()["paths"]["/auth/service-token"]["post"]

    assert "customers" in operation["summary"] and "CUSTOMERS_SERVICE_SECRET" in operation["summary"]
    assert "401" in operation["responses"]
