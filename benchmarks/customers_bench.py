"""Customers benchmarks: list page, dashboard, create with prediction and CSV import for an owner
with 100,000 customers, and what the original design (every customer loaded to count genders) costs.

The customers app runs in-process (ASGI transport, the real lifespan and pool) over a real PostgreSQL;
auth and inference run as real processes on free ports (testkit.stack.LocalStack).
"""

import asyncio
import collections
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlmodel import col

from customers_service.config import CustomersSettings
from customers_service.main import create_app
from customers_service.models import Customer
from customers_service.search_text import search_text

_SEED = 20261127
_CUSTOMER_COLUMNS = (
    "id", "owner_id", "external_id", "name", "search_name", "gender", "age", "annual_income", "created_at",
    "updated_at", "latest_prediction_id", "latest_spending_score", "latest_band", "latest_segment",
    "latest_segment_probability", "segment_source", "observed_score", "observed_at", "prior_score",
    "prior_interval_low", "prior_interval_high",
)  # fmt: skip
_PREDICTION_COLUMNS = (
    "id", "owner_id", "customer_id", "status", "spending_score", "band", "interval_low", "interval_high",
    "model_version", "gender", "age", "annual_income", "created_at", "completed_at", "segment_id",
    "segment_probability",
)  # fmt: skip
OBSERVED_SHARE = 0.1  # customers whose real score the owner entered


# Names as a Brazilian shop has them: accented, repeated, so that a search word matches many rows.
_FIRST_NAMES = (
    "João", "Maria", "José", "Ana", "Antônio", "Francisca", "Conceição", "Luís", "Márcia", "Sebastião",
    "Zé", "Júlia", "Cláudio", "Patrícia", "Raimundo", "Letícia", "Gonçalo", "Inês", "Vitória", "Otávio",
)  # fmt: skip
_LAST_NAMES = (
    "Silva", "Sá", "Souza", "Conceição", "Oliveira", "Araújo", "Gonçalves", "Simões", "Brandão",
    "Magalhães", "D'Ávila", "Assunção", "Lima", "Ribeiro", "Carvalho", "Gomes", "Melo", "Barros",
)  # fmt: skip
# Accent-free queries people type: one word (about 1 row in 20 matches), two words, prefixes, an id.
_SEARCHES = ("joao", "conceicao sa", "mar", "jose silva", "davila", "gonc", "K4242", "otavio 0042")


def _band(score: float) -> str:
    return "low" if score < 25 else ("high" if score > 75 else "medium")


def _segment(income: float, score: float) -> str:
    """About where the model's five segments lie: enough to give the dashboard realistic groups."""
    income_level = "low" if income < 40 else ("high" if income > 70 else "average")
    spending = "average" if income_level == "average" else ("low" if score < 50 else "high")
    return f"{income_level}-income-{spending}-spending"


