"""docker-compose.yml is valid compose-spec, starts in a coherent order, and uses only documented
variables and the services' own ports."""

import importlib
import ipaddress
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from scripts.compose_secrets import (
    REQUIRED,
    SECRETS,
    MissingSecret,
    configured_values,
    secrets_directory,
    write_secrets,
)

# The contract's default ports, which the images listen on.
SERVICE_PORTS = {"auth": 8001, "customers": 8002, "inference": 8003, "ui": 8501}
PUBLISHED = {"auth", "customers", "ui"}
# Every settings class a process reads its environment with. Not the base ServiceSettings, which no
# process reads with: its fields reach each subclass (model_fields includes them) under that class's
# prefix or alias, e.g. its `port` is AUTH_PORT, CUSTOMERS_PORT... and never PORT.
SETTINGS_CLASSES = (
    "auth_service.config:AuthSettings",
    "customers_service.config:CustomersSettings",
    "inference_service.config:InferenceSettings",
    "spendscore_ui.config:UISettings",
)


@pytest.fixture(scope="module")
def compose_file(repo_root: Path) -> Path:
    return repo_root / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose(compose_file: Path) -> dict[str, Any]:
    document = yaml.safe_load(compose_file.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def documented(repo_root: Path) -> set[str]:
    """The variables .env.example names, set or commented out (``# NAME=default``)."""
    text = (repo_root / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", text, re.MULTILINE))


def environment_names(settings_class: type[BaseSettings]) -> set[str]:
    """The variables a settings class reads, as pydantic-settings names them: a field's alias choices
    (but its own name, which ``populate_by_name`` accepts from Python), else env prefix + field name."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    names = set()
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias or field.alias
        if alias is None:
            names.add((prefix + field_name).upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            assert isinstance(alias, AliasChoices), (settings_class.__name__, field_name, alias)
            choices = {
                choice.upper() for choice in alias.choices if isinstance(choice, str) and choice != field_name
            }
            assert choices, (settings_class.__name__, field_name, alias)
            names |= choices
    return names


def test_matches_the_compose_spec_schema(compose_file: Path) -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(compose_file)],
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
    # Over TCP: the first start's temporary init server answers on the Unix socket only.
    assert "pg_isready --host 127.0.0.1" in str(services["postgres"]["healthcheck"]["test"])
    # Dependants wait for readiness (the database answers), not for a live process.
    for name in ("auth", "customers", "inference"):
        assert "/readyz" in str(services[name]["healthcheck"]["test"]), name


def test_migration_jobs_reuse_the_service_image_with_only_their_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for service in ("auth", "customers"):
        job = services[f"{service}-migrate"]
        assert "build" not in job, "the image is built once, by the service"
        assert job["image"] == services[service]["image"]
        assert job["healthcheck"] == {"disable": True}, "a one-shot job must not inherit the server's check"
        assert set(job["environment"]) == {f"{service.upper()}_DATABASE_URL_FILE", "LOG_LEVEL"}
        assert job["secrets"] == [f"{service}_database_url"]


def test_auth_trusts_forwarded_addresses_from_the_ui_only(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ui_address = services["ui"]["networks"]["default"]["ipv4_address"]
    assert services["auth"]["environment"]["AUTH_TRUSTED_PROXIES"] == ui_address
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    default_address = ui_address.split(":-")[1].rstrip("}")
    default_subnet = subnet.split(":-")[1].rstrip("}")
    assert ipaddress.ip_address(default_address) in ipaddress.ip_network(default_subnet)
    for name, service in services.items():
        if name != "ui":
            assert "networks" not in service, f"{name} takes any address of the subnet"


def test_base_images_can_be_replaced(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:17.6-bookworm}"
    for name in SERVICE_PORTS:
        # Passed only when set (in .env or the environment); else the Dockerfile's official default.
        args = services[name]["build"]["args"]
        assert {"PYTHON_IMAGE": None, "UV_IMAGE": None}.items() <= args.items(), name


def test_every_variable_is_documented_in_env_example(compose_file: Path, documented: set[str]) -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", compose_file.read_text()))
    assert used - documented == set()


def test_secrets_are_files_that_make_up_writes_and_never_environment(
    compose: dict[str, Any], compose_file: Path
) -> None:
    """Every secret reaches its containers as a Compose secret (a file under /run/secrets read through a
    ``NAME_FILE`` variable), made by scripts/compose_secrets.py from .env; none is an environment value."""
    assert set(compose["secrets"]) == set(SECRETS)
    for name, secret in compose["secrets"].items():
        assert secret == {"file": "${SPENDSCORE_SECRETS_DIR:-./.data/compose-secrets}/" + name}
    for variable in REQUIRED:
        assert "${" + variable not in compose_file.read_text(), f"{variable} is passed as environment"
    for name, service in compose["services"].items():
        mounted = set(service.get("secrets", []))
        named = {
            value.removeprefix("/run/secrets/")
            for variable, value in service.get("environment", {}).items()
            if variable.endswith("_FILE")
        }
        assert named == mounted, f"{name}: names {named} in its environment but mounts {mounted}"
    assert set(compose["services"]["ui"]["secrets"]) == {"ui_cookie_secret"}
    assert set(compose["services"]["inference"].get("secrets", [])) == set()


@pytest.mark.parametrize("service", ["auth", "customers"])
def test_the_migration_jobs_read_their_database_url_from_its_file(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the compose file gives the migrate jobs, read by their own settings class (not the service's)."""
    url_file = tmp_path / f"{service}_database_url"
    url_file.write_text(f"postgresql://{service}:pw@postgres:5432/{service}\n")
    monkeypatch.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
    monkeypatch.setenv(f"{service.upper()}_DATABASE_URL_FILE", str(url_file))
    settings_class = importlib.import_module(f"{service}_service.migrate").MigrationSettings
    assert settings_class().database_url == f"postgresql://{service}:pw@postgres:5432/{service}"


def test_customers_service_secret_goes_to_auth_and_customers_only(compose: dict[str, Any]) -> None:
    holders = {
        name
        for name, service in compose["services"].items()
        if "customers_service_secret" in service.get("secrets", [])
    }
    assert holders == {"auth", "customers"}
    for name in holders:
        environment = compose["services"][name]["environment"]
        assert environment["CUSTOMERS_SERVICE_SECRET_FILE"] == "/run/secrets/customers_service_secret"
    assert compose["services"]["customers"]["environment"]["AUTH_URL"] == "http://auth:8001"


def test_compose_secrets_are_written_from_env_and_refused_when_missing(tmp_path: Path) -> None:
    """`make up`'s first step on a .env as a new user fills it in (the key as one quoted line)."""
    key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
    env_file = tmp_path / ".env"
    values = {variable: f"value-of-{variable.lower()}" for variable in REQUIRED}
    lines = [f"{variable}={value}" for variable, value in values.items() if variable != "AUTH_PRIVATE_KEY"]
    escaped = key.replace("\n", "\\n")
    env_file.write_text(
        "\n".join([*lines, f'AUTH_PRIVATE_KEY="{escaped}"', "SPENDSCORE_SECRETS_DIR=secrets"]) + "\n"
    )
    configured = configured_values(env_file, {"UI_COOKIE_SECRET": "from-the-environment"})
    directory = secrets_directory(configured, tmp_path)
    written = {path.name: path for path in write_secrets(configured, directory)}

    assert directory == tmp_path / "secrets" and set(written) == set(SECRETS)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in written.values()} == {0o644}
    assert written["auth_private_key"].read_text() == key
    assert written["ui_cookie_secret"].read_text() == "from-the-environment"
    assert written["postgres_password"].read_text() == "value-of-postgres_password"
    assert written["auth_database_url"].read_text() == (
        "postgresql://auth:value-of-auth_db_password@postgres:5432/auth"
    )
    assert written["customers_database_url"].read_text() == (
        "postgresql://customers:value-of-customers_db_password@postgres:5432/customers"
    )
    with pytest.raises(MissingSecret, match="set CUSTOMERS_DB_PASSWORD, UI_COOKIE_SECRET in .env"):
        write_secrets({**configured, "UI_COOKIE_SECRET": "", "CUSTOMERS_DB_PASSWORD": ""}, directory)


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


def test_env_example_lists_every_variable_the_settings_read(documented: set[str]) -> None:
    read: dict[str, str] = {}
    for path in SETTINGS_CLASSES:
        module, _, name = path.partition(":")
        settings_class = getattr(importlib.import_module(module), name)
        for variable in environment_names(settings_class):
            read.setdefault(variable, name)
    # A sanity check of the derivation itself: prefixed, aliased and shared names all come out.
    assert {"AUTH_BCRYPT_ROUNDS", "CUSTOMERS_DATABASE_URL", "APP_ENV", "UI_COOKIE_SECRET"} <= set(read)
    assert {variable: read[variable] for variable in sorted(set(read) - documented)} == {}
