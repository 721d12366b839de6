"""GET /model: the model card as JSON."""

from typing import Any

from fastapi import APIRouter, Request

from inference_service.schemas import ModelCard
from spendscore_common.security import CurrentPrincipal

router = APIRouter(tags=["model"])


@router.get(
    "/model", response_model=ModelCard, summary="The model card: version, CV metrics, baseline, interval"
)
async def model_card(request: Request, _: CurrentPrincipal) -> dict[str, Any]:
    card: dict[str, Any] = request.app.state.model.card()
    return card
