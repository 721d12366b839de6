"""customer_aggregate (kept by triggers on customer) against a fresh GROUP BY over the customers, after
every kind of write: creates, edits, new and completed predictions, observed scores set and cleared,
deletes, CSV imports and re-imports, an owner's deletion, concurrent writers, and many small writes."""

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from customers_service import (
    customer_import_writes,
    customer_reads,
    dashboard_repository,
    prediction_repository,
)
from customers_service.dashboard_repository import AGE_GROUPS, HISTOGRAM_BUCKETS
from customers_service.inference_client import ModelOutput
from customers_service.schemas import CustomerCreate

_AGE_GROUP = (
    "CASE "
    + " ".join(f"WHEN age <= {high} THEN {index}" for index, (_, _, high) in enumerate(AGE_GROUPS))
    + f" ELSE {len(AGE_GROUPS) - 1} END"
)
# The GROUP BY the dashboard ran before the aggregates, and its accuracy sums.
_FRESH_GROUPS = f"""
SELECT gender, latest_band, latest_segment,
       CASE WHEN latest_spending_score IS NULL THEN NULL
            ELSE least(floor(latest_spending_score / 10)::int, {HISTOGRAM_BUCKETS - 1}) END,
       {_AGE_GROUP}, count(*), count(latest_spending_score), coalesce(sum(latest_spending_score), 0)
FROM customer WHERE owner_id = $1 GROUP BY 1, 2, 3, 4, 5
"""
_FRESH_ACCURACY = """
SELECT count(*), coalesce(sum(abs(observed_score - prior_score)), 0),
       coalesce(sum((observed_score - prior_score) ^ 2), 0), coalesce(sum(observed_score), 0),
       coalesce(sum(observed_score * observed_score), 0),
       coalesce(sum(CASE WHEN observed_score BETWEEN prior_interval_low AND prior_interval_high
                    THEN 1 ELSE 0 END), 0)
FROM customer WHERE owner_id = $1 AND observed_score IS NOT NULL AND prior_score IS NOT NULL
"""


def _by_key(rows: Any) -> dict[tuple[Any, ...], tuple[int, int, float]]:
    groups: dict[tuple[Any, ...], tuple[int, int, float]] = {}
    for key, count, scored, score_sum in rows:
        before = groups.get(key, (0, 0, 0.0))
        groups[key] = (before[0] + count, before[1] + scored, before[2] + score_sum)
    return groups


async def _assert_matches_a_fresh_group_by(api: Any, url: str, owner_id: str) -> None:
    owner = uuid.UUID(owner_id)
    connection = await asyncpg.connect(url)
    try:
        fresh = _by_key(
            ((row[0], row[1], row[2], row[3], row[4]), row[5], row[6], float(row[7]))
            for row in await connection.fetch(_FRESH_GROUPS, owner)
        )
        fresh_accuracy = await connection.fetchrow(_FRESH_ACCURACY, owner)
    finally:
        await connection.close()
    async with api.app.state.sessionmaker() as session:
        groups = await dashboard_repository.dashboard_groups(session=session, owner_id=owner)
        accuracy = await dashboard_repository.accuracy_sums(session=session, owner_id=owner)
        total = await customer_reads.count_without_search(session=session, owner_id=owner)
    aggregated = _by_key(
        ((g.gender, g.band, g.segment, g.bucket, g.age_group), g.count, g.scored, g.score_sum) for g in groups
    )
    assert {key: value[:2] for key, value in aggregated.items()} == {
        key: value[:2] for key, value in fresh.items()
    }
    for key, (_, _, score_sum) in fresh.items():
        assert aggregated[key][2] == pytest.approx(score_sum, abs=1e-6), key
    assert total == sum(count for count, _, _ in fresh.values())
    assert (accuracy.count, accuracy.covered) == (fresh_accuracy[0], fresh_accuracy[5])
    assert accuracy.observed_sum == fresh_accuracy[3]
    assert accuracy.observed_square_sum == fresh_accuracy[4]
    assert accuracy.absolute_error_sum == pytest.approx(float(fresh_accuracy[1]), abs=1e-6)
    assert accuracy.squared_error_sum == pytest.approx(float(fresh_accuracy[2]), abs=1e-6)


def _outcome(score: float, segment: str | None, low: float | None = None) -> ModelOutput:
    band = "low" if score < 25 else ("high" if score > 75 else "medium")
    low = score - 10 if low is None else low
    return ModelOutput(score, band, low, score + 10, "test", segment, None if segment is None else 0.7)


