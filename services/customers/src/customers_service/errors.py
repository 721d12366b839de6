"""Domain errors and the one place where they become HTTP responses."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from customers_service.import_capacity import ImportCapacityFull
from customers_service.inference_client import InferenceRejected, InferenceUnavailable
from customers_service.owner_limits import TooManyExpensiveCalls
from customers_service.schemas import ImportProblem

INFERENCE_RETRY_AFTER_SECONDS = 5
EXPENSIVE_CALL_RETRY_AFTER_SECONDS = 2


class CustomerNotFound(Exception):
    """No such customer for this owner (another owner's customer is not found either)."""


class NotAnOwner(Exception):
    """The token's subject is not a user id (e.g. a service token), so it owns no customers."""


class ExternalIdTaken(Exception):
    """Another of the owner's customers already has this external id."""


class CustomerLimitReached(Exception):
    """The owner has as many customers as CUSTOMERS_MAX_PER_OWNER allows."""

    def __init__(self, limit: int):
        super().__init__(f"at most {limit} customers per owner")
        self.limit = limit


class ImportRejected(Exception):
    """The CSV import was refused; nothing was stored."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = problems


class SavedViewNotFound(Exception):
    """No such saved view for this owner."""


class SavedViewNameTaken(Exception):
    """Another of the owner's saved views has this name."""


class SavedViewLimitReached(Exception):
    """The owner has as many saved views as allowed."""

    def __init__(self, limit: int):
        super().__init__(f"at most {limit} saved views per owner")
        self.limit = limit


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CustomerNotFound)
    async def _not_found(_: Request, __: CustomerNotFound) -> JSONResponse:
        return JSONResponse({"detail": "Customer not found"}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(NotAnOwner)
    async def _not_an_owner(_: Request, __: NotAnOwner) -> JSONResponse:
        return JSONResponse(
            {"detail": "This token does not belong to a store owner"}, status_code=status.HTTP_403_FORBIDDEN
        )

    @app.exception_handler(ExternalIdTaken)
    async def _external_id_taken(_: Request, __: ExternalIdTaken) -> JSONResponse:
        return JSONResponse(
            {"detail": "Another customer already has this external_id"}, status_code=status.HTTP_409_CONFLICT
        )

    @app.exception_handler(CustomerLimitReached)
    async def _limit_reached(_: Request, exc: CustomerLimitReached) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"This account has reached its limit of {exc.limit:,} customers; "
                "delete some before adding more"
            },
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(SavedViewNotFound)
    async def _view_not_found(_: Request, __: SavedViewNotFound) -> JSONResponse:
        return JSONResponse({"detail": "Saved view not found"}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(SavedViewNameTaken)
    async def _view_name_taken(_: Request, __: SavedViewNameTaken) -> JSONResponse:
        return JSONResponse(
            {"detail": "Another saved view already has this name"}, status_code=status.HTTP_409_CONFLICT
        )

    @app.exception_handler(SavedViewLimitReached)
    async def _view_limit(_: Request, exc: SavedViewLimitReached) -> JSONResponse:
        return JSONResponse(
            {"detail": f"At most {exc.limit} saved views; delete one first"},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(ImportRejected)
    async def _import_rejected(_: Request, exc: ImportRejected) -> JSONResponse:
        return JSONResponse(
            {"detail": [problem.model_dump() for problem in exc.problems]},
            status_code=422,
        )

    @app.exception_handler(TooManyExpensiveCalls)
    async def _too_many_expensive_calls(_: Request, __: TooManyExpensiveCalls) -> JSONResponse:
        return JSONResponse(
            {"detail": "Too many imports, exports or searches at once for this account; try again shortly"},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(EXPENSIVE_CALL_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(ImportCapacityFull)
    async def _import_capacity_full(_: Request, __: ImportCapacityFull) -> JSONResponse:
        return JSONResponse(
            {"detail": "The service is busy with other imports; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(EXPENSIVE_CALL_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(InferenceUnavailable)
    async def _inference_unavailable(_: Request, __: InferenceUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": "The prediction service is unavailable; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(INFERENCE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(InferenceRejected)
    async def _inference_rejected(_: Request, __: InferenceRejected) -> JSONResponse:
        return JSONResponse(
            {"detail": "The prediction service refused the request"}, status_code=status.HTTP_502_BAD_GATEWAY
        )
