"""Run the load test: a fresh local stack, 50 store owners for 60 s with Locust, then count lost writes.

Loopback only, bounded in time. Writes docs/load.md and exits non-zero when a target is missed.
LOAD_MODE=chaos runs loadtest/chaos.py instead (processes killed and frozen under load; docs/chaos.md).
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from testkit.postgres import TestPostgres
from testkit.processes import REPO_ROOT, run_module
from testkit.stack import LocalStack

USERS = int(os.environ.get("LOAD_USERS", "50"))
DURATION = os.environ.get("LOAD_DURATION", "60s")
OWNERS = 10
READ_P99_TARGET_MS = 250


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="spendscore-load-"))
    model = workdir / "model.joblib"
    run_module(["-m", "inference_service.training", "--output", str(model), "--no-card"], {})
    postgres = TestPostgres()
    stack = LocalStack(postgres, workdir, model)
    try:
        stack.start_all()
        accounts = []
        for _ in range(OWNERS):
            account = stack.create_user()
            accounts.append({"email": account.email, "password": account.password})
        created_log = workdir / "created.jsonl"
        created_log.touch()
        env = {
            **os.environ,
            "LOAD_ACCOUNTS": json.dumps(accounts),
            "LOAD_URLS": json.dumps(stack.urls),
            "LOAD_CREATED_LOG": str(created_log),
        }
        stats_prefix = workdir / "locust"
        locustfile = REPO_ROOT / "loadtest" / "locustfile.py"
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary"]
        command += ["-u", str(USERS), "-r", "10", "-t", DURATION, "--csv", str(stats_prefix)]
        locust = subprocess.run(command, env=env, cwd=REPO_ROOT, timeout=600)
        lost = count_lost_writes(stack, accounts, created_log)
        rows = read_stats(stats_prefix.with_name("locust_stats.csv"))
        report = render(rows, lost, created_log)
        (REPO_ROOT / "docs" / "load.md").write_text(report)
        print(report)
        server_errors = sum(int(row["Failure Count"]) for row in rows if row["Name"] != "Aggregated")
        slow_reads = [r for r in rows if r["Type"] == "GET" and float(r["99%"]) > READ_P99_TARGET_MS]
        return 1 if locust.returncode or lost or server_errors or slow_reads else 0
    finally:
        stack.close()
        postgres.close()


def count_lost_writes(stack: LocalStack, accounts: list[dict[str, str]], created_log: Path) -> int:
    """Every acknowledged create must still be there, with at least one prediction in its history."""
    tokens = {account["email"]: stack.login(account["email"], account["password"]) for account in accounts}
    lost = 0
    with httpx.Client(base_url=stack.urls["customers"], timeout=10) as client:
        for line in created_log.read_text().splitlines():
            entry = json.loads(line)
            headers = {"Authorization": f"Bearer {tokens[entry['email']]}"}
            history = client.get(f"/customers/{entry['id']}/predictions", headers=headers)
            if history.status_code != 200 or not history.json():
                lost += 1
    return lost


def read_stats(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stats:
        return list(csv.DictReader(stats))


def render(rows: list[dict[str, str]], lost: int, created_log: Path) -> str:
    created = len(created_log.read_text().splitlines())
    lines = [
        "# Load test",
        "",
        f"{USERS} simulated store owners ({OWNERS} accounts) for {DURATION} against a local stack on this",
        f"machine ({os.cpu_count()} cores), Locust headless, loopback only. Created customers checked after: "
        f"{created} acknowledged, {lost} lost.",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = (
            row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name'].split(' ', 1)[-1]}"
        )
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if os.environ.get("LOAD_MODE") == "chaos":
        from loadtest import chaos

        exit_code, chaos_report = chaos.main()
        print(chaos_report)
        sys.exit(exit_code)
    sys.exit(main())
