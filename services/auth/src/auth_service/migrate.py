"""Bring the auth database to the latest schema: ``python -m auth_service.migrate`` (alembic upgrade head)."""

import sys
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from spendscore_common.migration_lock import first_line
from spendscore_common.server import describe_settings_error
from spendscore_common.settings import FileVariableSettings

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


class MigrationSettings(FileVariableSettings):
    """All a migration needs: the database. Not AuthSettings, whose production checks (signing key,
    bootstrap admin...) are about serving, and which a one-shot migration job must not have to carry."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    database_url: str = Field(validation_alias=AliasChoices("AUTH_DATABASE_URL"))


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def main() -> None:
    try:
        settings = MigrationSettings()
    except ValidationError as exc:
        sys.exit(f"auth migrate: {describe_settings_error(exc)}")
    try:
        upgrade(settings.database_url)
    except (OSError, ConnectionError, asyncpg.PostgresConnectionError) as exc:
        sys.exit(f"auth migrate: cannot reach the database: {first_line(exc)}")
    except (asyncpg.PostgresError, SQLAlchemyError, CommandError, ValueError) as exc:
        sys.exit(f"auth migrate: failed: {first_line(exc)}")


if __name__ == "__main__":
    main()
