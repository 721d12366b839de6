"""Store owners: log in once, then list, search, create, update, open histories and the dashboard, import."""

import io
import json
import os
import random
import threading
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(os.environ["LOAD_ACCOUNTS"])  # [{"email", "password"}...]
URLS = json.loads(os.environ["LOAD_URLS"])  # {"auth": ..., "customers": ...}
CREATED_LOG = Path(os.environ["LOAD_CREATED_LOG"])
_log_lock = threading.Lock()
_next_account = iter(range(10**9))


def record_created(email: str, customer_id: str) -> None:
    with _log_lock, CREATED_LOG.open("a") as log:
        log.write(json.dumps({"email": email, "id": customer_id}) + "\n")


def customer_payload() -> dict:
    return {
        "name": f"Load {uuid.uuid4().hex[:8]}",
        "gender": random.choice(["male", "female"]),
        "age": random.randint(18, 70),
        "annual_income": random.randint(15, 137),
    }


def import_csv(rows: int = 20) -> bytes:
    lines = ["name,gender,age,annual_income"]
    for _ in range(rows):
        customer = customer_payload()
        lines.append(f"{customer['name']},{customer['gender']},{customer['age']},{customer['annual_income']}")
    return ("\n".join(lines) + "\n").encode()


class StoreOwner(HttpUser):
    wait_time = between(0.5, 2.0)
    host = URLS["customers"]

    def on_start(self) -> None:
        self.account = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
        response = self.client.post(URLS["auth"] + "/auth/login", json=self.account, name="POST /auth/login")
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        self.known_ids: list[str] = []

    @task(6)
    def list_customers(self) -> None:
        self.client.get("/customers", params={"limit": 50, "sort": "-created_at"}, name="GET /customers")

    @task(2)
    def search(self) -> None:
        self.client.get("/customers", params={"q": "Load", "band": "high"}, name="GET /customers?q")

    @task(3)
    def create(self) -> None:
        response = self.client.post("/customers", json=customer_payload(), name="POST /customers")
        if response.status_code == 201:
            customer_id = response.json()["id"]
            self.known_ids.append(customer_id)
            record_created(self.account["email"], customer_id)

    @task(2)
    def update(self) -> None:
        if self.known_ids:
            customer_id = random.choice(self.known_ids)
            self.client.patch(
                f"/customers/{customer_id}",
                json={"age": random.randint(18, 70)},
                name="PATCH /customers/{id}",
            )

    @task(2)
    def history(self) -> None:
        if self.known_ids:
            customer_id = random.choice(self.known_ids)
            self.client.get(f"/customers/{customer_id}/predictions", name="GET /customers/{id}/predictions")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="GET /dashboard")

    @task(1)
    def import_file(self) -> None:
        self.client.post(
            "/customers/import",
            files={"file": ("load.csv", io.BytesIO(import_csv()), "text/csv")},
            name="POST /customers/import",
        )


@events.quitting.add_listener
def _fail_on_server_errors(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    if any(str(error.error).startswith("HTTPError('5") for error in environment.stats.errors.values()):
        environment.process_exit_code = 1
