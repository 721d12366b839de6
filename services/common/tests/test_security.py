"""The bearer-token dependency: what it lets through and how it refuses."""

import asyncio
import json
import time

import httpx
import jwt
import pytest
from fastapi.exceptions import RequestValidationError

from auth_service.tokens import SigningKey
from spendscore_common.input_checks import validation_error_response
from spendscore_common.settings import ServiceSettings
from spendscore_common.tokens import (
    InvalidTokenError,
    JwksKeyStore,
    KeysUnavailableError,
    RevocationList,
    TokenVerifier,
    revocation_key,
)
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


# --- bounded requests and odd input (issue 12, items 1, 4, 6 and 10) -------------------------------


async def call_asgi(app, method: str, path: str, headers: dict[str, str], body_chunks: list[bytes]):
    """One request straight through the ASGI app: (status, headers, body, chunks the app read)."""
    chunks = list(body_chunks)
    read = []
    sent: list[dict] = []

    async def receive():
        if chunks:
            chunk = chunks.pop(0)
            read.append(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, len(read)


@pytest.mark.parametrize(
    "headers",
    [{"X-Junk": "a" * 9000}, {f"X-Junk-{number}": "a" * 7000 for number in range(5)}],
    ids=["one 9 KB header", "35 KB of headers"],
)
async def test_an_oversized_header_is_431_before_any_parsing(client, token_issuer, headers):
    token = token_issuer.issue(subject="user-1", roles=["user"])
    response = await client.get("/me", headers={**headers, "Authorization": f"Bearer {token}"})
    assert response.status_code == 431
    assert len(response.headers["x-request-id"]) == 32
    assert (await client.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_a_body_declared_over_the_limit_is_413_without_being_read(app):
    body = b'{"email": "a@b.c", "password": "' + b"x" * 2000 + b'", "age": 3}'
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    status, response_headers, answer, read = await call_asgi(app, "POST", "/sign-up", headers, [body])
    assert (status, read) == (413, 0)
    assert json.loads(answer) == {"detail": "request body larger than 1000 bytes"}
    assert response_headers[b"connection"] == b"close"


async def test_a_chunked_body_is_cut_off_at_the_limit(app):
    chunks = [b'{"email": "a@b.c", "password": "'] + [b"x" * 400] * 10 + [b'", "age": 3}']
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}
    status, _, _, read = await call_asgi(app, "POST", "/sign-up", headers, chunks)
    assert status == 413
    assert read <= 4  # stopped as soon as the limit was passed, not at the end of the body


async def test_an_upload_path_keeps_its_own_larger_limit(app, token_issuer):
    token = token_issuer.issue(subject="user-1", roles=["user"])
    headers = {"authorization": f"Bearer {token}", "content-length": "30000"}
    status, _, answer, _ = await call_asgi(app, "POST", "/upload", headers, [b"x" * 30000])
    assert (status, json.loads(answer)) == (200, {"bytes": 30000})
    headers["content-length"] = "60000"
    assert (await call_asgi(app, "POST", "/upload", headers, [b"x" * 60000]))[0] == 413


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
async def test_without_valid_credentials_the_401_comes_before_the_body_is_read(app, authorization):
    headers = {"content-length": "40000"} | ({"authorization": authorization} if authorization else {})
    chunks = [b"x" * 10000] * 4
    status, response_headers, _, read = await call_asgi(app, "POST", "/upload", headers, chunks)
    assert (status, read) == (401, 0)
    assert response_headers[b"www-authenticate"] == b"Bearer"
    assert response_headers[b"connection"] == b"close"  # the unread body is not read afterwards either


async def test_a_422_echoes_neither_passwords_nor_long_input(client):
    response = await client.post(
        "/sign-up", json={"email": 5, "password": ["hunter2-secret"], "age": "x" * 150, "nickname": 7}
    )
    assert response.status_code == 422
    errors = {tuple(error["loc"]): error for error in response.json()["detail"]}
    assert set(errors) == {("body", "email"), ("body", "password"), ("body", "age"), ("body", "nickname")}
    assert errors[("body", "email")]["input"] == 5  # short, not secret: still shown
    assert "input" not in errors[("body", "password")]
    assert "input" not in errors[("body", "age")]
    assert "hunter2" not in response.text and "x" * 101 not in response.text


ODD_BODIES = {
    "NaN": (b'{"email": "a@b.c", "password": "p", "age": NaN}', ["body", "age"]),
    "Infinity": (b'{"email": "a@b.c", "password": "p", "age": Infinity}', ["body", "age"]),
    "-Infinity": (b'{"email": "a@b.c", "password": "p", "age": -Infinity}', ["body", "age"]),
    "1e309": (b'{"email": "a@b.c", "password": "p", "age": 1e309}', ["body", "age"]),
    "NaN for a string": (b'{"email": NaN, "password": "p", "age": 3}', ["body", "email"]),
    "NUL in email": (b'{"email": "a\\u0000@b.c", "password": "p", "age": 3}', ["body", "email"]),
    "NUL in password": (b'{"email": "a@b.c", "password": "\\u0000", "age": 3}', ["body", "password"]),
    "lone surrogate": (b'{"email": "a@b.c", "password": "p", "age": 3, "nickname": "\\ud800"}', ["body", "nickname"]),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("body, loc", ODD_BODIES.values(), ids=ODD_BODIES.keys())
async def test_odd_json_input_is_a_422_naming_the_field(client, caplog, body, loc):
    response = await client.post("/sign-up", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize(
    "content_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/problem+JSON", None]
)
@pytest.mark.parametrize("body, loc", ODD_BODIES.values(), ids=ODD_BODIES.keys())
async def test_odd_json_input_is_a_422_whatever_the_media_types_spelling(
    client, caplog, body, loc, content_type
):
    # Media types are case-insensitive, and FastAPI reads a body without one as JSON (issue 30).
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/sign-up", content=body, headers=headers)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert not any(record.exc_info for record in caplog.records)


async def test_the_422_handler_survives_a_lone_surrogate_in_an_error():
    error = RequestValidationError(
        [{"type": "int_parsing", "loc": ("body", "age\ud800"), "msg": "bad \ud800", "input": "x\ud800"}]
    )
    response = await validation_error_response(None, error)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert json.loads(response.body)["detail"][0]["input"] == "x\ufffd\ufffd\ufffd"


async def test_an_escaped_backslash_before_u0000_is_plain_text(client):
    body = b'{"email": "a\\\\u0000@b.c", "password": "p", "age": 3}'
    response = await client.post("/sign-up", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"email": "a\\u0000@b.c"}


async def test_nul_in_a_query_or_form_field_is_a_422_naming_it(client):
    response = await client.get("/search", params={"q": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]
    response = await client.post("/sign-up", data={"password": "a\x00"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    response = await client.post(
        "/sign-up", content=b"password=a%00", headers={"content-type": "APPLICATION/X-WWW-FORM-URLENCODED"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


@pytest.mark.parametrize(
    "app_env, docs_enabled, served",
    [
        ("development", None, True),
        ("test", None, True),
        ("production", None, False),
        ("production", True, True),
    ],
)
async def test_docs_are_served_unless_switched_off(app_with_settings, app_env, docs_enabled, served):
    app = app_with_settings(ServiceSettings(app_env=app_env, docs_enabled=docs_enabled))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert ((await http.get(path)).status_code == 200) is served, path


def test_docs_enabled_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    assert ServiceSettings().docs_are_enabled is False
    monkeypatch.setenv("DOCS_ENABLED", "true")
    assert ServiceSettings().docs_are_enabled is True


# --- issue 12 ------------------------------------------------------------------------------------


async def test_an_over_long_token_is_refused_before_it_is_decoded(client, token_issuer, monkeypatch):
    """#1: a huge bearer token costs nothing: refused on its length alone."""
    decoded = []
    monkeypatch.setattr("base64.b64decode", lambda *args, **kwargs: decoded.append(args) or b"")
    genuine = token_issuer.issue(subject="user-1", roles=["user"], name="x" * 3000)

    response = await client.get("/me", headers=bearer(genuine + "A" * 2000))

    assert response.status_code == 401
    assert response.json() == {"detail": "token too long"}
    assert decoded == []


async def test_each_token_is_parsed_once(key_store, token_issuer, monkeypatch):
    """#1: the header is not parsed on its own and then the whole token again (PyJWT's parser is not
    run at all: one split, one decode of each part)."""
    import jwt.api_jws

    parses = []
    original = jwt.api_jws.PyJWS._load
    monkeypatch.setattr(
        jwt.api_jws.PyJWS, "_load", lambda self, token: parses.append(1) or original(self, token)
    )
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, cache_size=0)

    assert (await verifier.verify(token_issuer.issue(subject="user-1", roles=["user"]))).user_id == "user-1"
    assert parses == []


@pytest.mark.parametrize(
    "claims",
    [{"exp": float("inf")}, {"iat": True}, {"crit_header": True}, {"aud": ["other"]}, {"sub": 42}],
)
async def test_odd_claims_are_refused_by_the_single_pass_parser(key_store, token_issuer, claims):
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    if claims.pop("crit_header", False):
        token = jwt.encode(
            claims_with(),
            token_issuer.signing_key.private_key,
            algorithm="EdDSA",
            headers={"kid": token_issuer.signing_key.kid, "crit": ["exp"]},
        )
    else:
        # json.dumps writes inf as Infinity, which JSON does not allow: refused as malformed too.
        token = sign(token_issuer.signing_key, claims_with(**claims))
    with pytest.raises(InvalidTokenError):
        await verifier.verify(token)


def revocation_feed(entries: dict[str, float], state: dict) -> httpx.AsyncClient:
    """An auth service stand-in that publishes ``entries`` with an ETag and answers 304 to it."""

    def endpoint(request: httpx.Request) -> httpx.Response:
        state.setdefault("requests", []).append(request.headers.get("if-none-match"))
        if not state.get("up", True):
            raise httpx.ConnectError("auth is down", request=request)
        etag = f'"{len(entries)}-{sum(entries.values())}"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        body = {
            "revocations": [
                {"subject_hash": revocation_key(user), "issued_before": cutoff}
                for user, cutoff in entries.items()
            ]
        }
        return httpx.Response(200, json=body, headers={"ETag": etag})

    return httpx.AsyncClient(transport=httpx.MockTransport(endpoint))


async def test_tokens_issued_before_a_revocation_are_refused_even_when_remembered(key_store, token_issuer):
    """#2: the verifier keeps the feed fresh in the background; a cached token is checked again."""
    entries: dict[str, float] = {}
    state: dict = {}
    revocations = RevocationList("http://auth/revocations", revocation_feed(entries, state))
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, revocations=revocations)
    old = token_issuer.issue(subject="user-1", roles=["user"])
    bystander = token_issuer.issue(subject="user-2", roles=["user"])
    assert (await verifier.verify(old)).user_id == "user-1"  # first use fetches the feed, then remembered

    entries["user-1"] = time.time() + 0.001
    await asyncio.sleep(0.002)
    fresh = token_issuer.issue(subject="user-1", roles=["user"])
    refresher = asyncio.create_task(revocations.keep_fresh(every_seconds=0.02))
    try:
        await asyncio.sleep(0.1)
        with pytest.raises(InvalidTokenError, match="revoked"):
            await verifier.verify(old)
        assert (await verifier.verify(fresh)).user_id == "user-1"
        assert (await verifier.verify(bystander)).user_id == "user-2"
        assert any(state["requests"]), "later polls are conditional (If-None-Match)"
        state["up"] = False
        await asyncio.sleep(0.1)
        with pytest.raises(InvalidTokenError, match="revoked"):  # auth down: the last list stays
            await verifier.verify(old)
    finally:
        refresher.cancel()


async def test_without_any_revocation_list_tokens_get_503_not_trust(key_store, token_issuer):
    revocations = RevocationList("http://auth/revocations", revocation_feed({}, {"up": False}))
    verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, revocations=revocations)
    with pytest.raises(KeysUnavailableError):
        await verifier.verify(token_issuer.issue(subject="user-1", roles=["user"]))


async def test_a_token_that_must_change_its_password_is_403_with_a_code_except_where_allowed(
    client, token_issuer
):
    """Recovery: a token marked must_change_password opens only the routes that allow it."""
    token = token_issuer.issue(subject="user-1", roles=["admin"], must_change_password=True)

    for path in ("/me", "/admin-only"):
        refused = await client.get(path, headers=bearer(token))
        assert refused.status_code == 403, path
        assert refused.json() == {
            "detail": "You must choose a new password before continuing",
            "code": "password_change_required",
        }
    assert (await client.get("/who-am-i", headers=bearer(token))).json() == {"user_id": "user-1"}


async def test_only_the_auth_services_own_token_passes_require_auth_service(token_issuer):
    from fastapi import Depends, FastAPI

    from spendscore_common.security import require_auth_service

    app = FastAPI()
    app.state.token_verifier = TokenVerifier(
        JwksKeyStore.fixed(token_issuer.jwks()), issuer=TEST_ISSUER, audience=TEST_AUDIENCE
    )

    @app.delete("/wipe", dependencies=[Depends(require_auth_service)])
    async def wipe() -> dict[str, bool]:
        return {"ok": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        statuses = {
            caller: (
                await http.delete("/wipe", headers=bearer(token_issuer.issue(subject=caller, roles=roles)))
            ).status_code
            for caller, roles in {
                "auth-service": ["service"],
                "service:customers": ["service"],
                "an-admin": ["admin", "user"],
            }.items()
        }
    assert statuses == {"auth-service": 200, "service:customers": 403, "an-admin": 403}


def _respelled_signatures(token: str) -> list[str]:
    header, payload, signature = token.split(".")
    last = signature[-1]
    # An Ed25519 signature is 64 bytes: its 86th base64url character carries 4 unused bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bits = alphabet[alphabet.index(last) ^ 1]
    return [
        f"{header}.{payload}.{signature}==",
        f"{header}.{payload}.{signature[:-1]}{same_bits}",
        f"{header}.{payload}.{signature.replace('-', '+').replace('_', '/')}",
        f"{header}=.{payload}.{signature}",
    ]


async def test_a_token_is_decoded_strictly_one_spelling_only(client, token_issuer):
    # Issue 30, item 6: padding, non-canonical trailing bits and the other alphabet are refused.
    token = token_issuer.issue(subject="user-1", roles=("user",))
    while "-" not in token.split(".")[2] and "_" not in token.split(".")[2]:
        token = token_issuer.issue(subject="user-1", roles=("user",))
    assert (await client.get("/me", headers=bearer(token))).status_code == 200
    for respelled in _respelled_signatures(token):
        response = await client.get("/me", headers=bearer(respelled))
        assert response.status_code == 401, respelled


async def test_no_page_of_a_service_may_be_framed(client):
    # Issue 30, item 6: the /docs page too.
    for path in ("/docs", "/healthz", "/no-such-page"):
        response = await client.get(path)
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'", path


def test_every_operation_names_the_shared_statuses():
    # Issue 30, item 6: a route added later is documented too.
    from spendscore_common.openapi_errors import add_standard_error_responses

    schema = {
        "paths": {
            "/things/{thing_id}": {
                "patch": {"security": [{"HTTPBearer": []}], "requestBody": {}, "responses": {"200": {}}},
                "get": {"responses": {"200": {}, "422": {"description": "FastAPI's own"}}},
            }
        }
    }
    add_standard_error_responses(schema)
    patch, get = schema["paths"]["/things/{thing_id}"]["patch"], schema["paths"]["/things/{thing_id}"]["get"]
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "422", "429", "503"}
    assert set(get["responses"]) == {"200", "404", "422", "503"}
    assert get["responses"]["422"] == {"description": "FastAPI's own"}  # what a route says is kept
