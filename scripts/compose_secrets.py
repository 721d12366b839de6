"""The Compose stack's secrets as files (`make up` writes them, docker-compose.yml mounts them as Compose
secrets): each from its variable in .env or the environment, in a folder only its owner may enter.

Files, not Compose's `environment:` secrets: Docker copies those into the container, which a read-only
root filesystem refuses; a file secret is a bind mount. The files are readable by all (the containers'
users are not the host's), the folder by its owner only.
"""

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import quote

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRECTORY = ".data/compose-secrets"


def database_url(role: str, password_variable: str) -> Callable[[Mapping[str, str]], str]:
    """A service's URL of the Compose PostgreSQL: its role and database (infra/compose/postgres-init.sh)."""
    return lambda values: (
        f"postgresql://{role}:{quote(values[password_variable], safe='')}@postgres:5432/{role}"
    )


# File name under /run/secrets: the variable of .env it is made from, or how it is made from them.
SECRETS: dict[str, str | Callable[[Mapping[str, str]], str]] = {
    "postgres_password": "POSTGRES_PASSWORD",
    "auth_db_password": "AUTH_DB_PASSWORD",
    "customers_db_password": "CUSTOMERS_DB_PASSWORD",
    "auth_database_url": database_url("auth", "AUTH_DB_PASSWORD"),
    "customers_database_url": database_url("customers", "CUSTOMERS_DB_PASSWORD"),
    "auth_private_key": "AUTH_PRIVATE_KEY",
    "bootstrap_admin_password": "BOOTSTRAP_ADMIN_PASSWORD",
    "customers_service_secret": "CUSTOMERS_SERVICE_SECRET",
    "ui_cookie_secret": "UI_COOKIE_SECRET",
}
REQUIRED = sorted({source for source in SECRETS.values() if isinstance(source, str)})


class MissingSecret(Exception):
    pass


def configured_values(env_file: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """.env's values, overridden by the environment's, as Compose reads them."""
    from_file = dotenv_values(env_file) if env_file.is_file() else {}
    values = {name: value for name, value in from_file.items() if value is not None}
    values.update(environ)
    return values


def secrets_directory(values: Mapping[str, str], project_directory: Path) -> Path:
    return project_directory / values.get("SPENDSCORE_SECRETS_DIR", DEFAULT_DIRECTORY)


def write_secrets(values: Mapping[str, str], directory: Path) -> list[Path]:
    """Every secret's file in ``directory`` (made 0700), each replaced whole; refuses when one is unset."""
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise MissingSecret(
            "set " + ", ".join(missing) + " in .env (see .env.example: the REQUIRED block at the bottom)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    written = []
    for name, source in SECRETS.items():
        content = values[source] if isinstance(source, str) else source(values)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(descriptor, "w") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, directory / name)
        written.append(directory / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, default=REPO_ROOT / ".env")
    parser.add_argument("--project-directory", type=Path, default=REPO_ROOT)
    options = parser.parse_args()
    values = configured_values(options.env_file, os.environ)
    try:
        write_secrets(values, secrets_directory(values, options.project_directory))
    except MissingSecret as error:
        sys.exit(f"compose secrets: {error}")


if __name__ == "__main__":
    main()
