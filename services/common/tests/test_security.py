"""The bearer-token dependency: what it lets through and how it refuses."""

import asyncio
import time

import httpx
import jwt
import pytest

from auth_service.tokens import SigningKey
from spendscore_common.tokens import InvalidTokenError, JwksKeyStore, TokenVerifier
from testkit.forged_tokens import claims_with, forged_tokens, sign
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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
    for case, token in forged_tokens(token_issuer.signing_key).items():
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


async def test_a_kid_deleted_then_recreated_with_another_key_refuses_old_tokens(
    client, key_store, token_issuer
):
    old_token = token_issuer.issue(subject="u", roles=["user"])
    replacement = SigningKey.generate().public_jwk | {"kid": token_issuer.signing_key.kid}
    key_store.set_keys({"keys": [replacement]})
    assert (await client.get("/me", headers=bearer(old_token))).status_code == 401


async def test_a_remembered_token_is_refused_once_expired(key_store, token_issuer):
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, leeway_seconds=0)
    token = sign(token_issuer.signing_key, claims_with(exp=int(time.time()) + 2))
    assert (await verifier.verify(token)).user_id == "user-1"
    assert (await verifier.verify(token)).user_id == "user-1"  # from the cache
    await asyncio.sleep(
        max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.1
    )
    with pytest.raises(InvalidTokenError, match="expired"):
        await verifier.verify(token)


async def test_the_token_cache_is_bounded_and_keeps_refusing_bad_tokens(key_store, token_issuer):
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, cache_size=3)
    tokens = [token_issuer.issue(subject=f"user-{number}", roles=["user"]) for number in range(5)]
    for token in tokens + tokens:
        assert (await verifier.verify(token)).user_id.startswith("user-")
    assert len(verifier._verified) == 3
    for case, token in forged_tokens(token_issuer.signing_key).items():
        for _ in range(2):
            with pytest.raises(InvalidTokenError):
                await verifier.verify(token)
        assert token not in verifier._verified, case


async def test_keep_fresh_drops_a_key_removed_from_the_jwks_and_survives_auth_outages(token_issuer):
    import asyncio

    published = {"jwks": token_issuer.jwks(), "up": True}

    def jwks_endpoint(request: httpx.Request) -> httpx.Response:
        if not published["up"]:
            raise httpx.ConnectError("auth is down", request=request)
        return httpx.Response(200, json=published["jwks"])

    store = JwksKeyStore("http://auth/jwks", httpx.AsyncClient(transport=httpx.MockTransport(jwks_endpoint)))
    refresher = asyncio.create_task(store.keep_fresh(every_seconds=0.05, retry_seconds=0.05))
    try:
        await asyncio.sleep(0.1)
        kid = token_issuer.signing_key.kid
        assert await store.get_key(kid) is not None
        published["up"] = False
        await asyncio.sleep(0.15)
        assert await store.get_key(kid) is not None  # auth down: the cached key stays
        published.update(up=True, jwks={"keys": [SigningKey.generate().public_jwk]})
        await asyncio.sleep(0.15)
        assert kid not in store._keys  # retired at the auth service: no longer trusted
    finally:
        refresher.cancel()
