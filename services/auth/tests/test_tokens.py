"""The JWKS and what a verifier elsewhere (spendscore_common.tokens) accepts and refuses."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from auth_service.tokens import SigningKey, TokenIssuer
from spendscore_common.tokens import InvalidTokenError, JwksKeyStore, TokenVerifier


def verifier_of(api) -> TokenVerifier:
    """A verifier as another service builds it, fetching the JWKS from the app over HTTP (ASGI)."""
    store = JwksKeyStore("http://auth.test/.well-known/jwks.json", api.client)
    return TokenVerifier(store, issuer="spendscore-auth", audience="spendscore")


def valid_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": "1f0c2f9e-0000-4000-8000-000000000001",
        "email": "owner@spendscore.test",
        "name": "Owner",
        "roles": ["user"],
        "iat": now,
        "nbf": now,
        "exp": now + 7200,
        "iss": "spendscore-auth",
        "aud": "spendscore",
        "jti": "abc123",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def signed(api, claims: dict, *, key: SigningKey | None = None, kid: str | None = None) -> str:
    issuer_key = api.app.state.token_issuer.signing_key
    key = key or issuer_key
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": kid or issuer_key.kid})


def b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


async def test_jwks_publishes_the_signing_key(api):
    response = await api.client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key == api.app.state.token_issuer.signing_key.public_jwk
    assert {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"}.items() <= key.items()
    assert "d" not in key


async def test_a_real_login_token_verifies_elsewhere(api):
    account = await api.create_user()

    principal = await verifier_of(api).verify(account.token)

    assert principal.user_id == account.id
    assert principal.roles == frozenset({"user"})
    assert principal.email == account.email


async def test_alg_none_is_refused(api):
    header = {"alg": "none", "typ": "JWT", "kid": api.app.state.token_issuer.signing_key.kid}
    token = f"{b64(header)}.{b64(valid_claims())}."

    with pytest.raises(InvalidTokenError, match="algorithm not accepted"):
        await verifier_of(api).verify(token)


async def test_hs256_signed_with_the_public_key_is_refused(api):
    signing_key = api.app.state.token_issuer.signing_key
    public_pem = signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64({"alg": "HS256", "typ": "JWT", "kid": signing_key.kid})
    payload = b64(valid_claims())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"

    with pytest.raises(InvalidTokenError, match="algorithm not accepted"):
        await verifier_of(api).verify(token)


async def test_a_token_signed_by_another_key_is_refused(api):
    other = SigningKey.generate()

    with pytest.raises(InvalidTokenError, match="invalid token"):
        await verifier_of(api).verify(signed(api, valid_claims(), key=other))  # our kid, other key
    with pytest.raises(InvalidTokenError, match="unknown key"):
        await verifier_of(api).verify(signed(api, valid_claims(), key=other, kid=other.kid))


async def test_a_modified_payload_is_refused(api):
    account = await api.create_user()
    header, _payload, signature = account.token.split(".")
    forged = f"{header}.{b64(valid_claims(sub=account.id, roles=['admin']))}.{signature}"

    with pytest.raises(InvalidTokenError):
        await verifier_of(api).verify(forged)


@pytest.mark.parametrize(
    "changes",
    [{"iss": "someone-else"}, {"aud": "another-audience"}],
    ids=["wrong-iss", "wrong-aud"],
)
async def test_wrong_issuer_or_audience_is_refused(api, changes):
    with pytest.raises(InvalidTokenError):
        await verifier_of(api).verify(signed(api, valid_claims(**changes)))


async def test_an_expired_token_is_refused(api):
    now = int(time.time())

    with pytest.raises(InvalidTokenError, match="expired"):
        await verifier_of(api).verify(
            signed(api, valid_claims(iat=now - 7300, nbf=now - 7300, exp=now - 100))
        )


@pytest.mark.parametrize("missing", ["sub", "roles", "iat", "exp", "iss", "aud", "jti"])
async def test_a_token_missing_a_claim_is_refused(api, missing):
    with pytest.raises(InvalidTokenError):
        await verifier_of(api).verify(signed(api, valid_claims(**{missing: None})))


async def test_the_service_itself_refuses_tampered_tokens(api):
    other = SigningKey.generate()
    token = signed(api, valid_claims(), key=other, kid=other.kid)

    response = await api.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_retired_keys_stay_published_and_trusted(open_api, make_settings, tmp_path):
    retired = TokenIssuer(SigningKey.generate(), issuer="spendscore-auth", audience="spendscore")
    retired_file = tmp_path / "retired-jwks.json"
    retired_file.write_text(json.dumps(retired.jwks()))

    async with open_api(make_settings(retired_public_keys_file=retired_file)) as api:
        admin_id = (await api.client.get("/users/me", headers=await api.admin_headers())).json()["id"]
        old_token = retired.issue(subject=admin_id, roles=["admin", "user"], email=api.admin_email)
        kids = [key["kid"] for key in (await api.client.get("/.well-known/jwks.json")).json()["keys"]]
        response = await api.client.get("/users/me", headers={"Authorization": f"Bearer {old_token}"})

    assert kids == [api.app.state.token_issuer.signing_key.kid, retired.signing_key.kid]
    assert response.status_code == 200
