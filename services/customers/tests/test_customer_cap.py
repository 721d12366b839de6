"""The cap on an owner's customers holds exactly under concurrent creates and imports, on one replica
and across two (two apps over the same database)."""

import asyncio

from customers_service import customer_reads

CAP = 12


def csv_of(rows: int, label: str) -> bytes:
    lines = [f"{label} {index},female,{20 + index},{40 + index}" for index in range(rows)]
    return ("name,gender,age,annual_income\n" + "\n".join(lines) + "\n").encode()


async def stored(api, owner) -> int:
    async with api.app.state.sessionmaker() as session:
        return await customer_reads.count_without_search(session=session, owner_id=owner.id)


async def test_twenty_concurrent_creates_on_two_replicas_stop_exactly_at_the_cap(
    settings_for, api_with, token_issuer, owner
):
    settings = settings_for(max_customers_per_owner=CAP)
    async with api_with(settings, token_issuer) as first, api_with(settings, token_issuer) as second:
        for _ in range(2):
            await first.create_customer(owner)
        replies = await asyncio.gather(
            *(
                (first if index % 2 else second).client.post(
                    "/customers", json=first.payload(), headers=owner.headers
                )
                for index in range(20)
            )
        )
        statuses = sorted(reply.status_code for reply in replies)
        assert statuses == [201] * (CAP - 2) + [409] * (20 - (CAP - 2))
        refused = next(reply for reply in replies if reply.status_code == 409)
        assert f"limit of {CAP} customers" in refused.json()["detail"]
        assert await stored(first, owner) == CAP
        listed = await second.client.get("/customers", params={"limit": 100}, headers=owner.headers)
        assert listed.json()["total"] == CAP


async def test_concurrent_imports_never_pass_the_cap(settings_for, api_with, token_issuer, owner):
    # Three imports may run at once here: the per-owner limit on concurrent imports is not under test.
    settings = settings_for(max_customers_per_owner=CAP, max_expensive_calls_per_owner=3)
    async with api_with(settings, token_issuer) as first, api_with(settings, token_issuer) as second:
        for _ in range(4):
            await first.create_customer(owner)
        # Each 8-row file fits alone (4 + 8 = 12); any two together would not.
        replies = await asyncio.gather(
            *(
                (first if index % 2 else second).client.post(
                    "/customers/import",
                    files={"file": (f"c{index}.csv", csv_of(8, f"File {index}"), "text/csv")},
                    headers=owner.headers,
                )
                for index in range(3)
            )
        )
        statuses = sorted(reply.status_code for reply in replies)
        assert statuses == [201, 409, 409], [reply.text for reply in replies]
        assert await stored(first, owner) == CAP


async def test_imports_and_creates_together_never_pass_the_cap(settings_for, api_with, token_issuer, owner):
    settings = settings_for(max_customers_per_owner=CAP)
    async with api_with(settings, token_issuer) as api:
        import_ = api.client.post(
            "/customers/import",
            files={"file": ("c.csv", csv_of(8, "Imported"), "text/csv")},
            headers=owner.headers,
        )
        creates = [api.client.post("/customers", json=api.payload(), headers=owner.headers) for _ in range(8)]
        replies = await asyncio.gather(import_, *creates)
        created = sum(1 for reply in replies[1:] if reply.status_code == 201)
        imported = 8 if replies[0].status_code == 201 else 0
        assert {reply.status_code for reply in replies} <= {201, 409}
        assert await stored(api, owner) == created + imported <= CAP
        # Whatever won, the account ends full or one import short of full.
        assert created + imported > CAP - 8
