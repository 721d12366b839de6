"""The real entry points as processes: serve over HTTP, and refuse bad configuration with one line."""

import json
import subprocess
import sys

import httpx

from testkit.postgres import TestPostgres
from testkit.processes import REPO_ROOT, ServiceProcess, free_port


def service_env(database_url: str, tmp_path) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "AUTH_DATABASE_URL": database_url,
        "AUTH_BCRYPT_ROUNDS": "4",
        "DATA_DIR": str(tmp_path / "data"),
        "BOOTSTRAP_ADMIN_EMAIL": "process-admin@spendscore.test",
        "BOOTSTRAP_ADMIN_PASSWORD": "process-admin-password",
    }


def test_the_service_process_serves_logins(auth_database_url, tmp_path):
    port = free_port()
    process = ServiceProcess(
        "auth",
        ["-m", "auth_service"],
        {**service_env(auth_database_url, tmp_path), "AUTH_PORT": str(port)},
        port,
        tmp_path,
    )
    try:
        process.start(ready_path="/readyz")
        login = httpx.post(
            process.url + "/auth/login",
            json={"email": "process-admin@spendscore.test", "password": "process-admin-password"},
        )
        jwks = httpx.get(process.url + "/.well-known/jwks.json")
    finally:
        process.stop()

    assert login.status_code == 200
    assert login.headers["x-request-id"]
    assert jwks.json()["keys"][0]["alg"] == "EdDSA"
    log = process.log_path.read_text()
    assert "process-admin-password" not in log
    # One JSON access line per request, carrying the id the answer echoed.
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if (line["logger"], line["message"]) == ("spendscore.access", "request")]
    login_lines = [line for line in access if line["request_id"] == login.headers["x-request-id"]]
    assert len(login_lines) == 1
    assert login_lines[0] | {"time": None, "duration_ms": None} == {
        "time": None,
        "level": "INFO",
        "service": "auth",
        "logger": "spendscore.access",
        "message": "request",
        "request_id": login.headers["x-request-id"],
        "method": "POST",
        "path": "/auth/login",
        "status": 200,
        "duration_ms": None,
    }
    assert login_lines[0]["duration_ms"] > 0
    assert [line["path"] for line in access].count("/.well-known/jwks.json") == 1


def run_auth(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auth_service"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreachable_database_stops_the_service_with_one_line(tmp_path):
    env = {
        **service_env(f"postgresql://auth:secret@127.0.0.1:{free_port()}/auth", tmp_path),
        "AUTH_PORT": str(free_port()),
    }

    completed = run_auth(env)

    assert completed.returncode != 0
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("auth: cannot reach the database at 127.0.0.1:")
    assert "secret" not in line


def test_a_database_without_schema_stops_the_service_with_one_line(test_postgres: TestPostgres, tmp_path):
    empty = test_postgres.create_database("auth_empty")
    env = {**service_env(empty, tmp_path), "AUTH_PORT": str(free_port())}

    completed = run_auth(env)

    assert completed.returncode != 0
    assert completed.stderr.strip() == (
        "auth: the auth database has no schema yet: run `python -m auth_service.migrate` first"
    )


def test_a_missing_database_url_is_named(tmp_path):
    env = {"APP_ENV": "test", "DATA_DIR": str(tmp_path), "AUTH_PORT": str(free_port()), "PATH": ""}

    completed = run_auth(env)

    assert completed.returncode != 0
    assert completed.stderr.strip() == "auth: invalid configuration: AUTH_DATABASE_URL: Field required"


def test_a_too_short_bootstrap_password_stops_the_service_with_one_line(auth_database_url, tmp_path):
    env = {
        **service_env(auth_database_url, tmp_path),
        "AUTH_PORT": str(free_port()),
        "BOOTSTRAP_ADMIN_PASSWORD": "123",
    }

    completed = run_auth(env)

    assert completed.returncode != 0
    assert completed.stderr.strip() == (
        "auth: invalid configuration: BOOTSTRAP_ADMIN_PASSWORD: password must be at least 8 characters"
    )


def test_a_malformed_bootstrap_email_stops_the_service_with_one_line(auth_database_url, tmp_path):
    env = {
        **service_env(auth_database_url, tmp_path),
        "AUTH_PORT": str(free_port()),
        "BOOTSTRAP_ADMIN_EMAIL": "admin-at-nowhere",
    }

    completed = run_auth(env)

    assert completed.returncode != 0
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("auth: invalid configuration: BOOTSTRAP_ADMIN_EMAIL: ")
    assert "@-sign" in line