_SEEDED = [
    # name, gender, age, income, predicted score, segment, observed score
    ("Ana", "female", 17, 20, 5.5, "low-income-low-spending", None),
    ("Bia", "female", 24, 90, 33.3, "high-income-low-spending", 40),
    ("Caio", "male", 35, 90, 81.7, "high-income-high-spending", 99),
    ("Davi", "male", 64, 55, 50.0, None, None),
    ("Elis", "female", 70, 30, 100.0, "low-income-high-spending", 12),
    ("Fabi", "female", 45, 60, 24.9, "average-income-average-spending", 30),
]


async def _seed(api: Any, owner_id: str) -> None:
    async with api.app.state.sessionmaker() as session:
        records = customer_import_writes.import_records(
            owner_id=uuid.UUID(owner_id),
            created=[
                (
                    CustomerCreate(
                        name=name, gender=gender, age=age, annual_income=income, observed_score=observed
                    ),
                    _outcome(score, segment),
                )
                for name, gender, age, income, score, segment, observed in _SEEDED
            ],
            updated=[],
        )
        await customer_import_writes.store_import(session=session, records=records)
        await session.commit()


async def _items(api: Any, owner: Any) -> dict[str, dict[str, Any]]:
    page = (await api.client.get("/customers?limit=200", headers=owner.headers)).json()
    return {item["name"]: item for item in page["items"]}


async def test_creates_edits_predictions_observed_scores_and_deletes(
    api, owner, other_owner, customers_database_url
):
    url = customers_database_url
    await _seed(api, owner.id)
    await _seed(api, other_owner.id)
    await _assert_matches_a_fresh_group_by(api, url, owner.id)

    await api.create_customer(owner, name="Gil", gender="male", age=52, annual_income=70)  # pending
    await api.create_customer(owner, name="Hugo", age=28, observed_score=77)
    await _assert_matches_a_fresh_group_by(api, url, owner.id)

    customers = await _items(api, owner)
    for name, change in (
        ("Ana", {"gender": "male"}),
        ("Caio", {"age": 19}),
        ("Davi", {"annual_income": 10.5}),
        ("Elis", {"name": "Elisa"}),  # no input of the model: no new prediction
    ):
        response = await api.client.patch(
            f"/customers/{customers[name]['id']}", json=change, headers=owner.headers
        )
        assert response.status_code == 200, response.text
        await _assert_matches_a_fresh_group_by(api, url, owner.id)

    async with api.app.state.sessionmaker() as session:
        pending = await prediction_repository.oldest_pending(session=session, limit=100)
        await prediction_repository.complete(
            session=session,
            completions=[
                (prediction_id, _outcome(10.0 + 7 * index, "high-income-high-spending"))
                for index, (prediction_id, _) in enumerate(pending)
            ],
        )
        await session.commit()
    assert pending
    await _assert_matches_a_fresh_group_by(api, url, owner.id)

    customers = await _items(api, owner)
    for name, observed in (("Ana", 64), ("Bia", None), ("Caio", 3), ("Fabi", None), ("Fabi", 55)):
        response = await api.client.patch(
            f"/customers/{customers[name]['id']}", json={"observed_score": observed}, headers=owner.headers
        )
        assert response.status_code == 200, response.text
        await _assert_matches_a_fresh_group_by(api, url, owner.id)

    for name in ("Davi", "Hugo"):
        response = await api.client.delete(f"/customers/{customers[name]['id']}", headers=owner.headers)
        assert response.status_code == 204
    await _assert_matches_a_fresh_group_by(api, url, owner.id)
    await _assert_matches_a_fresh_group_by(api, url, other_owner.id)


async def test_a_csv_import_and_its_reimport(api, owner, customers_database_url):
    rows = [
        f"K{index},Cliente {index},{'mf'[index % 2]},{18 + index % 60},{15 + index}" for index in range(300)
    ]
    observed = [f"{row},{1 + index % 100}" for index, row in enumerate(rows)]
    header = "id,name,gender,age,annual_income,Spending Score (1-100)\n"
    first = await api.client.post(
        "/customers/import",
        files={"file": ("c.csv", (header + "\n".join(observed) + "\n").encode(), "text/csv")},
        headers=owner.headers,
    )
    assert first.status_code == 201, first.text
    assert first.json()["imported"] == 300
    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)

    # Half the rows again with other ages and genders: updates, each with a new (pending) prediction.
    changed = [
        f"K{index},Cliente {index},{'fm'[index % 2]},{80 - index % 50},{15 + index}" for index in range(150)
    ]
    again = await api.client.post(
        "/customers/import",
        files={"file": ("c2.csv", ("id,name,gender,age,annual_income\n" + "\n".join(changed)).encode())},
        headers=owner.headers,
    )
    assert again.status_code == 201, again.text
    assert again.json()["updated"] == 150
    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)


