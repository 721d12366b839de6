"""JSON request bodies validated straight from their bytes by pydantic's own parser.

FastAPI parses a body with the standard library's ``json`` and then validates the objects: for a
1,000-item batch that parse was the largest single cost of the request. A route using this declares
no body parameter (so the token is checked before the body is read) and documents its body with
``documented_body``; errors are FastAPI's own 422s, located under ``body`` as FastAPI locates them.
"""

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


async def validated_body(request: Request, model: type[ModelT]) -> ModelT:
    """The request's JSON body as ``model``; RequestValidationError (422) naming the fields if not."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` describing ``model`` as the route's required JSON body (the models it nests
    are referred to in the components, where the routes taking them as bodies put them)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
