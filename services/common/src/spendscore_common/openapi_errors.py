"""Every status a route can answer, in its OpenAPI description: the errors the shared parts give (the
middleware, token checks, validation, a dependency down) are added to each operation as they apply,
so that a route another engineer adds is documented too, and a client (or Schemathesis) finds no
status the schema does not name."""

from typing import Any

from fastapi import FastAPI

_ERROR_BODY: dict[str, Any] = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"description": "A sentence, or a list of problems naming the field"}},
        }
    }
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR_BODY}


def standard_error_responses(operation: dict[str, Any], path: str, method: str) -> dict[str, dict[str, Any]]:
    """The shared statuses that may answer one operation (``method`` on ``path``); naming one that a
    route never gives costs nothing, leaving out one that it gives misleads every client."""
    responses = {
        "422": _error("A field is invalid (its location in `loc`): query, path, header or body"),
        "503": _error("A dependency (the database, the signing keys) is unavailable: see Retry-After"),
    }
    if operation.get("security"):
        responses["401"] = _error("No valid bearer token (WWW-Authenticate: Bearer)")
        responses["403"] = _error("The token lacks the role, or a new password must be chosen first")
    if "{" in path:
        responses["404"] = _error("Nothing of that id that the caller may see")
    if "requestBody" in operation:
        responses["400"] = _error("The body cannot be parsed (not UTF-8, not the declared media type)")
        responses["413"] = _error("The body is larger than the limit of this route")
    if method in ("post", "put", "patch", "delete"):
        responses["409"] = _error(
            "A conflict with what is stored (a taken email or id, a limit, the last admin)"
        )
    if operation.get("security") or "requestBody" in operation:
        responses["429"] = _error("Too many attempts or calls at once: see Retry-After")
    return responses


def add_standard_error_responses(schema: dict[str, Any]) -> None:
    """Add to every operation of an OpenAPI document the shared statuses it does not name yet."""
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            documented = operation.setdefault("responses", {})
            for status, response in standard_error_responses(operation, path, method).items():
                documented.setdefault(status, response)


def document_standard_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` (served at /openapi.json) carry the shared statuses of every route."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_standard_error_responses(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
