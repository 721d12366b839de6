"""The UI's settings, read once from the environment (service URLs, cookie secret, default language); any of
them also from a file, ``NAME_FILE=/run/secrets/name``, as the services read theirs."""

import secrets
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import SettingsConfigDict

from spendscore_common.http_protocol import (
    BODY_GRACE_SECONDS,
    BODY_IDLE_TIMEOUT_SECONDS,
    BODY_MIN_BYTES_PER_SECOND,
    HEAD_TIMEOUT_SECONDS,
    MAX_CONNECTIONS,
)
from spendscore_common.settings import FileVariableSettings

# Used when UI_COOKIE_SECRET is unset outside production: sessions then survive a browser refresh
# but not a restart of the UI process (and not a second replica).
_PROCESS_COOKIE_SECRET = secrets.token_urlsafe(32)


class UISettings(FileVariableSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    app_env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("APP_ENV")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    auth_url: str = Field("http://127.0.0.1:8001", validation_alias=AliasChoices("AUTH_URL"))
    customers_url: str = Field("http://127.0.0.1:8002", validation_alias=AliasChoices("CUSTOMERS_URL"))
    inference_url: str = Field("http://127.0.0.1:8003", validation_alias=AliasChoices("INFERENCE_URL"))
    cookie_secret: SecretStr = Field(
        SecretStr(_PROCESS_COOKIE_SECRET), validation_alias=AliasChoices("UI_COOKIE_SECRET")
    )
    # Secure by default in production. Not derived from the request: a TLS-terminating load balancer
    # (an NLB adds no headers) forwards plain HTTP, and a client can send X-Forwarded-Proto itself.
    cookie_secure: bool = Field(
        default_factory=lambda fields: fields["app_env"] == "production",
        validation_alias=AliasChoices("UI_COOKIE_SECURE"),
    )
    request_timeout_seconds: float = Field(10.0, validation_alias=AliasChoices("UI_REQUEST_TIMEOUT"))
    # OTLP/HTTP collector for traces of the UI's calls (see spendscore_ui.tracing); unset: no tracing.
    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    # The language of a browser that states none (no cookie, no Accept-Language, no locale).
    default_language: Literal["en", "pt-BR"] = Field(
        "en", validation_alias=AliasChoices("UI_DEFAULT_LANGUAGE")
    )
    # The same slow-client bounds as the services (spendscore_common.http_protocol), applied by the
    # launcher (spendscore_ui.serve) to the server Streamlit runs on.
    head_timeout_seconds: float = Field(
        HEAD_TIMEOUT_SECONDS, gt=0, validation_alias=AliasChoices("HEAD_TIMEOUT_SECONDS")
    )
    max_connections: int = Field(MAX_CONNECTIONS, ge=1, validation_alias=AliasChoices("MAX_CONNECTIONS"))
    body_idle_timeout_seconds: float = Field(
        BODY_IDLE_TIMEOUT_SECONDS, gt=0, validation_alias=AliasChoices("BODY_IDLE_TIMEOUT_SECONDS")
    )
    body_min_bytes_per_second: float = Field(
        BODY_MIN_BYTES_PER_SECOND, gt=0, validation_alias=AliasChoices("BODY_MIN_BYTES_PER_SECOND")
    )
    body_grace_seconds: float = Field(
        BODY_GRACE_SECONDS, ge=0, validation_alias=AliasChoices("BODY_GRACE_SECONDS")
    )

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> "UISettings":
        if self.app_env == "production":
            secret = self.cookie_secret.get_secret_value()
            if secret == _PROCESS_COOKIE_SECRET or len(secret) < 32:
                raise ValueError(
                    "refusing to start with APP_ENV=production: UI_COOKIE_SECRET must be set "
                    "(at least 32 characters, the same on every UI replica)"
                )
        return self

    def base_url(self, service: "ServiceName") -> str:
        urls = {"auth": self.auth_url, "customers": self.customers_url, "inference": self.inference_url}
        return urls[service].rstrip("/")


ServiceName = Literal["auth", "customers", "inference"]


@lru_cache(maxsize=1)
def get_settings() -> UISettings:
    """The process's settings, built once (the launcher and every script run share them)."""
    return UISettings()


def settings_or_exit() -> UISettings:
    """The settings, or one clear line instead of a traceback (e.g. production without a secret)."""
    try:
        return get_settings()
    except ValueError as error:
        # A validation error names its first problem; an unreadable UI_COOKIE_SECRET_FILE is its own message.
        text = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        message = text.removeprefix("Value error, ")
        raise SystemExit(f"spendscore-ui: bad configuration: {message}") from None
