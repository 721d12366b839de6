"""Settings base class: the variables every service reads, ``NAME_FILE`` for any of them, and the
production guard."""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# A secret file is a password, a key or a URL: anything larger is a wrong path.
MAX_SECRET_FILE_BYTES = 64 * 1024


def variable_names(settings_cls: type[BaseSettings], field_name: str, field: FieldInfo) -> list[str]:
    """The environment variables a field is read from: its alias choices, else env prefix + name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    if isinstance(alias, str):
        return [alias]
    return [str(settings_cls.model_config.get("env_prefix", "")) + field_name]


class VariableFileSource(PydanticBaseSettingsSource):
    """``NAME_FILE=/run/secrets/x`` sets the setting NAME to the file's text (its last newline dropped), as
    Docker and Compose secrets are mounted; NAME itself, when set, wins. A variable that is a setting of its
    own (AUTH_PRIVATE_KEY_FILE) is left to that setting."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # every value comes from __call__

    def __call__(self) -> dict[str, Any]:
        environ = {name.upper(): value for name, value in os.environ.items()}
        fields = self.settings_cls.model_fields
        own = {name.upper() for field_name, field in fields.items()
               for name in variable_names(self.settings_cls, field_name, field)}  # fmt: skip
        values: dict[str, Any] = {}
        for field_name, field in fields.items():
            for name in variable_names(self.settings_cls, field_name, field):
                variable = f"{name.upper()}_FILE"
                if variable in environ and variable not in own and name.upper() not in environ:
                    key = name if isinstance(field.validation_alias, AliasChoices | str) else field_name
                    values[key] = read_secret_file(variable, Path(environ[variable]))
                    break
        return values


def read_secret_file(variable: str, path: Path) -> str:
    try:
        if path.stat().st_size > MAX_SECRET_FILE_BYTES:
            raise ValueError(f"{variable}: {path} is larger than {MAX_SECRET_FILE_BYTES} bytes")
        return path.read_text().removesuffix("\n")
    except OSError as exc:
        raise ValueError(f"{variable}: cannot read {path}: {exc.strerror}") from None


class FileVariableSettings(BaseSettings):
    """Settings read from the environment, each also from a file named by ``NAME_FILE`` (see
    ``VariableFileSource``): the base of every service's settings and of the UI's."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            VariableFileSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )


class ServiceSettings(FileVariableSettings):
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
    body_idle_timeout_seconds: float = Field(
        60.0,
        gt=0,
        validation_alias=AliasChoices("BODY_IDLE_TIMEOUT_SECONDS"),
        description="Longest silence while a request body is incomplete: 408 and closed.",
    )
    body_min_bytes_per_second: float = Field(
        500.0,
        gt=0,
        validation_alias=AliasChoices("BODY_MIN_BYTES_PER_SECOND"),
        description="After BODY_GRACE_SECONDS a body must keep up this average pace: 408 and closed.",
    )
    body_grace_seconds: float = Field(
        20.0,
        ge=0,
        validation_alias=AliasChoices("BODY_GRACE_SECONDS"),
        description="Time a body has before BODY_MIN_BYTES_PER_SECOND counts.",
    )
    docs_enabled: bool | None = Field(
        None,
        validation_alias=AliasChoices("DOCS_ENABLED"),
        description="Serve /docs, /redoc and /openapi.json; unset: on, except with APP_ENV=production.",
    )

    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="OTLP/HTTP collector (http://host:4318) traces go to; unset: no tracing at all.",
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
