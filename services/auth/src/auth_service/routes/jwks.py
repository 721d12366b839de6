"""The public keys that verify this service's tokens (current key first, then retired ones)."""

from fastapi import APIRouter, Response, status

from auth_service.deps import IssuerDep
from auth_service.schemas import Jwks

router = APIRouter(tags=["keys"])


@router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    status_code=status.HTTP_200_OK,
    summary="JSON Web Key Set of the token signing keys",
)
async def jwks(issuer: IssuerDep, response: Response) -> Jwks:
    # Short caching is safe: verifiers refetch on a kid they do not know.
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(issuer.jwks())
