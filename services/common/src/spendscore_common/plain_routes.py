"""A route class that answers the hottest routes without FastAPI's general dependency solver.

FastAPI solves a route's dependencies with one general function per level (each parameter kind of each
level looked up, a cache key per dependency, telemetry hooks): for ``POST /model/predict`` that was
about a quarter of a request's CPU, more than the model. A route of ``PlainAPIRoute`` whose endpoint
takes nothing but the ``Request``, the verified principal (``CurrentPrincipal`` or
``PrincipalEvenIfPasswordChangeIsDue``) and query parameters, and returns a ``Response``, is called
directly: the principal from the same dependency, the query parameters validated by FastAPI's own
function (the same 422s), in FastAPI's order (the token first). The route is declared, documented and
matched as any APIRoute; any other endpoint, or an app with dependency overrides, is solved by FastAPI.
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi import routing as fastapi_routing
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from spendscore_common.security import PRINCIPAL_DEPENDENCIES

IMMUTABLE_DEFAULTS = (type(None), bool, int, float, str)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _effective_route(route: APIRoute) -> Any:
    """What FastAPI itself builds this route's handler from: the router inclusion being built (with
    the including router's dependencies and the app as the overrides' provider), else the route."""
    context = getattr(fastapi_routing, "_effective_route_context_var", None)
    effective = context.get() if context is not None else None
    if effective is not None and getattr(effective, "original_route", None) is route:
        return effective
    return route


def _is_plain(dependant: Dependant) -> bool:
    """Only the request, principal dependencies and query parameters, and a Response returned."""
    returns = inspect.signature(dependant.call, eval_str=True).return_annotation if dependant.call else None
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        return False
    if not inspect.iscoroutinefunction(dependant.call):
        return False
    if (
        dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    ):
        return False
    return all(
        sub.call in PRINCIPAL_DEPENDENCIES and sub.name is not None and not sub.dependencies
        for sub in dependant.dependencies
    )


def _plain_handler(dependant: Dependant, standard: Handler, overrides_provider: Any) -> Handler:
    endpoint = dependant.call
    assert endpoint is not None
    request_name = dependant.request_param_name
    principals: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = [
        (sub.name, sub.call)
        for sub in dependant.dependencies
        if sub.name is not None and sub.call is not None
    ]
    query_fields: list[ModelField] = list(dependant.query_params)
    # Without a query string, each parameter is its default: FastAPI's answer too, found without
    # parsing anything (only for immutable defaults, which FastAPI's copy of the default cannot change).
    defaults = {field.name: field.get_default() for field in query_fields}
    defaults_apply = all(
        not field.field_info.is_required() and isinstance(defaults[field.name], IMMUTABLE_DEFAULTS)
        for field in query_fields
    )

    async def handle(request: Request) -> Response:
        if getattr(overrides_provider, "dependency_overrides", None):
            return await standard(request)  # tests replacing a dependency get FastAPI's solver
        values: dict[str, Any] = {}
        if request_name is not None:
            values[request_name] = request
        for name, principal in principals:
            values[name] = await principal(request)
        if query_fields:
            if defaults_apply and not request.scope["query_string"]:
                query, errors = defaults, list[Any]()
            else:
                query, errors = request_params_to_args(query_fields, request.query_params)
            if errors:
                raise RequestValidationError(errors)
            values.update(query)
        response: Response = await endpoint(**values)
        return response

    return handle


class PlainAPIRoute(APIRoute):
    """See the module docstring: ``APIRouter(route_class=PlainAPIRoute)``."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        effective = _effective_route(self)
        if not _is_plain(effective.dependant):
            return standard
        return _plain_handler(effective.dependant, standard, effective.dependency_overrides_provider)
