"""How the owner-facing reads grow with one owner's size: list page, name search, dashboard and the
streamed export of every row, for 10,000 / 100,000 / 1,000,000 customers (with segments and 10% observed
scores, as seeded by ``customers_bench.seed_customers``).

The customers app runs in-process over a real PostgreSQL with tokens from a test issuer; none of these
reads calls inference, so none runs. ``python -m benchmarks.scale_bench`` prints the table alone.
"""

import asyncio
import statistics
import sys
import time
import uuid
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from benchmarks.customers_bench import seed_customers
from customers_service.config import CustomersSettings
from customers_service.main import create_app
from customers_service.migrate import upgrade_head
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER, make_test_issuer, trust_issuer

SIZES = (10_000, 100_000, 1_000_000)
CLOSED = "http://127.0.0.1:9"  # nothing listens: these reads must not need inference or auth


async def _p50_ms(client: httpx.AsyncClient, path: str, headers: dict[str, str], runs: int) -> float:
    (await client.get(path, headers=headers)).raise_for_status()  # warm
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        (await client.get(path, headers=headers)).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)


async def _export_seconds(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], runs: int = 3
) -> float:
    """The median of ``runs`` downloads, every byte read."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        async with client.stream("GET", path, headers=headers) as response:
            response.raise_for_status()
            async for _chunk in response.aiter_bytes():
                pass
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings), 3)


async def _measure(database_url: str, customers: int, runs: int) -> dict[str, Any]:
    owner = uuid.uuid4()
    seconds = await seed_customers(database_url, owner, customers)
    issuer = make_test_issuer()
    settings = CustomersSettings(
        app_env="test",
        database_url=database_url,
        inference_url=CLOSED,
        auth_jwks_url=CLOSED + "/.well-known/jwks.json",
        jwt_issuer=TEST_ISSUER,
        jwt_audience=TEST_AUDIENCE,
    )
    app = create_app(settings)
    async with LifespanManager(app):
        trust_issuer(app, issuer)
        headers = {"Authorization": "Bearer " + issuer.issue(subject=str(owner), roles=["user"])}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
            results: dict[str, Any] = {"customers": customers, "seed_s": round(seconds, 1)}
            results["list_page_50_p50_ms"] = await _p50_ms(client, "/customers?limit=50", headers, runs)
            results["list_by_segment_p50_ms"] = await _p50_ms(
                client,
                "/customers?limit=50&segment=high-income-high-spending&sort=-spending_score",
                headers,
                runs,
            )
            results["list_by_income_desc_p50_ms"] = await _p50_ms(
                client, "/customers?limit=50&sort=-annual_income", headers, runs
            )
            results["list_by_segment_sort_p50_ms"] = await _p50_ms(
                client, "/customers?limit=50&sort=segment", headers, runs
            )
            results["search_p50_ms"] = await _p50_ms(client, "/customers?q=customer%200421", headers, runs)
            # One first name in 20 is João: the page and the total of some 50,000 matches at 1M.
            results["search_common_p50_ms"] = await _p50_ms(client, "/customers?q=joao", headers, runs)
            results["dashboard_p50_ms"] = await _p50_ms(client, "/dashboard", headers, runs)
            started = time.perf_counter()
            rows = 0
            async with client.stream("GET", "/customers/export", headers=headers) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    rows += bool(line)
            results["export_all_s"] = round(time.perf_counter() - started, 2)
            results["export_rows"] = rows - 1  # the header
            # The list's view of one segment, sorted by income: what an owner exports for a campaign.
            results["export_segment_s"] = await _export_seconds(
                client, "/customers/export?segment=high-income-high-spending&sort=-annual_income", headers
            )
    return results


def scale_curve(sizes: tuple[int, ...] = SIZES, runs: int = 21) -> list[dict[str, Any]]:
    """One fresh database per size (so each owner is alone in its tables, as the biggest would be)."""
    from testkit.postgres import TestPostgres

    postgres = TestPostgres()
    try:
        curve = []
        for size in sizes:
            url = postgres.create_database(f"scale_{size}")
            upgrade_head(url)
            curve.append(asyncio.run(_measure(url, size, runs)))
        return curve
    finally:
        postgres.close()


def render(curve: list[dict[str, Any]]) -> str:
    lines = [
        "| customers of one owner | list page of 50, p50 | segment filter + score sort, p50 "
        "| sorted by income, descending, p50 | sorted by segment, p50 "
        "| search, no match, p50 | search of a common name (1 in 20), p50 | dashboard, p50 "
        "| export of every row (streamed) | export of one segment by income | seeding (COPY) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {point['customers']:,} | {point['list_page_50_p50_ms']} ms "
        f"| {point['list_by_segment_p50_ms']} ms | {point['list_by_income_desc_p50_ms']} ms "
        f"| {point['list_by_segment_sort_p50_ms']} ms | {point['search_p50_ms']} ms "
        f"| {point['search_common_p50_ms']} ms | {point['dashboard_p50_ms']} ms | {point['export_all_s']} s "
        f"| {point['export_segment_s']} s | {point['seed_s']} s |"
        for point in curve
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sizes = tuple(int(size) for size in sys.argv[1:]) or SIZES
    sys.stdout.write(render(scale_curve(sizes)))
