"""The bearer-token dependency: what it lets through and how it refuses."""

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from auth_service.tokens import SigningKey, TokenIssuer
from spendscore_common.tokens import JwksKeyStore
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_with(**overrides):
    now = int(time.time())
    claims = {"sub": "user-1", "roles": ["user"], "iat": now, "exp": now + 600}
    claims |= {"iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "jti": "j1"}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: SigningKey, claims, kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": kid or key.kid})


def hs256(claims, secret: bytes, kid: str) -> str:
    """An HMAC token keyed with the public key: the classic algorithm-confusion forgery."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def bad_tokens(issuer: TokenIssuer) -> dict[str, str]:
    key, kid, now = issuer.signing_key, issuer.signing_key.kid, int(time.time())
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other_key = SigningKey.generate()
    return {
        "alg none": jwt.encode(claims_with(), key=None, algorithm="none", headers={"kid": kid}),
        "HS256 signed with the public key": hs256(claims_with(), public_pem, kid),
        "another key claiming our kid": sign(other_key, claims_with(), kid=kid),
        "unknown kid": sign(other_key, claims_with()),
        "expired": sign(key, claims_with(iat=now - 8000, exp=now - 600)),
        "not yet valid": sign(key, claims_with(nbf=now + 600)),
        "wrong issuer": sign(key, claims_with(iss="someone-else")),
        "wrong audience": sign(key, claims_with(aud="another-product")),
        "no subject": sign(key, claims_with(sub=None)),
        "no roles": sign(key, claims_with(roles=None)),
        "no expiry": sign(key, claims_with(exp=None)),
        "no token id": sign(key, claims_with(jti=None)),
        "roles not a list": sign(key, claims_with(roles="admin")),
        "garbage": "not.a.token",
    }


async def test_valid_token_gives_the_principal(client, token_issuer):
    token = token_issuer.issue(subject="user-1", roles=["user"])
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"user_id": "user-1"}


async def test_small_clock_skew_is_tolerated(client, token_issuer):
    token = sign(token_issuer.signing_key, claims_with(exp=int(time.time()) - 5))
    assert (await client.get("/me", headers=bearer(token))).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}])
async def test_missing_or_malformed_header_is_401_with_challenge(client, headers):
    response = await client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_every_kind_of_bad_token_is_401(client, token_issuer):
    for case, token in bad_tokens(token_issuer).items():
        response = await client.get("/me", headers=bearer(token))
        assert response.status_code == 401, case
        assert response.headers["www-authenticate"] == "Bearer", case
        assert set(response.json()) == {"detail"}, case


async def test_missing_role_is_403(client, token_issuer):
    user = await client.get("/admin-only", headers=bearer(token_issuer.issue(subject="u", roles=["user"])))
    assert user.status_code == 403
    admin = await client.get("/admin-only", headers=bearer(token_issuer.issue(subject="u", roles=["admin"])))
    assert admin.status_code == 200


async def test_unknown_kid_refetches_the_jwks_once(token_issuer):
    """Key rotation: a token with a new kid makes the store fetch the JWKS again."""
    fetches = []

    def jwks_endpoint(request: httpx.Request) -> httpx.Response:
        fetches.append(request.url.path)
        return httpx.Response(200, json=token_issuer.jwks())

    store = JwksKeyStore("http://auth/jwks", httpx.AsyncClient(transport=httpx.MockTransport(jwks_endpoint)))
    assert await store.get_key(token_issuer.signing_key.kid) is not None
    assert await store.get_key("forged-kid") is None  # within the refresh interval: no second fetch
    assert fetches == ["/jwks"]


async def test_before_any_key_is_fetched_tokens_get_503_not_500(client_before_auth_is_up, token_issuer):
    token = token_issuer.issue(subject="u", roles=["user"])
    response = await client_before_auth_is_up.get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
