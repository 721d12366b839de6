"""The auth service's FastAPI app: ``create_app(settings)`` and the lifespan that owns its resources."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import accounts
from auth_service.config import AuthSettings
from auth_service.customers_client import CustomersClient
from auth_service.db import create_engine, make_session_factory
from auth_service.errors import install_error_handlers
from auth_service.keys import load_retired_public_jwks, load_signing_key
from auth_service.login_throttle import ThrottlePolicy
from auth_service.owner_deletions import OwnerDeletionWorker
from auth_service.passwords import PasswordHasher
from auth_service.routes import admin, jwks, login, revocations, ui_nonces, users
from auth_service.service_clients import ServiceClients
from auth_service.tokens import TokenIssuer, local_token_verifier
from spendscore_common.app import app_options, install_common_parts
from spendscore_common.circuit_breaker import BreakerCollector, CircuitBreaker
from spendscore_common.database import answer_503_when_database_is_down, database_is_reachable
from spendscore_common.health import ReadinessCheck
from spendscore_common.http_client import make_http_client
from spendscore_common.security import declare_password_login

logger = logging.getLogger(__name__)


async def ensure_bootstrap_admin(
    settings: AuthSettings, session_factory: async_sessionmaker[AsyncSession], hasher: PasswordHasher
) -> None:
    """Create the BOOTSTRAP_ADMIN_* account when it does not exist; an existing one is left as it is."""
    if not settings.bootstrap_admin_email or settings.bootstrap_admin_password is None:
        return
    async with session_factory() as db_session:
        outcome = await accounts.ensure_admin(
            db_session=db_session,
            hasher=hasher,
            email=settings.bootstrap_admin_email,
            password=settings.bootstrap_admin_password.get_secret_value(),
            name=settings.bootstrap_admin_name,
            reset_existing=False,
        )
    if outcome.created:
        logger.info("bootstrap admin created", extra={"user_id": str(outcome.user.id)})


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: AuthSettings = app.state.settings
    issuer = TokenIssuer(
        load_signing_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        retired_public_jwks=load_retired_public_jwks(settings),
    )
    engine = create_engine(settings)
    session_factory = make_session_factory(engine)
    http_client = make_http_client(timeout_seconds=5.0)
    # The dummy hash costs one full bcrypt round: made in a thread, off the event loop.
    hasher = await asyncio.to_thread(PasswordHasher, settings.bcrypt_rounds)
    customers = CustomersClient(
        http_client, base_url=settings.customers_url, issuer=issuer, breaker=app.state.customers_breaker
    )
    throttle_policy = ThrottlePolicy(
        max_failures_per_email=settings.login_max_failures_per_email,
        max_failures_per_address=settings.login_max_failures_per_address,
        max_failures_per_device=settings.login_max_failures_per_device,
        max_failures_per_account=settings.login_max_failures_per_account,
        window=timedelta(seconds=settings.login_throttle_window_seconds),
    )
    worker = OwnerDeletionWorker(
        session_factory,
        customers,
        throttle_policy=throttle_policy,
        poll_seconds=settings.deletion_poll_seconds,
        retry_base_seconds=settings.deletion_retry_base_seconds,
        retry_max_seconds=settings.deletion_retry_max_seconds,
    )
    app.state.session_factory = session_factory
    app.state.token_issuer = issuer
    app.state.token_verifier = local_token_verifier(issuer)
    app.state.password_hasher = hasher
    app.state.throttle_policy = throttle_policy
    app.state.service_clients = ServiceClients({"customers": settings.customers_service_secret})
    app.state.deletion_worker = worker

    async def keys_loaded() -> bool:
        return bool(issuer.jwks()["keys"])

    app.state.readiness_checks = [
        ReadinessCheck("database", lambda: database_is_reachable(engine)),
        ReadinessCheck("signing_keys", keys_loaded),
        # Reported, not required: logins go on while customers is down (deletions wait in the outbox).
        ReadinessCheck("customers", customers.is_reachable, required=False),
    ]
    try:
        await ensure_bootstrap_admin(settings, session_factory, hasher)
        worker.start()
        yield
    finally:
        await worker.stop()
        await http_client.aclose()
        await engine.dispose()


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """The auth app; ``settings`` None reads them from the environment."""
    settings = settings if settings is not None else AuthSettings()
    app = FastAPI(
        title="SpendScore auth",
        summary="Users, roles and the 2-hour tokens every SpendScore service accepts.",
        version="0.1.0",
        lifespan=lifespan,
        **app_options(settings),
    )
    app.state.settings = settings
    # Made with the app, not in the lifespan: its metric is registered once, and its state is the app's.
    app.state.customers_breaker = CircuitBreaker(
        "customers",
        failure_threshold=settings.customers_breaker_failures,
        cooldown_seconds=settings.customers_breaker_cooldown_seconds,
    )
    install_common_parts(app, settings)
    # /docs: the Authorize button logs in against this service's own /auth/token.
    declare_password_login(app, "/auth/token")
    app.state.metrics_registry.register(BreakerCollector([app.state.customers_breaker]))
    install_error_handlers(app)
    answer_503_when_database_is_down(app)
    for router in (
        login.router,
        jwks.router,
        revocations.router,
        users.router,
        ui_nonces.router,
        admin.router,
    ):
        app.include_router(router)
    return app
