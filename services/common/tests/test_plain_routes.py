"""PlainAPIRoute answers as FastAPI's own solver does, without calling it."""

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import routing as fastapi_routing
from fastapi.responses import JSONResponse

from spendscore_common.app import app_options, install_common_parts
from spendscore_common.plain_routes import PlainAPIRoute
from spendscore_common.security import CurrentPrincipal, PrincipalEvenIfPasswordChangeIsDue, current_principal
from spendscore_common.settings import ServiceSettings
from spendscore_common.tokens import Principal, TokenVerifier
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


def _routes(router: APIRouter) -> None:
    @router.get("/score")
    async def score(
        request: Request,
        principal: CurrentPrincipal,
        explain: Annotated[bool, Query(description="explain too")] = False,
        rows: Annotated[int, Query(ge=1, le=10)] = 1,
    ) -> JSONResponse:
        return JSONResponse(
            {"user": principal.user_id, "explain": explain, "rows": rows, "path": request.url.path}
        )

    @router.get("/recover")
    async def recover(principal: PrincipalEvenIfPasswordChangeIsDue, code: str) -> JSONResponse:
        return JSONResponse({"user": principal.user_id, "code": code})

    @router.get("/plain-dict")  # returns no Response: FastAPI's solver serialises it
    async def plain_dict(principal: CurrentPrincipal) -> dict[str, str]:
        return {"user": principal.user_id}


def _app(key_store, route_class: type) -> FastAPI:
    settings = ServiceSettings(app_env="test")
    app = FastAPI(**app_options(settings))
    router = APIRouter(prefix="/api", route_class=route_class)
    _routes(router)
    app.include_router(router)
    install_common_parts(app, settings)
    app.state.token_verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    return app


@pytest.fixture
def solver_calls(monkeypatch):
    calls: list[str] = []
    solve = fastapi_routing.solve_dependencies

    async def counted(*args, **kwargs):
        calls.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counted)
    return calls


async def test_plain_routes_answer_every_request_as_fastapi_does_without_its_solver(
    key_store, token_issuer, solver_calls
):
    token = token_issuer.issue(subject="user-1", roles=["user"])
    must_change = token_issuer.issue(subject="user-2", roles=["user"], must_change_password=True)
    requests = [
        ("/api/score", token),
        ("/api/score?explain=true&rows=3", token),
        ("/api/score?explain=maybe&rows=11", token),  # two 422s, named
        ("/api/score?explain=maybe", None),  # the 401 comes first
        ("/api/score", "not-a-token"),
        ("/api/score", must_change),  # 403 password_change_required
        ("/api/recover?code=x", must_change),
        ("/api/recover", token),  # a required query parameter missing
        ("/api/plain-dict", token),
    ]
    answers = {}
    for route_class in (PlainAPIRoute, fastapi_routing.APIRoute):
        app = _app(key_store, route_class)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
            answers[route_class] = [
                (
                    response.status_code,
                    response.json(),
                    response.headers.get("www-authenticate"),
                )
                for path, bearer in requests
                for response in [
                    await http.get(path, headers={"Authorization": f"Bearer {bearer}"} if bearer else {})
                ]
            ]
        if route_class is PlainAPIRoute:
            # Only the route that returns no Response went through FastAPI's solver.
            assert solver_calls == ["/api/plain-dict"]
            solver_calls.clear()
    assert answers[PlainAPIRoute] == answers[fastapi_routing.APIRoute]
    assert answers[PlainAPIRoute][1][:2] == (
        200,
        {"user": "user-1", "explain": True, "rows": 3, "path": "/api/score"},
    )
    assert [status for status, _, _ in answers[PlainAPIRoute]] == [
        200,
        200,
        422,
        401,
        401,
        403,
        200,
        422,
        200,
    ]


async def test_dependency_overrides_still_apply(key_store, solver_calls):
    app = _app(key_store, PlainAPIRoute)
    app.dependency_overrides[current_principal] = lambda: Principal(
        "stand-in", None, None, frozenset({"user"}), "token-1"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        response = await http.get("/api/score")
    assert response.status_code == 200
    assert response.json()["user"] == "stand-in"
    assert solver_calls == ["/api/score"]
