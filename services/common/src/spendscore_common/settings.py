"""Settings base class: the variables every service reads, and the production guard."""

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Fields common to every service. Subclasses add their own, usually with an env prefix.

    The shared fields are read without the prefix (``APP_ENV``, ``LOG_LEVEL``, ``JWT_ISSUER``...),
    so one ``.env`` serves the whole stack.
    """

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    app_env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("APP_ENV")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST"))
    port: int = Field(8000, ge=1, le=65535, description="Each service reads its own variable (AUTH_PORT...)")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("CORS_ORIGINS")
    )
    jwt_issuer: str = Field("spendscore-auth", validation_alias=AliasChoices("JWT_ISSUER"))
    jwt_audience: str = Field("spendscore", validation_alias=AliasChoices("JWT_AUDIENCE"))
    auth_public_url: str = Field(
        "http://127.0.0.1:8001",
        validation_alias=AliasChoices("AUTH_PUBLIC_URL"),
        description="Where a browser reaches the auth service (the /docs Authorize button posts there).",
    )

    max_body_bytes: int = Field(
        1_000_000,
        gt=0,
        validation_alias=AliasChoices("MAX_BODY_BYTES"),
        description="Larger bodies are refused with 413 before they are read (uploads have their own limit).",
    )
    head_timeout_seconds: float = Field(
        5.0,
        gt=0,
        validation_alias=AliasChoices("HEAD_TIMEOUT_SECONDS"),
        description="A request head (line and headers) must arrive within this time: 408 and closed.",
    )
    max_connections: int = Field(
        1000,
        ge=1,
        validation_alias=AliasChoices("MAX_CONNECTIONS"),
        description="Open connections per process; past it the one waiting longest for a head is closed.",
    )
    docs_enabled: bool | None = Field(
        None,
        validation_alias=AliasChoices("DOCS_ENABLED"),
        description="Serve /docs, /redoc and /openapi.json; unset: on, except with APP_ENV=production.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def token_url(self) -> str:
        """The auth service's OAuth2 password endpoint, as a browser on /docs reaches it."""
        return self.auth_public_url.rstrip("/") + "/auth/token"

    @property
    def docs_are_enabled(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else not self.is_production

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def production_problems(self) -> list[str]:
        """Dev defaults that must not reach production; subclasses extend the list."""
        return ["CORS_ORIGINS must not contain '*'"] if "*" in self.cors_origins else []

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> "ServiceSettings":
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise ValueError("refusing to start with APP_ENV=production: " + "; ".join(problems))
        return self
