"""Auth benchmarks: login latency at the production bcrypt cost, and the cost of verifying a token."""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from auth_service.config import AuthSettings
from auth_service.main import create_app
from auth_service.migrate import upgrade
from auth_service.tokens import SigningKey, TokenIssuer
from spendscore_common.tokens import JwksKeyStore, TokenVerifier

_EMAIL = "bench-admin@spendscore.test"
_PASSWORD = "bench-admin-password"


def login_latency(
    *, runs: int = 7, bcrypt_rounds: int = 12, database_url: str | None = None
) -> dict[str, Any]:
    """Median latency (ms) of POST /auth/login in-process through the ASGI app, on a real PostgreSQL
    (TEST_DATABASE_URL or an embedded server when ``database_url`` is None): a good login, a wrong
    password and an unknown email (the last two should match: no timing leak)."""
    postgres = None
    if database_url is None:
        from testkit.postgres import TestPostgres

        postgres = TestPostgres()
        database_url = postgres.create_database("auth_bench")
    try:
        upgrade(database_url)
        with tempfile.TemporaryDirectory() as data_dir:
            settings = AuthSettings(
                app_env="test",
                database_url=database_url,
                data_dir=Path(data_dir),
                bcrypt_rounds=bcrypt_rounds,
                bootstrap_admin_email=_EMAIL,
                bootstrap_admin_password=_PASSWORD,
                private_key=SigningKey.generate().to_pem().decode(),
                private_key_file=None,
                retired_public_keys_file=None,
                login_max_failures_per_email=10_000,
                login_max_failures_per_address=10_000,
            )
            timings = asyncio.run(_time_logins(settings, runs))
    finally:
        if postgres is not None:
            postgres.close()
    return {
        "bcrypt_rounds": bcrypt_rounds,
        "runs": runs,
        **{f"{kind}_median_ms": round(statistics.median(values), 1) for kind, values in timings.items()},
    }


async def _time_logins(settings: AuthSettings, runs: int) -> dict[str, list[float]]:
    app = create_app(settings)
    attempts = {
        "login_ok": {"email": _EMAIL, "password": _PASSWORD},
        "wrong_password": {"email": _EMAIL, "password": "not-the-password"},
        "unknown_email": {"email": "nobody@spendscore.test", "password": "not-the-password"},
    }
    timings: dict[str, list[float]] = {kind: [] for kind in attempts}
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://auth.bench") as client,
    ):
        await client.post("/auth/login", json=attempts["login_ok"])  # warm-up: pool, caches
        for _ in range(runs):
            for kind, body in attempts.items():
                started = time.perf_counter()
                response = await client.post("/auth/login", json=body)
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == (200 if kind == "login_ok" else 401), response.text
    return timings


def token_verification_cost(*, runs: int = 7, calls_per_run: int = 2000) -> dict[str, Any]:
    """Median cost (µs) of ``TokenVerifier.verify`` with the keys already cached (no I/O): a full
    check of the signature and claims, and a token already verified (the verifier's cache)."""
    issuer = TokenIssuer(SigningKey.generate(), issuer="spendscore-auth", audience="spendscore")
    token = issuer.issue(subject="bench-user", roles=["user"], email="bench@spendscore.test", name="Bench")
    full = asyncio.run(_time_verifications(issuer, token, runs, calls_per_run, cache_size=0))
    cached = asyncio.run(_time_verifications(issuer, token, runs, calls_per_run, cache_size=10_000))
    return {
        "runs": runs,
        "calls_per_run": calls_per_run,
        "verify_median_us": round(statistics.median(full), 1),
        "verify_cached_median_us": round(statistics.median(cached), 2),
    }


async def _time_verifications(
    issuer: TokenIssuer, token: str, runs: int, calls_per_run: int, cache_size: int
) -> list[float]:
    async with httpx.AsyncClient() as unused_client:  # the store needs one; cached keys never call it
        store = JwksKeyStore("http://auth.invalid/.well-known/jwks.json", unused_client)
        store.set_keys(issuer.jwks())
        verifier = TokenVerifier(store, issuer=issuer.issuer, audience=issuer.audience, cache_size=cache_size)
        await verifier.verify(token)
        per_call = []
        for _ in range(runs):
            started = time.perf_counter()
            for _ in range(calls_per_run):
                await verifier.verify(token)
            per_call.append((time.perf_counter() - started) / calls_per_run * 1_000_000)
    return per_call