async def seed_customers(database_url: str, owner_id: uuid.UUID, count: int) -> float:
    """COPY ``count`` customers with a done prediction each for one owner; returns seconds taken."""
    rng = random.Random(_SEED)
    started = time.perf_counter()
    base = datetime.now(UTC) - timedelta(days=365)
    customers, predictions = [], []
    for index in range(count):
        customer_id, prediction_id = uuid.uuid4(), uuid.uuid4()
        gender = rng.choice(("male", "female"))
        age, income = rng.randint(18, 70), float(rng.randint(15, 137))
        score = float(rng.randint(1, 100))
        created = base + timedelta(seconds=index * 300)
        segment = _segment(income, score)
        observed = rng.randint(1, 100) if rng.random() < OBSERVED_SHARE else None
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)} {index:06d}"
        customers.append(
            (customer_id, owner_id, f"K{index}", name, search_text(name), gender, age, income, created,
             created, prediction_id, score, _band(score),
             segment if observed is None else _segment(income, observed), 0.7 if observed is None else None,
             "predicted" if observed is None else "observed", observed, created if observed else None,
             score if observed else None, score - 12 if observed else None, score + 12 if observed else None)
        )  # fmt: skip
        predictions.append(
            (prediction_id, owner_id, customer_id, "done", score, _band(score), score - 12, score + 12,
             "bench", gender, age, income, created, created, segment, 0.7)
        )  # fmt: skip
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "customer",
                records=customers,
                columns=_CUSTOMER_COLUMNS,
            )
            await connection.copy_records_to_table(
                "prediction",
                records=predictions,
                columns=_PREDICTION_COLUMNS,
            )
        await connection.execute("VACUUM ANALYZE customer")
        await connection.execute("VACUUM ANALYZE prediction")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _median_ms(call: Any, runs: int) -> float:
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        await call(run)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def _import_file(rows: int, rng: random.Random) -> bytes:
    lines = ["name,gender,age,annual_income"]
    lines += [
        f"Imported {index},{rng.choice(('m', 'f'))},{rng.randint(18, 70)},{rng.randint(15, 137)}"
        for index in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def _measure(
    settings: CustomersSettings, headers: dict[str, str], runs: int, round_number: int
) -> dict[str, Any]:
    # A seed per round: a round importing the very files of the one before would get the answers the
    # service recorded for them (a retried upload is answered once), not an import.
    rng = random.Random(_SEED + round_number)
    app = create_app(settings)
    results: dict[str, Any] = {}
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://customers") as client,
    ):

        async def get(path: str) -> httpx.Response:
            response = await client.get(path, headers=headers)
            response.raise_for_status()
            return response

        await get("/customers?limit=50")  # warm the pool and the token cache
        results["list_page_50_p50_ms"] = await _median_ms(
            lambda _: get(f"/customers?limit=50&offset={rng.randint(0, 5000)}"), runs
        )
        results["list_page_50_by_score_p50_ms"] = await _median_ms(
            lambda _: get("/customers?limit=50&sort=-spending_score&band=high"), runs
        )
        results["list_search_p50_ms"] = await _median_ms(
            lambda run: get(f"/customers?limit=50&q={_SEARCHES[run % len(_SEARCHES)]}"), runs
        )
        results["dashboard_p50_ms"] = await _median_ms(lambda _: get("/dashboard"), runs)

        async def original_gender_count(_: int) -> None:
            # The original shipped every customer to the browser and counted there: load all, count.
            async with app.state.sessionmaker() as session:
                rows = (
                    await session.scalars(
                        select(Customer).where(col(Customer.owner_id) == owner_uuid(headers))
                    )
                ).all()
                payload = json.dumps([row.model_dump(mode="json") for row in rows])
                counts = collections.Counter(row.gender for row in rows)
            results["original_payload_mb"] = round(len(payload) / 1e6, 1)
            assert counts

        results["original_load_all_to_count_genders_median_ms"] = await _median_ms(original_gender_count, 3)

        async def create(_: int) -> None:
            body = {"name": "Bench", "gender": rng.choice(("m", "f")), "age": rng.randint(18, 70),
                    "annual_income": rng.randint(15, 137)}  # fmt: skip
            response = await client.post("/customers", json=body, headers=headers)
            response.raise_for_status()
            assert response.json()["latest_prediction"]["status"] == "done", "inference must answer"

        await create(0)
        results["create_with_prediction_p50_ms"] = await _median_ms(create, runs)

        async def import_rows(_: int) -> None:
            response = await client.post(
                "/customers/import",
                files={"file": ("bench.csv", _import_file(10_000, rng), "text/csv")},
                headers=headers,
            )
            response.raise_for_status()
            assert response.json()["pending_predictions"] == 0, "inference must answer"

        results["csv_import_10000_rows_median_s"] = round(await _median_ms(import_rows, 3) / 1000, 3)

    return results


def owner_uuid(headers: dict[str, str]) -> uuid.UUID:
    claims = jwt.decode(headers["Authorization"].split(" ", 1)[1], options={"verify_signature": False})
    return uuid.UUID(claims["sub"])


def customers_benchmarks(*, customers: int = 100_000, runs: int = 101, rounds: int = 1) -> dict[str, Any]:
    """Seed ``customers`` for one owner, then time each operation: ``rounds`` rounds, each giving
    medians over ``runs`` calls (in ``results``, one dict per round)."""
    from testkit.postgres import TestPostgres
    from testkit.processes import run_module
    from testkit.stack import LocalStack

    postgres = TestPostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="customers-bench-") as workdir:
            model_path = Path(workdir) / "model.joblib"
            run_module(["-m", "inference_service.training", "--output", str(model_path), "--no-card"], {})
            stack = LocalStack(postgres, Path(workdir), model_path)
            try:
                stack.start("auth")
                stack.start("inference")
                account = stack.create_user()
                database_url = stack.database_url("customers")
                seconds = asyncio.run(seed_customers(database_url, uuid.UUID(account.id), customers))
                settings = CustomersSettings(
                    app_env="test",
                    database_url=database_url,
                    inference_url=stack.urls["inference"],
                    auth_jwks_url=stack.urls["auth"] + "/.well-known/jwks.json",
                )
                results = [
                    asyncio.run(_measure(settings, account.headers, runs, round_number))
                    for round_number in range(rounds)
                ]
            finally:
                stack.close()
    finally:
        postgres.close()
    return {"customers": customers, "seed_copy_s": round(seconds, 2), "runs": runs, "results": results}
