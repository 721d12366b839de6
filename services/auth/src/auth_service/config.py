"""The auth service's settings, read once from the environment (prefix ``AUTH_`` for its own fields)."""

import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from auth_service.passwords import password_problem
from auth_service.schemas import normalise_email
from spendscore_common.settings import ServiceSettings

MIN_SERVICE_SECRET_LENGTH = 32
ProxyNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AuthSettings(ServiceSettings):
    """Everything the auth service reads from the environment; built once and passed to ``create_app``."""

    model_config = SettingsConfigDict(
        env_prefix="AUTH_", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    port: int = Field(8001, ge=1, le=65535)
    # Explicit aliases on required or unprefixed fields, so that an error names the real variable.
    database_url: str = Field(validation_alias=AliasChoices("AUTH_DATABASE_URL"))
    database_pool_size: int = Field(10, ge=1)
    database_pool_timeout_seconds: float = Field(
        2.0,
        gt=0,
        description="How long a request waits for a pooled connection before a 503 with Retry-After.",
    )
    database_statement_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Longest run of one SQL statement; a longer one is cancelled (503 with Retry-After).",
    )
    data_dir: Path = Field(Path(".data"), validation_alias=AliasChoices("DATA_DIR"))

    private_key: SecretStr | None = Field(None, description="Ed25519 private key, PEM (PKCS#8) text")
    private_key_file: Path | None = None
    retired_public_keys_file: Path | None = Field(
        None, description="JWKS json of public keys still trusted after a rotation"
    )

    bcrypt_rounds: int = Field(12, ge=4, le=31)

    login_max_failures_per_email: int = Field(5, ge=1)
    login_max_failures_per_address: int = Field(50, ge=1)
    login_max_failures_per_device: int = Field(5, ge=1)
    login_max_failures_per_account: int = Field(
        50, ge=1, description="Failed logins without a device token from every address together"
    )
    login_throttle_window_seconds: int = Field(900, ge=1)
    trusted_proxies: Annotated[list[ProxyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses and CIDRs whose X-Forwarded-For is believed (the UI)",
    )

    deletion_poll_seconds: float = Field(5.0, gt=0)
    deletion_retry_base_seconds: float = Field(2.0, gt=0)
    deletion_retry_max_seconds: float = Field(300.0, gt=0)
    # The circuit breaker in front of the customers service (see spendscore_common.circuit_breaker).
    customers_breaker_failures: int = Field(3, ge=1)
    customers_breaker_cooldown_seconds: float = Field(10.0, gt=0)

    bootstrap_admin_email: str | None = Field(None, validation_alias=AliasChoices("BOOTSTRAP_ADMIN_EMAIL"))
    bootstrap_admin_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("BOOTSTRAP_ADMIN_PASSWORD")
    )
    bootstrap_admin_name: str = Field("Administrator", validation_alias=AliasChoices("BOOTSTRAP_ADMIN_NAME"))
    customers_url: str = Field("http://127.0.0.1:8002", validation_alias=AliasChoices("CUSTOMERS_URL"))
    customers_service_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("CUSTOMERS_SERVICE_SECRET"),
        description="Shared with the customers service, which trades it for a service token",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [
                ipaddress.ip_network(part, strict=False) if isinstance(part, str) else part for part in value
            ]
        return value

    @field_validator("bootstrap_admin_email", mode="before")
    @classmethod
    def _bootstrap_email_is_an_address(cls, value: object) -> object:
        # An empty variable (as Compose passes an unset one) means no bootstrap admin.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return normalise_email(str(value))

    @field_validator("bootstrap_admin_password", "customers_service_secret", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        # An empty secret must never match: treat it as not configured.
        return None if value == "" else value

    @field_validator("bootstrap_admin_password")
    @classmethod
    def _bootstrap_password_follows_the_rules(cls, value: SecretStr | None) -> SecretStr | None:
        problem = None if value is None else password_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def has_configured_key(self) -> bool:
        return self.private_key is not None or self.private_key_file is not None

    @property
    def generated_key_path(self) -> Path:
        """Where development and test keep the key they generate on first start."""
        return self.data_dir / "auth" / "jwt-signing-key.pem"

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.has_configured_key:
            problems.append("AUTH_PRIVATE_KEY or AUTH_PRIVATE_KEY_FILE must be set (no generated keys)")
        if self.bootstrap_admin_email and not self.bootstrap_admin_password:
            problems.append("BOOTSTRAP_ADMIN_PASSWORD must be set when BOOTSTRAP_ADMIN_EMAIL is")
        if self.bcrypt_rounds < 10:
            problems.append("AUTH_BCRYPT_ROUNDS must be at least 10")
        secret = self.customers_service_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_SERVICE_SECRET_LENGTH:
            problems.append(
                f"CUSTOMERS_SERVICE_SECRET must be at least {MIN_SERVICE_SECRET_LENGTH} characters"
                " (`openssl rand -hex 32`)"
            )
        return problems
