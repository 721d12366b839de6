"""The one way the UI talks to the services: httpx calls with the bearer token and a request id.

Errors come back as exceptions that carry a readable message (and, for a 422, which field is wrong),
never the service's raw body or a traceback. The pooled httpx client is shared by every session and
holds no credentials: the token is added per request from the caller's session.
"""

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from spendscore_ui.config import ServiceName, UISettings

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_SERVICE_LABELS: dict[str, str] = {
    "auth": "The sign-in service",
    "customers": "The customers service",
    "inference": "The prediction service",
}


_FIELD_LABELS = {
    "name": "Name",
    "gender": "Gender",
    "age": "Age",
    "annual_income": "Annual income (k$)",
    "email": "Email",
    "password": "Password",
    "current_password": "Current password",
    "new_password": "New password",
    "roles": "Roles",
    "file": "CSV file",
    "header": "Header line",
    "sort": "Sort",
    "limit": "Page size",
}


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input: which field (and CSV line, for an import) and why."""

    message: str
    field: str | None = None
    line: int | None = None
    kind: str | None = None  # pydantic's error type ("string_too_short", "less_than_equal", ...)
    context: dict[str, Any] | None = None  # pydantic's ctx ({"max_length": 200}, {"le": 120}, ...)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(_FIELD_LABELS.get(self.field, self.field))
        return f"{', '.join(where)}: {self.message}" if where else self.message


ErrorKind = Literal["http", "expired", "timeout", "unreachable", "unavailable", "server_error"]


@dataclass
class ApiError(Exception):
    """A service answered with an error. ``message`` is an English sentence for logs and tests; the UI
    shows ``i18n.error_text(error)``, built from the structured fields below."""

    status_code: int
    message: str
    problems: list[FieldProblem] = field(default_factory=list)
    request_id: str | None = None
    service: str | None = None
    kind: ErrorKind = "http"
    code: str | None = None  # the body's "code" when the service sends one ("account_deactivated", ...)
    detail: str | None = None  # the body's "detail" when it is a sentence
    retry_after: str | None = None

    def __str__(self) -> str:
        return self.message

    def field_message(self, name: str) -> str | None:
        """The problem reported for one input field, to show next to that field."""
        for problem in self.problems:
            if problem.field == name:
                return problem.message
        return None


@dataclass(frozen=True)
class LoginResult:
    """What a successful sign-in gives: the token, this browser's device token, and whether the user
    must choose a new password first (after an admin reset)."""

    access_token: str
    device_token: str | None = None
    must_change_password: bool = False


class SessionExpired(ApiError):
    """401: the token is missing, expired or no longer valid."""


class ServiceUnavailable(ApiError):
    """The service could not be reached or answered 502/503/504."""


def _field_name(location: object) -> str | None:
    """FastAPI's ``["body", "annual_income"]`` -> "annual_income" (the first segment names the source;
    list positions, such as ``["body", "roles", 0]``, are left out)."""
    if not isinstance(location, list) or len(location) < 2:
        return None
    return ".".join(str(part) for part in location[1:] if not isinstance(part, int)) or None


def _problem_from_item(item: JsonObject) -> FieldProblem:
    """One entry of a 422 ``detail`` list: FastAPI's ``{"loc", "msg", ...}`` or, from a CSV import,
    the customers service's ``{"line", "field", "reason"}`` (line None: the whole file)."""
    # pydantic starts the message of a validator's ValueError with "Value error, ": not for the user.
    if "reason" in item:
        # The import's problems: ``message`` is already in the caller's language (Accept-Language).
        localised = item.get("message")
        if isinstance(localised, str) and localised:
            return FieldProblem(
                message=localised, field=str(item["field"]), line=item["line"], kind="localised"
            )
        reason = str(item["reason"]).removeprefix("Value error, ")
        return FieldProblem(message=reason, field=str(item["field"]), line=item["line"])
    context = item.get("ctx")
    return FieldProblem(
        message=str(item["msg"]).removeprefix("Value error, "),
        field=_field_name(item.get("loc")),
        kind=str(item["type"]) if isinstance(item.get("type"), str) else None,
        context={key: value for key, value in context.items() if key != "error"}
        if isinstance(context, dict)
        else None,
    )


