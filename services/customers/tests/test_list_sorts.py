"""Every column of the list sorts on the server, both directions, over all pages, from an index."""

import uuid

import asyncpg
import pytest

from customers_service.customer_reads import SORT_KEYS

# (gender, age, income, external id, observed score, score): ties on purpose, and values missing.
ROWS = [
    ("female", 30, 80.0, "E03", 40, 55.0),
    ("male", 30, 120.0, None, None, 90.0),
    ("female", 45, 15.0, "E01", 90, None),
    ("male", 22, 80.0, "E02", None, 10.0),
    ("female", 61, 64.5, None, 10, 55.0),
    ("male", 45, 120.0, "E05", 40, 70.0),
    ("female", 30, 33.0, "E04", None, None),
]
# The column each key sorts by (the band sorts by the score it is a range of).
COLUMN = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "spending_score": "latest_spending_score",
    "band": "latest_spending_score",
    "age": "age",
    "annual_income": "annual_income",
    "gender": "gender",
    "segment": "latest_segment",
    "external_id": "external_id",
    "observed_score": "observed_score",
}


def expected_ids(rows: list[dict], key: str, descending: bool) -> list[str]:
    """Values missing last in both directions, ties broken by the id in the sort's direction."""
    column = COLUMN[key]
    present = [row for row in rows if row[column] is not None]
    missing = [row for row in rows if row[column] is None]
    ordered = sorted(present, key=lambda row: (row[column], row["id"]), reverse=descending)
    ordered += sorted(missing, key=lambda row: row["id"], reverse=descending)
    return [str(row["id"]) for row in ordered]


@pytest.fixture
async def listed(api, owner, customers_database_url):
    """The owner's customers with scores, bands and segments set (inference is down here), and another
    owner's customer that no page may show."""
    for gender, age, income, external_id, observed, _ in ROWS:
        await api.create_customer(
            owner,
            gender=gender,
            age=age,
            annual_income=income,
            external_id=external_id,
            observed_score=observed,
        )
    connection = await asyncpg.connect(customers_database_url)
    try:
        for (_, _, _, _, _, score), customer_id in zip(
            ROWS,
            await connection.fetch(
                "SELECT id FROM customer WHERE owner_id = $1 ORDER BY created_at, id", uuid.UUID(owner.id)
            ),
            strict=True,
        ):
            band = None if score is None else "low" if score < 34 else "high" if score > 66 else "medium"
            segment = None if score is None else f"segment-{int(score) % 3}"
            await connection.execute(
                "UPDATE customer SET latest_spending_score = $2, latest_band = $3, "
                "latest_segment = $4::text, "
                "segment_source = CASE WHEN $4::text IS NULL THEN NULL ELSE 'predicted' END, "
                "updated_at = now() - random() * interval '1 day' WHERE id = $1",
                customer_id["id"],
                score,
                band,
                segment,
            )
        rows = await connection.fetch("SELECT * FROM customer WHERE owner_id = $1", uuid.UUID(owner.id))
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def _all_pages(api, owner, sort: str, limit: int) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        response = await api.client.get(
            f"/customers?sort={sort}&limit={limit}&offset={offset}", headers=owner.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(ROWS)
        ids += [item["id"] for item in page["items"]]
        if len(page["items"]) < limit:
            return ids
        offset += limit


@pytest.mark.parametrize("key", sorted(COLUMN))
@pytest.mark.parametrize("descending", [False, True])
async def test_every_key_sorts_both_ways_over_every_page(api, owner, other_owner, listed, key, descending):
    await api.create_customer(other_owner, annual_income=999)
    sort = "-" + key if descending else key

    paged = await _all_pages(api, owner, sort, limit=2)

    assert paged == expected_ids(listed, key, descending)
    assert len(set(paged)) == len(ROWS), "pages overlap or skip"


async def test_name_sorts_both_ways_and_the_directions_mirror(api, owner, listed):
    ascending = await _all_pages(api, owner, "name", limit=3)
    assert ascending == list(reversed(await _all_pages(api, owner, "-name", limit=3)))
    assert sorted(ascending) == sorted(str(row["id"]) for row in listed)


async def test_a_search_sorts_the_same_way(api, owner, listed):
    response = await api.client.get(
        "/customers?q=customer&sort=-annual_income&limit=200", headers=owner.headers
    )
    assert [item["id"] for item in response.json()["items"]] == expected_ids(listed, "annual_income", True)


def test_every_key_has_a_test():
    assert set(COLUMN) | {"name"} == SORT_KEYS


ORDERS = [
    ("created_at", False),
    ("created_at", True),
    ("name", False),
    ("name", True),
    ("age", False),
    ("age", True),
    ("annual_income", False),
    ("annual_income", True),
    ("gender", False),
    ("gender", True),
    ("updated_at", False),
    ("updated_at", True),
    ("external_id", False),
    ("external_id", True),
    ("observed_score", False),
    ("observed_score", True),
    ("latest_segment", False),
    ("latest_segment", True),
    ("latest_spending_score", False),
    ("latest_spending_score", True),
]


@pytest.mark.parametrize(("column", "descending"), ORDERS)
async def test_each_order_is_read_from_an_index_without_sorting(customers_database_url, column, descending):
    nullable = column in {"external_id", "observed_score", "latest_segment", "latest_spending_score"}
    direction = "DESC" if descending else "ASC"
    nulls = " NULLS LAST" if nullable else ""
    order = f"{column} {direction}{nulls}, id {direction}"
    connection = await asyncpg.connect(customers_database_url)
    try:
        await connection.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in await connection.fetch(
                f"EXPLAIN SELECT * FROM customer WHERE owner_id = $1 AND deleted_at IS NULL "
                f"ORDER BY {order} LIMIT 50",
                uuid.uuid4(),
            )
        )
    finally:
        await connection.close()
    assert "Index Scan" in plan
    assert "Sort" not in plan, plan
    # The partial sort index answers the recycle bin's condition itself: no filter on deleted_at.
    assert "Filter" not in plan, plan
