"""The revocation feed the other services poll: which users' tokens issued before when are void."""

from fastapi import APIRouter, Request, Response, status

from auth_service import revocations
from auth_service.deps import SessionDep
from auth_service.models import utc_now
from auth_service.schemas import RevocationFeed

router = APIRouter(tags=["keys"])


@router.get(
    "/revocations",
    response_model=RevocationFeed,
    status_code=status.HTTP_200_OK,
    responses={304: {"description": "Unchanged since the ETag sent in If-None-Match"}},
    summary="Tokens void before their expiry: per user id, the time (Unix) before which tokens are void",
)
async def revocation_feed(request: Request, db_session: SessionDep) -> Response:
    body, etag = await revocations.current_feed(db_session=db_session, now=utc_now())
    # Verifiers poll every few seconds: they must revalidate every time, an unchanged feed costs a 304.
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