def describe_error(response: httpx.Response) -> tuple[str, list[FieldProblem]]:
    """A readable sentence and the per-field problems from a ``{"detail": ...}`` body: a sentence, or a
    list of problems (a 422)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    problems: list[FieldProblem] = []
    message: str | None = None
    if isinstance(detail, str):
        message = detail
    elif isinstance(detail, list):
        problems = [_problem_from_item(item) for item in detail if isinstance(item, dict)]
    if message is None:
        if problems:
            message = "Please correct: " + "; ".join(str(problem) for problem in problems[:5])
            if len(problems) > 5:
                message += f" (and {len(problems) - 5} more)"
        else:
            message = {
                400: "The request was not accepted.",
                403: "You do not have permission to do that.",
                404: "Not found: it may have been deleted.",
                409: "That conflicts with existing data.",
                413: "That is too large to send.",
                422: "Some of the input is not valid.",
                429: "Too many attempts.",
            }.get(response.status_code, f"The service answered with an error ({response.status_code}).")
    if response.status_code == 429 and response.headers.get("Retry-After"):
        message = f"{message.rstrip('.')}. Please try again in {response.headers['Retry-After']} seconds."
    return message, problems


def _body_field(response: httpx.Response, name: str) -> str | None:
    """A string field of the JSON body ("detail", "code"), or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _detail_text(response: httpx.Response) -> str | None:
    return _body_field(response, "detail")


class _SharedHttp:
    """One pooled httpx.Client per process, created on first use; no auth headers are stored on it."""

    _client: httpx.Client | None = None
    _lock = threading.Lock()

    @classmethod
    def get(cls, timeout: float) -> httpx.Client:
        with cls._lock:
            if cls._client is None:
                cls._client = httpx.Client(timeout=timeout, follow_redirects=False)
            return cls._client


