"""Everything stored about one customer, as one JSON download: what a data-protection (LGPD) request
asks for. Erasing stays one action: DELETE /customers/{id}, then the recycle bin's purge."""

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Response

from customers_service import prediction_repository
from customers_service.db import SessionDep
from customers_service.deps import CatalogueDep, OwnerDep, ValidCustomer
from customers_service.schemas import (
    CustomerDataExport,
    ObservedScoreRead,
    customer_read_of,
    prediction_read_of,
)

router = APIRouter(prefix="/customers/{customer_id}", tags=["customers"])


@router.get(
    "/data",
    response_model=CustomerDataExport,
    responses={200: {"description": "A JSON file: the customer, every prediction, every observed score"}},
)
async def download_customer_data(
    found: ValidCustomer, owner: OwnerDep, session: SessionDep, catalogue: CatalogueDep
) -> Response:
    customer = found.customer
    predictions = await prediction_repository.history(
        session=session, owner_id=owner.id, customer_id=customer.id
    )
    observed = await prediction_repository.observed_history(
        session=session, owner_id=owner.id, customer_id=customer.id
    )
    export = CustomerDataExport(
        exported_at=datetime.now(UTC),
        customer=customer_read_of(customer, found.latest, await catalogue.segments(owner.token)),
        predictions=[prediction_read_of(row) for row in predictions],
        observed_scores=[
            ObservedScoreRead(score=row.score, observed_at=row.observed_at)
            for row in observed
            if row.observed_at
        ],
    )
    body = json.dumps(export.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return Response(
        body.encode(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer.id}.json"'},
    )
