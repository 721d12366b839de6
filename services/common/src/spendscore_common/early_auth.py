"""Refusing a request without valid credentials before its body is read, on routes that need a token.

FastAPI reads a request's body before it solves the route's dependencies, so a 100 MB upload
without a token would be read whole before its 401. The request middleware calls
``refuse_unless_authenticated`` when the route asks for the body the first time: by then the router
has chosen the route (``scope["route"]``), and the token check is the same dependency the route runs.
"""

from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import Scope

from spendscore_common.security import PRINCIPAL_DEPENDENCIES, principal_even_if_password_change_is_due

_FLAG = "_spendscore_needs_token"  # cached on the route object itself


def _depends_on_principal(dependant: Dependant) -> bool:
    return any(
        sub.call in PRINCIPAL_DEPENDENCIES or _depends_on_principal(sub) for sub in dependant.dependencies
    )


def route_needs_token(route: Any) -> bool:
    """True when the route (an APIRoute) verifies a bearer token (through ``current_principal`` or
    ``principal_even_if_password_change_is_due``, at any depth of its dependencies)."""
    if not isinstance(route, APIRoute):
        return False
    known: bool | None = getattr(route, _FLAG, None)
    if known is None:
        known = _depends_on_principal(route.dependant)
        setattr(route, _FLAG, known)
    return known


async def refuse_unless_authenticated(scope: Scope) -> None:
    """Raise the route's own 401 (or 503) when the chosen route needs a token the request lacks."""
    if not route_needs_token(scope.get("route")):
        return
    await principal_even_if_password_change_is_due(Request(scope))