class ApiClient:
    """The services' HTTP APIs as methods; ``token`` is the signed-in user's bearer token (or None)."""

    def __init__(self, settings: UISettings, token: str | None = None, *, language: str = "en") -> None:
        self._settings = settings
        self._token = token
        self._language = language  # sent as Accept-Language: services that localise answer in it

    def _request(
        self,
        service: ServiceName,
        method: str,
        path: str,
        *,
        json: object = None,
        params: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request_id = uuid.uuid4().hex
        headers = {
            "X-Request-ID": request_id,
            "Accept": "application/json",
            "Accept-Language": self._language,
            **(extra_headers or {}),
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        url = self._settings.base_url(service) + path
        clean_params = {key: value for key, value in (params or {}).items() if value not in (None, "")}
        label = _SERVICE_LABELS[service]
        try:
            response = _SharedHttp.get(self._settings.request_timeout_seconds).request(
                method, url, json=json, params=clean_params, files=files, headers=headers
            )
        except httpx.TimeoutException as error:
            logger.warning("%s %s timed out", method, path, extra={"request_id": request_id})
            raise ServiceUnavailable(
                0,
                f"{label} did not answer in time. Please try again.",
                request_id=request_id,
                service=service,
                kind="timeout",
            ) from error
        except httpx.HTTPError as error:
            logger.warning(
                "%s %s failed: %s", method, path, type(error).__name__, extra={"request_id": request_id}
            )
            raise ServiceUnavailable(
                0,
                f"{label} is not reachable right now. Please try again shortly.",
                request_id=request_id,
                service=service,
                kind="unreachable",
            ) from error
        if response.status_code < 400:
            return response
        logger.info("%s %s answered %s", method, path, response.status_code, extra={"request_id": request_id})
        retry = response.headers.get("Retry-After")
        structured: dict[str, Any] = {
            "request_id": request_id,
            "service": service,
            "code": _body_field(response, "code"),
            "detail": _detail_text(response),
            "retry_after": retry if retry and retry.isdigit() else None,
        }
        if response.status_code == 401:
            raise SessionExpired(
                401, "Your session expired, please sign in again.", kind="expired", **structured
            )
        if response.status_code in (502, 503, 504):
            hint = f"Please try again in {retry} seconds." if retry else "Please try again shortly."
            # The service's own words when it has them (e.g. customers saying inference is down).
            detail = _detail_text(response)
            message = f"{detail.rstrip('.')}." if detail else f"{label} is unavailable right now. {hint}"
            raise ServiceUnavailable(response.status_code, message, kind="unavailable", **structured)
        if response.status_code >= 500:
            raise ApiError(
                response.status_code,
                f"{label} had an unexpected problem (reference {request_id}).",
                kind="server_error",
                **structured,
            )
        message, problems = describe_error(response)
        raise ApiError(response.status_code, message, problems, **structured)

    def _json(self, service: ServiceName, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(service, method, path, **kwargs).json()

    # --- auth -----------------------------------------------------------------------------------

    def login(
        self,
        email: str,
        password: str,
        *,
        browser_address: str | None = None,
        device_token: str | None = None,
    ) -> "LoginResult":
        """Sign in with these credentials (raises ApiError; a 401 says "wrong email or password").

        ``browser_address`` is passed on as X-Forwarded-For: every login reaches auth from this server,
        so without it auth's per-address throttle would count all users' failures as one address's.
        ``device_token`` is this browser's device cookie from an earlier sign-in (issue 12 item 3): with
        it, auth limits failures per device instead of locking the account."""
        forwarded = {"X-Forwarded-For": browser_address} if browser_address else None
        payload: JsonObject = {"email": email, "password": password}
        if device_token:
            payload["device_token"] = device_token
        try:
            body = self._json("auth", "POST", "/auth/login", json=payload, extra_headers=forwarded)
        except SessionExpired as error:
            raise ApiError(
                401,
                "Wrong email or password.",
                request_id=error.request_id,
                service="auth",
                code=error.code,
                detail=error.detail,
            ) from error
        device = body.get("device_token")
        return LoginResult(
            access_token=str(body["access_token"]),
            device_token=device if isinstance(device, str) and device else None,
            must_change_password=body.get("must_change_password") is True,
        )

    def change_password(self, current_password: str, new_password: str) -> str | None:
        """Change the signed-in user's password; the fresh access token auth answers with (None when it
        answers 204)."""
        response = self._request(
            "auth",
            "PUT",
            "/users/me/password",
            json={"current_password": current_password, "new_password": new_password},
        )
        if response.status_code == 204 or not response.content:
            return None
        fresh = response.json().get("access_token")
        return fresh if isinstance(fresh, str) and fresh else None

    def me(self) -> JsonObject:
        """The signed-in user (``GET /users/me``); a 401 carries auth's reason in ``code``."""
        result: JsonObject = self._json("auth", "GET", "/users/me")
        return result

    def spend_ui_nonce(self, nonce: str, expires_at: float) -> bool:
        """Use up a sign-in code or sign out a session cookie for every UI replica: True the first
        time, False when it was used already (auth's 409)."""
        body = {"nonce": nonce, "expires_at": datetime.fromtimestamp(expires_at, UTC).isoformat()}
        try:
            self._request("auth", "POST", "/users/me/spent-ui-nonces", json=body)
        except ApiError as error:
            if error.status_code == 409:
                return False
            raise
        return True

    def ui_nonce_spent(self, nonce: str) -> bool:
        return bool(self._json("auth", "GET", f"/users/me/spent-ui-nonces/{nonce}")["spent"])

    def update_me(self, changes: JsonObject, current_password: str | None = None) -> JsonObject:
        """Change the signed-in user's own name and/or email (``PATCH /users/me``; a new email needs
        the current password)."""
        body = {**changes, "current_password": current_password} if current_password else changes
        result: JsonObject = self._json("auth", "PATCH", "/users/me", json=body)
        return result

    def reset_password(self, user_id: str) -> str:
        """An admin resets an account's password: the temporary password, shown once."""
        body = self._json("auth", "POST", f"/admin/users/{user_id}/password-reset")
        return str(body["temporary_password"])

    def delete_me(self, current_password: str) -> None:
        self._request("auth", "DELETE", "/users/me", json={"current_password": current_password})

    def list_users(self, *, q: str | None = None, limit: int = 50, offset: int = 0) -> JsonObject:
        result: JsonObject = self._json(
            "auth", "GET", "/admin/users", params={"q": q, "limit": limit, "offset": offset}
        )
        return result

    def create_user(self, *, email: str, name: str, password: str, roles: list[str]) -> JsonObject:
        result: JsonObject = self._json(
            "auth",
            "POST",
            "/admin/users",
            json={"email": email, "name": name, "password": password, "roles": roles},
        )
        return result

    def update_user(self, user_id: str, changes: JsonObject) -> JsonObject:
        result: JsonObject = self._json("auth", "PATCH", f"/admin/users/{user_id}", json=changes)
        return result

    def delete_user(self, user_id: str) -> None:
        self._request("auth", "DELETE", f"/admin/users/{user_id}")

    # --- customers ------------------------------------------------------------------------------

    def list_customers(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        q: str | None = None,
        gender: str | None = None,
        band: str | None = None,
        segment: str | None = None,
        sort: str | None = None,
    ) -> JsonObject:
        params = {
            "limit": limit,
            "offset": offset,
            "q": q,
            "gender": gender,
            "band": band,
            "segment": segment,
            "sort": sort,
        }
        result: JsonObject = self._json("customers", "GET", "/customers", params=params)
        return result

    def create_customer(self, **values: Any) -> JsonObject:
        """``name``, ``gender``, ``age``, ``annual_income`` and optionally ``observed_score``."""
        result: JsonObject = self._json("customers", "POST", "/customers", json=values)
        return result

    def get_customer(self, customer_id: str) -> JsonObject:
        result: JsonObject = self._json("customers", "GET", f"/customers/{customer_id}")
        return result

    def update_customer(self, customer_id: str, changes: JsonObject) -> JsonObject:
        result: JsonObject = self._json("customers", "PATCH", f"/customers/{customer_id}", json=changes)
        return result

    def delete_customer(self, customer_id: str) -> None:
        self._request("customers", "DELETE", f"/customers/{customer_id}")

    def prediction_history(self, customer_id: str) -> list[JsonObject]:
        """The customer's predictions, oldest first (each with the inputs it was computed from)."""
        history: list[JsonObject] = self._json("customers", "GET", f"/customers/{customer_id}/predictions")
        return history

    def predict_again(self, customer_id: str) -> JsonObject:
        result: JsonObject = self._json("customers", "POST", f"/customers/{customer_id}/predictions")
        return result

    def dashboard(self) -> JsonObject:
        result: JsonObject = self._json("customers", "GET", "/dashboard")
        return result

    def import_customers(self, filename: str, content: bytes, *, partial: bool = False) -> JsonObject:
        """All or nothing by default (a 422 lists every bad row); ``partial`` imports the good rows and
        returns the bad ones as ``rejected``."""
        mime = XLSX_MIME if filename.lower().endswith(".xlsx") else "text/csv"
        result: JsonObject = self._json(
            "customers",
            "POST",
            "/customers/import",
            params={"mode": "partial" if partial else None},
            files={"file": (filename, content, mime)},
        )
        return result

    def import_template(self, *, excel: bool = False, semicolon: bool = False) -> bytes:
        """The import file's header with two example rows, in the caller's language (CSV, or .xlsx)."""
        params = {"format": "xlsx" if excel else None, "delimiter": "semicolon" if semicolon else None}
        return self._request("customers", "GET", "/customers/import/template", params=params).content

    def export_customers(
        self,
        *,
        semicolon: bool = False,
        excel: bool = False,
        sort: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
        **filters: str | None,
    ) -> bytes:
        """The customers with the latest score: CSV (``;`` and decimal commas if ``semicolon``) or .xlsx;
        every one, or those of the list's ``q``, ``gender``, ``band``, ``segment`` in its ``sort``. With
        ``language`` (en, pt-BR) the file speaks it, its dates in ``time_zone`` (issue 23)."""
        params = {
            "delimiter": "semicolon" if semicolon else None,
            "format": "xlsx" if excel else None,
            "sort": sort,
            "lang": language,
            "tz": time_zone if language else None,
            **{key: filters.get(key) for key in ("q", "gender", "band", "segment")},
        }
        return self._request("customers", "GET", "/customers/export", params=params).content

    def saved_views(self) -> list[JsonObject]:
        """The owner's saved views of the list (issue 24), by name."""
        result: list[JsonObject] = self._json("customers", "GET", "/saved-views")
        return result

    def save_view(self, name: str, **view: str | None) -> JsonObject:
        """``name`` and the list's ``q``, ``gender``, ``band``, ``segment``, ``sort``."""
        result: JsonObject = self._json("customers", "POST", "/saved-views", json={"name": name, **view})
        return result

    def rename_view(self, view_id: str, name: str) -> JsonObject:
        result: JsonObject = self._json("customers", "PATCH", f"/saved-views/{view_id}", json={"name": name})
        return result

    def delete_view(self, view_id: str) -> None:
        self._request("customers", "DELETE", f"/saved-views/{view_id}")

    # Bulk actions (issue 24): on ``ids`` (the rows ticked, at most 1,000) or on every customer matching
    # ``filters`` (the list's q, gender, band, segment; at most 10,000). All or nothing.

    def bulk_delete(self, selection: JsonObject) -> JsonObject:
        """Into the recycle bin; answers ``{"action", "count", "ids"}``."""
        result: JsonObject = self._json("customers", "POST", "/customers/bulk/delete", json=selection)
        return result

    def bulk_predict(self, selection: JsonObject) -> JsonObject:
        result: JsonObject = self._json("customers", "POST", "/customers/bulk/predict", json=selection)
        return result

    def bulk_export(
        self,
        selection: JsonObject,
        *,
        semicolon: bool = False,
        sort: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
    ) -> bytes:
        """The selected customers' file, as ``export_customers`` writes it."""
        body = {
            **selection,
            "sort": sort,
            "delimiter": "semicolon" if semicolon else "comma",
            "lang": language,
            "tz": time_zone if language else None,
        }
        return self._request("customers", "POST", "/customers/bulk/export", json=body).content

    def deleted_customers(self, *, limit: int = 50, offset: int = 0) -> JsonObject:
        """The recycle bin, the most recent first: ``items`` (each with ``deleted_at``, ``purge_after``)
        and ``total``."""
        params = {"limit": limit, "offset": offset}
        result: JsonObject = self._json("customers", "GET", "/customers/deleted", params=params)
        return result

    def restore_customers(self, ids: list[str]) -> JsonObject:
        body = {"ids": ids}
        result: JsonObject = self._json("customers", "POST", "/customers/deleted/restore", json=body)
        return result

    def customer_data(self, customer_id: str) -> bytes:
        """Everything stored about one customer as JSON (issue 24: a data-protection request)."""
        return self._request("customers", "GET", f"/customers/{customer_id}/data").content

    # --- issue 25: sales and the store's own model ----------------------------------------------

    def import_sales(self, filename: str, content: bytes) -> JsonObject:
        """All or nothing (a 422 lists every bad row); then the observed scores are derived again."""
        mime = XLSX_MIME if filename.lower().endswith(".xlsx") else "text/csv"
        result: JsonObject = self._json(
            "customers", "POST", "/sales/import", files={"file": (filename, content, mime)}
        )
        return result

    def customer_sales(self, customer_id: str) -> list[JsonObject]:
        result: list[JsonObject] = self._json("customers", "GET", f"/customers/{customer_id}/sales")
        return result

    def store_model(self) -> JsonObject:
        result: JsonObject = self._json("customers", "GET", "/store-model")
        return result

    def fit_store_model(self) -> JsonObject:
        result: JsonObject = self._json("customers", "POST", "/store-model/fit")
        return result

    def store_drift(self) -> JsonObject:
        result: JsonObject = self._json("customers", "GET", "/store-model/drift")
        return result

    def store_settings(self) -> JsonObject:
        """The store's income unit (issue 23)."""
        result: JsonObject = self._json("customers", "GET", "/settings")
        return result

    def replace_store_settings(self, settings: JsonObject) -> JsonObject:
        result: JsonObject = self._json("customers", "PUT", "/settings", json=settings)
        return result

    # --- inference ------------------------------------------------------------------------------

    def model_card(self) -> JsonObject:
        result: JsonObject = self._json("inference", "GET", "/model")
        return result
