"""`make run`: the whole SpendScore stack as local processes, on an embedded PostgreSQL unless told otherwise.

Steps: supervisord (scripts/local_supervisor.py) with the database (embedded pgserver under
$DATA_DIR/postgres, or AUTH_/CUSTOMERS_DATABASE_URL), migrations, model training when no artifact exists,
bootstrap admin, then auth, customers, inference and the UI, and demo data on the very first run.
A process that exits is restarted by supervisord (the others keep serving); one prefixed log stream;
Ctrl-C stops everything. `make status` (``local_stack.py status``) shows each process's state.
"""

import csv
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

import httpx

from inference_service.config import MODEL_FILE_NAME
from scripts.local_supervisor import (
    EmbeddedPostgres,
    Program,
    Supervisor,
    embedded_postgres,
    follow_logs,
    status_lines,
)

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
        self.default_language = env.get("UI_DEFAULT_LANGUAGE", "en")
        self.bootstrap_admin = (env.get("BOOTSTRAP_ADMIN_EMAIL", ""), env.get("BOOTSTRAP_ADMIN_PASSWORD", ""))
        self.credentials_path = self.data_dir / "credentials.json"


def use_embedded_postgres(config: StackConfig) -> EmbeddedPostgres:
    """The embedded server's databases for every service without a configured URL."""
    embedded = embedded_postgres(config.data_dir / "postgres")
    for service in SERVICES[:2]:
        if not config.database_urls[service]:
            config.database_urls[service] = embedded.url(f"spendscore_{service}")
    return embedded


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


# Made-up names for the demo store, in the UI's default language (UI_DEFAULT_LANGUAGE).
DEMO_NAMES = {
    "en": {
        "female": ("Emma", "Olivia", "Grace", "Lucy", "Hannah", "Sophie", "Chloe", "Alice", "Ruth", "Megan"),
        "male": ("James", "Oliver", "Henry", "Jack", "Samuel", "Thomas", "George", "Daniel", "Peter", "Ben"),
        "surnames": ("Smith", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Green"),
    },
    "pt-BR": {
        "female": (
            "Ana",
            "Beatriz",
            "Camila",
            "Fernanda",
            "Juliana",
            "Larissa",
            "Mariana",
            "Patrícia",
            "Rita",
        ),
        "male": (
            "João",
            "Pedro",
            "Lucas",
            "Gabriel",
            "Rafael",
            "Bruno",
            "Thiago",
            "Carlos",
            "Marcos",
            "Diego",
        ),
        "surnames": ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida", "Rocha"),
    },
}


def demo_name(number: int, gender: str, language: str) -> str:
    """A made-up name for the demo customer ``number``, of that gender, in ``language`` (en or pt-BR)."""
    names = DEMO_NAMES.get(language, DEMO_NAMES["en"])
    first = names["female" if gender.strip().lower().startswith("f") else "male"]
    surnames = names["surnames"]
    return f"{first[number % len(first)]} {surnames[(number // len(first)) % len(surnames)]}"


def demo_customers_csv(limit: int = 60, language: str = "en") -> bytes:
    """Sample customers from the Mall Customers data set, with made-up names in ``language``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "gender", "age", "annual_income"])
    with DATASET.open(newline="") as source:
        for row in list(csv.DictReader(source))[:limit]:
            number = int(row["customerID"])
            name = demo_name(number, row["gender"], language)
            writer.writerow([name, row["gender"], row["age"], row["annual_income"]])
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
        files={"file": ("demo.csv", demo_customers_csv(language=config.default_language), "text/csv")},
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
    lines += [
        f"  (credentials kept in {config.credentials_path})",
        "  A process that exits is restarted; `make status` shows each one. Ctrl-C stops everything.",
        "",
    ]
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


def service_programs(config: StackConfig) -> list[Program]:
    """Started once the database is migrated (not at supervisord's start)."""
    python = sys.executable
    programs = [
        Program(name, [python, "-m", f"{name}_service"], cwd=REPO_ROOT, priority=200, autostart=False)
        for name in SERVICES
    ]
    # `streamlit run` with the services' bounds on slow clients (HEAD_TIMEOUT_SECONDS, MAX_CONNECTIONS).
    ui_command = [python, "-m", "spendscore_ui.serve", "ui/streamlit_app.py"]
    ui_command += ["--server.port", str(config.ports["ui"]), "--server.address", "127.0.0.1"]
    ui_command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    ui_command += ["--logger.hideWelcomeMessage", "true"]  # JSON lines only; the URLs are printed above
    ui_command += ["--server.maxUploadSize", "5"]  # the customers service's file limit (MB)
    programs.append(Program("ui", ui_command, cwd=REPO_ROOT, priority=300, autostart=False))
    return programs


def main() -> int:
    config = StackConfig(dict(os.environ))
    state_dir = config.data_dir / "supervisor"
    if sys.argv[1:] == ["status"]:
        print("\n".join(status_lines(state_dir)))
        return 0
    if Supervisor(state_dir, []).is_running():
        fail(f"the local stack is already running from {config.data_dir} (`make status`)")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = None if all(config.database_urls.values()) else use_embedded_postgres(config)
    credentials = load_credentials(config)
    env = service_env(config, dict(os.environ))
    env["CUSTOMERS_SERVICE_SECRET"] = ensure_service_secret(config, credentials)
    programs = service_programs(config)
    supervisor = Supervisor(state_dir, [*([embedded.program] if embedded else []), *programs])
    # Ctrl-C (SIGINT) or SIGTERM: stop everything in order, from the finally below.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.default_int_handler)
    stop_logs = threading.Event()
    try:
        supervisor.start(env)
        names = ["supervisord", *supervisor.programs]
        threading.Thread(
            target=follow_logs, args=(supervisor.log_dir, names, stop_logs, sys.stdout), daemon=True
        ).start()
        if embedded is not None:
            say(f"embedded PostgreSQL in {config.data_dir / 'postgres'}, supervised")
            embedded.wait_until_accepting()
            embedded.ensure_databases(f"spendscore_{service}" for service in SERVICES[:2])
        run_step("migrating the auth database", ["-m", "auth_service.migrate"], env)
        run_step("migrating the customers database", ["-m", "customers_service.migrate"], env)
        if not config.model_path.exists():
            run_step(
                "training the model (first run)",
                ["-m", "inference_service.training", "--output", str(config.model_path), "--no-card"],
                env,
            )
        ensure_admin(config, env, credentials)
        for program in programs:
            supervisor.start_program(program.name, wait=False)
        threading.Thread(target=announce_when_ready, args=(config, credentials), daemon=True).start()
        return supervisor.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        say("stopping every process")
        supervisor.shutdown()
        stop_logs.set()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