async def test_an_owners_deletion_leaves_nothing_of_it(
    api, owner, other_owner, new_owner, customers_database_url
):
    await _seed(api, owner.id)
    await _seed(api, other_owner.id)
    service = new_owner(roles=("service",), subject="auth-service")

    response = await api.client.delete(f"/owners/{owner.id}/customers", headers=service.headers)

    assert response.status_code == 204
    async with api.app.state.sessionmaker() as session:
        assert (
            await dashboard_repository.dashboard_groups(session=session, owner_id=uuid.UUID(owner.id)) == []
        )
    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)
    await _assert_matches_a_fresh_group_by(api, customers_database_url, other_owner.id)


async def test_concurrent_writers_of_one_owner(api, owner, customers_database_url):
    await _seed(api, owner.id)

    async def writer(number: int) -> None:
        for step in range(8):
            created = await api.create_customer(owner, name=f"W{number}-{step}", age=18 + 7 * step)
            path = f"/customers/{created['id']}"
            changes = {"gender": "male", "observed_score": 10 * step + 1} if step % 2 else {"age": 90}
            assert (await api.client.patch(path, json=changes, headers=owner.headers)).status_code == 200
            if step % 3 == 0:
                assert (await api.client.delete(path, headers=owner.headers)).status_code == 204

    async def importer() -> None:
        lines = "\n".join(f"Imp {index},f,{20 + index % 40},{30 + index}" for index in range(500))
        response = await api.client.post(
            "/customers/import",
            files={"file": ("i.csv", ("name,gender,age,annual_income\n" + lines).encode())},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text

    await asyncio.gather(*(writer(number) for number in range(4)), importer())

    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)


async def _copy_customers(connection: asyncpg.Connection, owner_id: uuid.UUID, count: int) -> None:
    await connection.copy_records_to_table(
        "customer",
        records=[
            (uuid.uuid4(), owner_id, f"C{index}", "male" if index % 3 else "female", index % 90, 40.0)
            for index in range(count)
        ],
        columns=("id", "owner_id", "name", "gender", "age", "annual_income"),
    )


async def test_an_open_copy_import_blocks_no_other_writer_of_the_owner(api, owner, customers_database_url):
    owner_id = uuid.UUID(owner.id)
    importing = await asyncpg.connect(customers_database_url)
    other = await asyncpg.connect(customers_database_url)
    try:
        await other.execute("SET lock_timeout = '10s'")  # a wait on the import fails instead of hanging
        transaction = importing.transaction()
        await transaction.start()
        await _copy_customers(importing, owner_id, 10_000)
        # While the import is not committed: more rows of the same owner, an edit, a delete.
        await _copy_customers(other, owner_id, 300)
        await other.execute("UPDATE customer SET age = 33 WHERE owner_id = $1 AND age < 10", owner_id)
        await other.execute("DELETE FROM customer WHERE owner_id = $1 AND age = 80", owner_id)
        await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)
        await transaction.commit()
    finally:
        await importing.close()
        await other.close()
    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)


async def test_many_small_writes_are_folded_into_one_row_per_group(api, owner, customers_database_url):
    owner_id = uuid.UUID(owner.id)
    connection = await asyncpg.connect(customers_database_url)
    try:
        await _copy_customers(connection, owner_id, 50)
        for step in range(400):  # one statement each: 800 delta rows
            await connection.execute(
                "UPDATE customer SET age = (age + 7) % 100 WHERE owner_id = $1 AND name = $2",
                owner_id,
                f"C{step % 50}",
            )
        rows = await connection.fetchval(
            "SELECT count(*) FROM customer_aggregate WHERE owner_id = $1", owner_id
        )
        groups = await connection.fetchval(
            f"SELECT count(DISTINCT (gender, {_AGE_GROUP})) FROM customer WHERE owner_id = $1", owner_id
        )
    finally:
        await connection.close()
    # Fewer than 128 delta rows since the last fold, on top of one row per group.
    assert rows < groups + 128
    await _assert_matches_a_fresh_group_by(api, customers_database_url, owner.id)
