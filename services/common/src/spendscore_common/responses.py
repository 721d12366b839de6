"""A JSON response serialised once, by orjson, for routes whose code already built a valid answer."""

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class PrebuiltJSONResponse(JSONResponse):
    """Returned by a route, it skips FastAPI's second validation of the answer against the response
    model (the route's ``response_model`` still documents it). Only for answers made of plain str,
    int, finite float, bool, None, list and dict: orjson would write a NaN as null."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
