"""``python -m customers_service`` and ``python -m customers_service.migrate`` on bad configuration."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from customers_service.config import CustomersSettings
from testkit.processes import free_port


@pytest.mark.parametrize("module", ["customers_service", "customers_service.migrate"])
@pytest.mark.parametrize(
    "url", ["mysql://user:password@localhost/customers", "postgresql://user:password@localhost:port/db"]
)
def test_a_malformed_database_url_is_one_clear_line(module, url):
    env = {**os.environ, "CUSTOMERS_DATABASE_URL": url, "CUSTOMERS_PORT": str(free_port()), "APP_ENV": "test"}
    finished = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    lines = [line for line in finished.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, finished.stderr
    assert "CUSTOMERS_DATABASE_URL is not a usable postgresql:// URL" in lines[0]
    assert "password" not in lines[0]


def test_production_refuses_a_missing_service_secret():
    values = {"app_env": "production", "database_url": "postgresql://customers:pw@db:5432/customers"}
    with pytest.raises(ValidationError, match="CUSTOMERS_SERVICE_SECRET"):
        CustomersSettings(**values)
    assert CustomersSettings(**values, service_secret="s" * 40).service_secret is not None


def test_migration_needs_only_its_database_url_even_in_production(test_postgres):
    """The Compose and ECS migration jobs carry no service secret: that check belongs to serving."""
    url = test_postgres.create_database("customers_migrate_production")
    env = {key: value for key, value in os.environ.items() if key != "CUSTOMERS_SERVICE_SECRET"}
    env |= {"APP_ENV": "production", "CUSTOMERS_DATABASE_URL": url}
    finished = subprocess.run(
        [sys.executable, "-m", "customers_service.migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
