"""docker-compose.yml is valid compose-spec, starts in a coherent order, and uses only documented
variables and the services' own ports."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
# The contract's default ports, which the images listen on.
SERVICE_PORTS = {"auth": 8001, "customers": 8002, "inference": 8003, "ui": 8501}
PUBLISHED = {"auth", "customers", "ui"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def test_matches_the_compose_spec_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependencies_exist_and_are_ready_when_awaited(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s missing healthcheck"
            if condition["condition"] == "service_completed_successfully":
                assert target.endswith("-migrate"), target
    assert services["auth"]["depends_on"]["auth-migrate"]["condition"] == "service_completed_successfully"
    assert services["customers"]["depends_on"]["customers-migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["auth-migrate"]["command"] == ["python", "-m", "auth_service.migrate"]
    assert services["customers-migrate"]["command"] == ["python", "-m", "customers_service.migrate"]
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])


def test_every_variable_is_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = set(
        re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert used - documented == set()


def test_required_secrets_refuse_to_start_when_missing() -> None:
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", COMPOSE_FILE.read_text()))
    assert {"POSTGRES_PASSWORD", "AUTH_DB_PASSWORD", "CUSTOMERS_DB_PASSWORD", "AUTH_PRIVATE_KEY"} <= required
    assert "UI_COOKIE_SECRET" in required


def test_ports_match_the_services_and_only_public_ones_are_published(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, port in SERVICE_PORTS.items():
        service = services[name]
        assert f":{port}/" in str(service["healthcheck"]["test"]) + "/"
        published = [str(mapping) for mapping in service.get("ports", [])]
        if name in PUBLISHED:
            assert published == [f"{port}:{port}"]
        else:
            assert published == [] and service["expose"] == [str(port)]
    assert services["auth"]["environment"]["AUTH_PORT"] == 8001
    assert services["customers"]["environment"]["CUSTOMERS_PORT"] == 8002
    assert services["inference"]["environment"]["INFERENCE_PORT"] == 8003
    assert services["ui"]["environment"]["UI_PORT"] == 8501
    for name, service in services.items():
        if name not in PUBLISHED:
            assert "ports" not in service, f"{name} must not be published on the host"


def test_ports_are_the_settings_defaults() -> None:
    from auth_service.config import AuthSettings
    from customers_service.config import CustomersSettings
    from inference_service.config import InferenceSettings

    assert AuthSettings.model_fields["port"].default == SERVICE_PORTS["auth"]
    assert CustomersSettings.model_fields["port"].default == SERVICE_PORTS["customers"]
    assert InferenceSettings.model_fields["port"].default == SERVICE_PORTS["inference"]


def test_env_example_lists_every_contract_variable() -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    contract = {
        "APP_ENV", "LOG_LEVEL", "HOST", "CORS_ORIGINS", "JWT_ISSUER", "JWT_AUDIENCE", "AUTH_PUBLIC_URL",
        "DATA_DIR", "AUTH_PORT", "AUTH_DATABASE_URL", "AUTH_PRIVATE_KEY", "AUTH_PRIVATE_KEY_FILE",
        "AUTH_RETIRED_PUBLIC_KEYS_FILE", "AUTH_BCRYPT_ROUNDS", "BOOTSTRAP_ADMIN_EMAIL",
        "BOOTSTRAP_ADMIN_PASSWORD", "CUSTOMERS_URL", "CUSTOMERS_PORT", "CUSTOMERS_DATABASE_URL",
        "INFERENCE_URL", "AUTH_JWKS_URL", "INFERENCE_PORT", "INFERENCE_MODEL_PATH", "UI_PORT", "AUTH_URL",
        "UI_COOKIE_SECRET",
    }  # fmt: skip
    assert contract - documented == set()
