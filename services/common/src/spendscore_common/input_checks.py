"""Input no service should see, refused as a 422 naming the field; and 422 bodies that echo no secret.

JSON's ``NaN``, ``Infinity`` and numbers too large for a double (``1e309``) are not JSON and would
pass pydantic as floats; a NUL character or a lone surrogate in any text reaches PostgreSQL or bcrypt
and fails there as a 500. Both are found here in the raw request, before any route code runs.
"""

import json
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

Location = tuple[str | int, ...]
# An input is echoed in a 422 only when it is short and its field is not a secret.
MAX_ECHOED_INPUT_CHARS = 100
_SECRET_FIELD = re.compile(r"password|secret|token", re.IGNORECASE)


class _NonFinite:
    """Stands in for NaN, Infinity or an overflowing number while the body is searched for them."""


_NON_FINITE = _NonFinite()


def _non_finite_constant(_: str) -> _NonFinite:
    return _NON_FINITE


def _float_or_non_finite(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NON_FINITE


def _problem(kind: str, loc: Location, msg: str) -> dict[str, Any]:
    return {"type": kind, "loc": list(loc), "msg": msg}


def _text_problem(text: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "string_nul", "Text must not contain a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "string_unicode", "Text must be valid Unicode (no lone surrogates)"
    return None


def _walk(value: Any, loc: Location) -> Iterator[dict[str, Any]]:
    if value is _NON_FINITE:
        yield _problem("finite_number", loc, "Input should be a finite number (no NaN, Infinity or overflow)")
    elif isinstance(value, str):
        found = _text_problem(value)
        if found:
            yield _problem(found[0], loc, found[1])
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _text_problem(key)
            if found:
                yield _problem(found[0], loc, found[1])
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index))


def json_body_problems(body: bytes) -> list[dict[str, Any]]:
    """The fields of a JSON body holding a non-finite number, a NUL or a lone surrogate ([] if none).

    A body that is not JSON at all gives [] too: FastAPI answers its own ``json_invalid`` 422.
    """
    try:
        orjson.loads(body)  # refuses NaN, Infinity, overflow and lone surrogates; fast when all is well
    except orjson.JSONDecodeError:
        pass
    else:
        if b"\\u0000" not in body:
            return []
    try:
        parsed = json.loads(body, parse_constant=_non_finite_constant, parse_float=_float_or_non_finite)
    except (ValueError, RecursionError):
        return []
    # An integer literal too large for a double (1e309 written out in digits) is a Python int: fine.
    return list(_walk(parsed, ("body",)))


def _pairs_problems(pairs: Sequence[tuple[str, str]], where: str) -> list[dict[str, Any]]:
    problems = []
    for name, value in pairs:
        found = _text_problem(name) or _text_problem(value)
        if found:
            problems.append(_problem(found[0], (where, name), found[1]))
    return problems


def form_body_problems(body: bytes) -> list[dict[str, Any]]:
    """The fields of an ``application/x-www-form-urlencoded`` body holding a NUL character."""
    if b"%00" not in body and b"\x00" not in body:
        return []
    return _pairs_problems(parse_qsl(body.decode("latin-1"), keep_blank_values=True), "body")


def query_problems(query_string: bytes) -> list[dict[str, Any]]:
    """The query parameters holding a NUL character."""
    if b"%00" not in query_string:
        return []
    return _pairs_problems(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True), "query")


def _is_secret(loc: Sequence[Any]) -> bool:
    return any(isinstance(part, str) and _SECRET_FIELD.search(part) for part in loc)


def _echoable(value: Any) -> bool:
    if value is None or isinstance(value, bool | int):
        return len(str(value)) <= MAX_ECHOED_INPUT_CHARS
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_ECHOED_INPUT_CHARS
    try:
        return len(json.dumps(jsonable_encoder(value), allow_nan=False)) <= MAX_ECHOED_INPUT_CHARS
    except (TypeError, ValueError):
        return False


def safe_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the inputs that must not be echoed: any value of a field
    named like a password, secret or token, and any value longer than about 100 characters."""
    safe = []
    for error in errors:
        loc = list(error.get("loc", ()))
        entry: dict[str, Any] = {"type": error.get("type"), "loc": loc, "msg": error.get("msg")}
        if "input" in error and not _is_secret(loc) and _echoable(error["input"]):
            entry["input"] = error["input"]
        if error.get("ctx") and not _is_secret(loc):
            entry["ctx"] = error["ctx"]
        safe.append(entry)
    return _valid_unicode(jsonable_encoder(safe))


def _valid_unicode(value: Any) -> Any:
    """Every text made encodable as UTF-8: a lone surrogate in an input or a message (from a body
    sent under a Content-Type the guard does not read) becomes U+FFFD instead of crashing the 422."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value
    if isinstance(value, list):
        return [_valid_unicode(item) for item in value]
    if isinstance(value, dict):
        return {_valid_unicode(key): _valid_unicode(item) for key, item in value.items()}
    return value


async def validation_error_response(_: Request, exc: Exception) -> JSONResponse:
    """The 422 of every service: each error names the field (loc) and why (msg)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": safe_validation_errors(exc.errors())}, status_code=422)
