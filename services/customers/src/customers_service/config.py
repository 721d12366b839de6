"""The customers service's settings, read once from the environment."""

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from spendscore_common.settings import ServiceSettings


class CustomersSettings(ServiceSettings):
    """Read from the environment; tests and tools may also pass fields by name."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, populate_by_name=True)

    port: int = Field(8002, validation_alias=AliasChoices("CUSTOMERS_PORT"), ge=1, le=65535)
    database_url: str = Field(
        validation_alias=AliasChoices("CUSTOMERS_DATABASE_URL"),
        description="postgresql://user:pass@host:port/db or postgresql://user:@/db?host=/socket/dir",
    )
    database_pool_size: int = Field(10, validation_alias=AliasChoices("CUSTOMERS_DATABASE_POOL_SIZE"), ge=1)
    database_pool_timeout_seconds: float = Field(
        2.0,
        validation_alias=AliasChoices("CUSTOMERS_DATABASE_POOL_TIMEOUT_SECONDS"),
        gt=0,
        description="How long a request waits for a free pooled connection before a 503 with Retry-After.",
    )
    database_statement_timeout_seconds: float = Field(
        10.0,
        validation_alias=AliasChoices("CUSTOMERS_DATABASE_STATEMENT_TIMEOUT_SECONDS"),
        gt=0,
        description="Longest run of one SQL statement; a longer one is cancelled (503 with Retry-After).",
    )
    max_expensive_calls_per_owner: int = Field(
        2,
        validation_alias=AliasChoices("CUSTOMERS_MAX_EXPENSIVE_CALLS_PER_OWNER"),
        ge=1,
        description="Imports, exports and searches one owner may run at once (on all replicas); more: 429.",
    )
    max_concurrent_imports: int = Field(
        2,
        validation_alias=AliasChoices("CUSTOMERS_MAX_CONCURRENT_IMPORTS"),
        ge=1,
        description="Imports this process reads and stores at once, all owners together; more: 503.",
    )
    inference_url: str = Field("http://127.0.0.1:8003", validation_alias=AliasChoices("INFERENCE_URL"))
    auth_jwks_url: str = Field(
        "http://127.0.0.1:8001/.well-known/jwks.json", validation_alias=AliasChoices("AUTH_JWKS_URL")
    )
    auth_url: str = Field(
        "http://127.0.0.1:8001",
        validation_alias=AliasChoices("AUTH_URL"),
        description="Base URL of the auth service for service-to-service calls (the service token).",
    )
    service_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("CUSTOMERS_SERVICE_SECRET"),
        description="This service's client secret at auth; without it pending predictions stay pending.",
    )
    inference_timeout_seconds: float = Field(
        2.0, validation_alias=AliasChoices("CUSTOMERS_INFERENCE_TIMEOUT_SECONDS"), gt=0
    )
    inference_batch_timeout_seconds: float = Field(
        15.0, validation_alias=AliasChoices("CUSTOMERS_INFERENCE_BATCH_TIMEOUT_SECONDS"), gt=0
    )
    inference_retries: int = Field(2, validation_alias=AliasChoices("CUSTOMERS_INFERENCE_RETRIES"), ge=0)
    inference_retry_backoff_seconds: float = Field(
        0.1, validation_alias=AliasChoices("CUSTOMERS_INFERENCE_RETRY_BACKOFF_SECONDS"), ge=0
    )
    inference_breaker_failures: int = Field(
        3,
        validation_alias=AliasChoices("CUSTOMERS_INFERENCE_BREAKER_FAILURES"),
        ge=1,
        description="Consecutive failed calls to inference that open the circuit breaker.",
    )
    inference_breaker_cooldown_seconds: float = Field(
        10.0,
        validation_alias=AliasChoices("CUSTOMERS_INFERENCE_BREAKER_COOLDOWN_SECONDS"),
        gt=0,
        description="How long an open breaker stores predictions as pending without calling inference.",
    )
    pending_retry_interval_seconds: float = Field(
        5.0, validation_alias=AliasChoices("CUSTOMERS_PENDING_RETRY_INTERVAL_SECONDS"), gt=0
    )
    store_rescore_interval_seconds: float = Field(
        1.0,
        validation_alias=AliasChoices("CUSTOMERS_STORE_RESCORE_INTERVAL_SECONDS"),
        gt=0,
        description="How often customers are re-scored after their store's correction changed (issue 25).",
    )
    import_max_body_bytes: int = Field(
        6 * 1024 * 1024,
        gt=0,
        validation_alias=AliasChoices("CUSTOMERS_IMPORT_MAX_BODY_BYTES"),
        description="Body limit of POST /customers/import (the file and its multipart framing); 413 above.",
    )

    max_customers_per_owner: int = Field(
        1_000_000,
        validation_alias=AliasChoices("CUSTOMERS_MAX_PER_OWNER"),
        ge=1,
        description="Creating or importing beyond this many customers of one owner answers 409.",
    )

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if "@" not in self.database_url or ":@" in self.database_url:
            problems.append("CUSTOMERS_DATABASE_URL must name a user with a password")
        if self.service_secret is None or not self.service_secret.get_secret_value():
            problems.append(
                "CUSTOMERS_SERVICE_SECRET must be set (pending predictions are completed with it)"
            )
        return problems
