"""The inference service's FastAPI app: model and key cache made once in the lifespan."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from inference_service import __doc__ as service_description
from inference_service.config import InferenceSettings
from inference_service.explanations import explainer_for
from inference_service.model_store import load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.routes import model as model_routes
from inference_service.routes import open_inference as open_inference_routes
from inference_service.routes import predict as predict_routes
from inference_service.routes import store_correction as store_correction_routes
from inference_service.schemas import MAX_BATCH_ITEMS
from spendscore_common.app import app_options, install_common_parts
from spendscore_common.health import ReadinessCheck
from spendscore_common.http_client import make_http_client
from spendscore_common.input_checks import safe_validation_errors
from spendscore_common.security import declare_password_login
from spendscore_common.tokens import JwksKeyStore, RevocationList, TokenVerifier, revocations_url_for

# The arrays whose length is capped at MAX_BATCH_ITEMS: the JSON batch's items and the columns.
BATCH_LOCATIONS = {("body", "items"), ("body", "gender"), ("body", "age"), ("body", "annual_income")}


async def _too_many_items_or_invalid(_: Request, exc: Exception) -> Response:
    """422 as FastAPI words it, except a batch over the item limit, which is 413."""
    assert isinstance(exc, RequestValidationError)
    if any(
        error.get("type") == "too_long" and tuple(error.get("loc", ())) in BATCH_LOCATIONS
        for error in exc.errors()
    ):
        return JSONResponse(
            {"detail": f"a batch holds at most {MAX_BATCH_ITEMS} items"},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
    return JSONResponse(
        {"detail": safe_validation_errors(exc.errors())}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def create_app(settings: InferenceSettings | None = None) -> FastAPI:
    settings = settings or InferenceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A missing or broken artifact stops start-up here (the entry point checks it first).
        app.state.model = load_model(settings.model_path)
        app.state.predictor = SpendingScorePredictor(app.state.model)
        app.state.explainer = explainer_for(app.state.model)
        async with make_http_client() as http_client:
            key_store = JwksKeyStore(settings.auth_jwks_url, http_client)
            revocations = RevocationList(revocations_url_for(settings.auth_jwks_url), http_client)
            app.state.token_verifier = TokenVerifier(
                key_store, issuer=settings.jwt_issuer, audience=settings.jwt_audience, revocations=revocations
            )
            # In the background: the service starts (and serves cached keys) while auth is down.
            refreshers = [
                asyncio.create_task(key_store.keep_fresh(), name="jwks-refresh"),
                asyncio.create_task(revocations.keep_fresh(), name="revocations-refresh"),
            ]
            try:
                yield
            finally:
                for refresher in refreshers:
                    refresher.cancel()
                await asyncio.gather(*refreshers, return_exceptions=True)

    async def model_loaded() -> bool:
        return getattr(app.state, "predictor", None) is not None

    app = FastAPI(
        title="SpendScore inference",
        description=service_description or "",
        version="0.1.0",
        lifespan=lifespan,
        swagger_ui_init_oauth={"usePkceWithAuthorizationCodeGrant": False},
        **app_options(settings),
    )
    app.state.settings = settings
    app.state.readiness_checks = [ReadinessCheck("model", model_loaded)]
    # /docs: the Authorize button logs in against the auth service.
    declare_password_login(app, settings.token_url)
    app.include_router(predict_routes.router)
    app.include_router(model_routes.router)
    app.include_router(open_inference_routes.router)
    app.include_router(store_correction_routes.router)
    install_common_parts(app, settings)
    app.add_exception_handler(RequestValidationError, _too_many_items_or_invalid)
    return app
