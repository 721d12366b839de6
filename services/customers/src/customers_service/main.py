"""The customers service's FastAPI app: its lifespan owns the pool, the HTTP clients and the completer."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from customers_service import recycle_bin
from customers_service.config import CustomersSettings
from customers_service.db import make_sessionmaker
from customers_service.errors import install_error_handlers
from customers_service.import_capacity import ImportCapacity
from customers_service.inference_client import InferenceClient
from customers_service.owner_limits import ExpensiveCallLimit
from customers_service.pending_predictions import PendingPredictionCompleter
from customers_service.routes import (
    bulk,
    customer_data,
    customers,
    dashboard,
    owners,
    predictions,
    saved_views,
    transfer,
)
from customers_service.routes import recycle_bin as recycle_bin_routes
from customers_service.routes import sales as sales_routes
from customers_service.routes import store_model as store_model_routes
from customers_service.routes import store_settings as store_settings_routes
from customers_service.segment_catalogue import SegmentCatalogue
from customers_service.service_token import ServiceTokens
from customers_service.store_models import StoreRescorer
from spendscore_common.app import app_options, install_common_parts
from spendscore_common.circuit_breaker import BreakerCollector, CircuitBreaker
from spendscore_common.database import answer_503_when_database_is_down, database_is_reachable, make_engine
from spendscore_common.health import ReadinessCheck
from spendscore_common.http_client import make_http_client
from spendscore_common.security import declare_password_login
from spendscore_common.tokens import (
    JwksKeyStore,
    KeysUnavailableError,
    RevocationList,
    TokenVerifier,
    revocations_url_for,
)

logger = logging.getLogger(__name__)


async def _prefetch_keys(key_store: JwksKeyStore) -> None:
    """Fetch the signing keys early, without holding up start-up (auth may not be up yet)."""
    try:
        await key_store.refresh(force=True)
    except KeysUnavailableError:
        logger.warning("auth keys not available yet; tokens are verified once they can be fetched")


def create_app(settings: CustomersSettings | None = None) -> FastAPI:
    settings = settings or CustomersSettings()  # read from the environment
    # Made with the app, not in the lifespan: its metric is registered once, and its state is the app's.
    inference_breaker = CircuitBreaker(
        "inference",
        failure_threshold=settings.inference_breaker_failures,
        cooldown_seconds=settings.inference_breaker_cooldown_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            pool_timeout_seconds=settings.database_pool_timeout_seconds,
            statement_timeout_seconds=settings.database_statement_timeout_seconds,
        )
        sessionmaker = make_sessionmaker(engine)
        auth_http = make_http_client(timeout_seconds=2.0)
        key_store = JwksKeyStore(settings.auth_jwks_url, auth_http)
        revocations = RevocationList(revocations_url_for(settings.auth_jwks_url), auth_http)
        inference = InferenceClient(
            settings.inference_url,
            timeout_seconds=settings.inference_timeout_seconds,
            batch_timeout_seconds=settings.inference_batch_timeout_seconds,
            retries=settings.inference_retries,
            backoff_seconds=settings.inference_retry_backoff_seconds,
            breaker=inference_breaker,
        )
        service_tokens = (
            None
            if settings.service_secret is None
            else ServiceTokens(auth_http, auth_url=settings.auth_url, client_secret=settings.service_secret)
        )
        segment_catalogue = SegmentCatalogue(inference, service_tokens)
        completer = PendingPredictionCompleter(
            sessionmaker=sessionmaker,
            inference=inference,
            service_tokens=service_tokens,
            interval_seconds=settings.pending_retry_interval_seconds,
            segment_catalogue=segment_catalogue,
        )
        app.state.sessionmaker = sessionmaker
        app.state.token_verifier = TokenVerifier(
            key_store, issuer=settings.jwt_issuer, audience=settings.jwt_audience, revocations=revocations
        )
        app.state.inference = inference
        app.state.segment_catalogue = segment_catalogue
        app.state.completer = completer
        rescorer = StoreRescorer(
            sessionmaker=sessionmaker,
            interval_seconds=settings.store_rescore_interval_seconds,
            inference=inference,
            service_tokens=service_tokens,
        )
        app.state.store_rescorer = rescorer
        app.state.readiness_checks = [
            ReadinessCheck("database", lambda: database_is_reachable(engine)),
            # Not required: customers keeps serving (predictions pending) while inference is down, and a
            # load balancer must not take every customers replica out of service because of inference.
            ReadinessCheck("inference", inference.is_reachable, required=False),
        ]
        background = [
            asyncio.create_task(_prefetch_keys(key_store), name="jwks-prefetch"),
            asyncio.create_task(revocations.keep_fresh(), name="revocations-refresh"),
            asyncio.create_task(completer.run_forever(), name="pending-prediction-completer"),
            asyncio.create_task(
                recycle_bin.purge_forever(
                    sessionmaker=sessionmaker,
                    days=settings.recycle_bin_days,
                    interval_seconds=settings.recycle_purge_interval_seconds,
                ),
                name="recycle-bin-purge",
            ),
            asyncio.create_task(rescorer.run_forever(), name="store-model-rescorer"),
        ]
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await inference.aclose()
            await auth_http.aclose()
            await app.state.expensive_calls.aclose()
            await engine.dispose()

    app = FastAPI(
        title="SpendScore customers",
        version="1.0.0",
        description="Store owners' customers, their spending-score predictions and history, dashboard, CSV.",
        lifespan=lifespan,
        **app_options(settings),
    )
    app.state.settings = settings
    install_common_parts(
        app,
        settings,
        body_limits={
            "/customers/import": settings.import_max_body_bytes,
            "/sales/import": settings.import_max_body_bytes,
        },
    )
    app.state.metrics_registry.register(BreakerCollector([inference_breaker]))
    app.state.expensive_calls = ExpensiveCallLimit(
        settings.max_expensive_calls_per_owner,
        database_url=settings.database_url,
        connect_timeout_seconds=settings.database_pool_timeout_seconds,
    )
    app.state.import_capacity = ImportCapacity(settings.max_concurrent_imports)
    install_error_handlers(app)
    answer_503_when_database_is_down(app)
    # /docs: the Authorize button logs in against the auth service.
    declare_password_login(app, settings.token_url)
    for router in (
        bulk.router,
        recycle_bin_routes.router,
        transfer.router,
        customers.router,
        predictions.router,
        dashboard.router,
        owners.router,
        saved_views.router,
        customer_data.router,
    ):
        app.include_router(router)
    app.include_router(sales_routes.router)
    app.include_router(store_model_routes.router)
    app.include_router(store_settings_routes.router)
    return app
