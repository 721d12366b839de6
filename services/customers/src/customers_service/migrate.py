"""Bring the customers database to the latest schema (``python -m customers_service.migrate``)."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

from customers_service.config import CustomersSettings, asyncpg_url
from spendscore_common.logging import configure_logging

SERVICE_DIR = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)


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
    settings = CustomersSettings()  # read from the environment
    configure_logging("customers-migrate", settings.log_level)
    upgrade_head(settings.database_url)
    logger.info("customers database is at the latest migration")


if __name__ == "__main__":
    main()
