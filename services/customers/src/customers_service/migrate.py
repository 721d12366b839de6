"""Bring the customers database to the latest schema (``python -m customers_service.migrate``)."""

import logging
import sys
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from spendscore_common.database import asyncpg_url
from spendscore_common.logging import configure_logging
from spendscore_common.migration_lock import first_line
from spendscore_common.server import describe_settings_error
from spendscore_common.settings import FileVariableSettings

SERVICE_DIR = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)


class MigrationSettings(FileVariableSettings):
    """All a migration needs: the database (and the log level). Not CustomersSettings, whose production
    checks (the service secret...) are about serving, not about a one-shot migration job."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    database_url: str = Field(validation_alias=AliasChoices("CUSTOMERS_DATABASE_URL"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))


def alembic_config(database_url: str) -> Config:
    config = Config(str(SERVICE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(SERVICE_DIR / "alembic"))
    config.attributes["sqlalchemy_url"] = asyncpg_url(database_url)
    return config


def upgrade_head(database_url: str) -> None:
    """Apply every migration not applied yet. Runs its own event loop: call it outside one."""
    command.upgrade(alembic_config(database_url), "head")


def downgrade_base(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")


def main() -> None:
    try:
        settings = MigrationSettings()  # read from the environment
    except ValidationError as exc:
        sys.exit(f"customers migrate: {describe_settings_error(exc)}")
    configure_logging("customers-migrate", settings.log_level)
    try:
        upgrade_head(settings.database_url)
    except (asyncpg.ClientConfigurationError, ValueError) as exc:
        sys.exit(f"customers migrate: CUSTOMERS_DATABASE_URL is not a usable postgresql:// URL: {exc}")
    except (OSError, asyncpg.PostgresConnectionError, TimeoutError) as exc:
        sys.exit(f"customers migrate: cannot reach the database in CUSTOMERS_DATABASE_URL: {exc}")
    except (asyncpg.PostgresError, SQLAlchemyError, CommandError) as exc:
        sys.exit(f"customers migrate: failed: {first_line(exc)}")
    logger.info("customers database is at the latest migration")


if __name__ == "__main__":
    main()
