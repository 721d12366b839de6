"""Liveness (/healthz) and readiness (/readyz) endpoints built from a service's own checks."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadinessCheck:
    """``check`` returns True when the dependency is usable. An optional check is reported
    in /readyz but does not make the service unready."""

    name: str
    check: Callable[[], Awaitable[bool]]
    required: bool = True
    timeout_seconds: float = 2.0


async def _run(check: ReadinessCheck) -> bool:
    try:
        return await asyncio.wait_for(check.check(), check.timeout_seconds)
    except Exception:
        logger.debug("readiness check failed", extra={"check": check.name}, exc_info=True)
        return False


def health_router() -> APIRouter:
    """Routes reading the checks from ``app.state.readiness_checks`` (a list of ReadinessCheck)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Dependencies are usable (503 until they are)")
    async def readyz(request: Request) -> JSONResponse:
        checks: list[ReadinessCheck] = getattr(request.app.state, "readiness_checks", [])
        results = await asyncio.gather(*(_run(check) for check in checks))
        ready = all(ok for check, ok in zip(checks, results, strict=True) if check.required)
        body = {
            "status": "ready" if ready else "unavailable",
            "checks": {
                check.name: "ok" if ok else "unavailable" for check, ok in zip(checks, results, strict=True)
            },
        }
        return JSONResponse(
            body, status_code=200 if ready else 503, headers={} if ready else {"Retry-After": "5"}
        )

    return router
