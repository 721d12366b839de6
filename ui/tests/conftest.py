"""Fixtures for the UI tests: an HTTP-level fake of the three services, and AppTest.

The fake answers with the services' own pydantic models (and validates with their request models and CSV
parser), so the UI is tested against the shapes the services really send.
"""

import base64
import binascii
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from playwright.sync_api import Browser
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from auth_service.schemas import TokenResponse, UserPublic, UsersPage
from customers_service.errors import ImportRejected
from customers_service.file_import import read_customers_file
from customers_service.models import StoreSettings
from customers_service.sales_import import SalesImportResult
from customers_service.schemas import (
    AgeGroup,
    BandCounts,
    BulkResult,
    BulkSelection,
    CustomerCreate,
    CustomerCreateRequest,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    Dashboard,
    DeletedCustomerPage,
    DeletedCustomerRead,
    GenderCounts,
    HistogramBucket,
    ImportResult,
    Interval,
    PredictionRead,
    RestoreRequest,
    SortKey,
    entered_income_of,
    model_income_of,
)
from customers_service.store_schemas import DriftRead, SaleRead, StoreModelRead
from customers_service.store_settings import ENTERED_INCOME_COLUMNS, MODEL_UNIT, entered_income_columns
from customers_service.store_settings_repository import settings_read_of
from customers_service.store_settings_schemas import StoreSettingsRead, StoreSettingsUpdate
from inference_service.schemas import ModelCard
from spendscore_ui.config import get_settings
from testkit.browser import RunningUI, chromium, start_ui
from testkit.processes import free_port

# What the real GET /model lists (services/inference/src/inference_service/segments.py names them).
FAKE_SEGMENTS = [
    {
        "id": segment_id,
        "name": {"en": english, "pt-BR": portuguese},
        "description": {"en": f"{english} — a sentence.", "pt-BR": f"{portuguese} — uma frase."},
        "centroid": {"annual_income": income, "spending_score": score},
        "size": size,
        "share": size / 200,
    }
    for segment_id, english, portuguese, income, score, size in [
        ("low-income-high-spending", "Low income, high spending", "Renda baixa, gasto alto", 25.7, 79.4, 22),
        ("low-income-low-spending", "Low income, low spending", "Renda baixa, gasto baixo", 26.3, 20.9, 23),
        (
            "average-income-average-spending",
            "Average income, average spending",
            "Renda média, gasto médio",
            55.3,
            49.5,
            81,
        ),
        ("high-income-high-spending", "High income, high spending", "Renda alta, gasto alto", 86.5, 82.1, 39),
        ("high-income-low-spending", "High income, low spending", "Renda alta, gasto baixo", 88.2, 17.1, 35),
    ]
]

UI_DIR = Path(__file__).resolve().parent.parent
SETTINGS_SET_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
FAKE_SIGNING_KEY = "fake-services-signing-key-for-ui-tests-only"


def _body_errors(error: ValidationError) -> list[dict[str, Any]]:
    """A pydantic error as FastAPI's 422 body items (with the "body" location first)."""
    return [
        {
            "type": item["type"],
            "loc": ["body", *item["loc"]],
            "msg": item["msg"],
            "ctx": {
                key: value
                for key, value in (item.get("ctx") or {}).items()
                if isinstance(value, int | float | str)
            },
        }
        for item in error.errors(include_url=False)
    ]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class PasswordChangeRequired(Exception):
    """Auth's 403 for every call but the password change after an admin reset."""


class AccountDeactivated(Exception):
    """Auth's 401 for a token of an account deactivated since, with its reason (issue 23)."""


class FakeServices:
    """Auth, customers and inference as one small FastAPI app answering with the services' models."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[PredictionRead]] = {}
        self.valid_tokens: set[str] = set()
        self.inference_unavailable = False
        self.requests: list[dict[str, Any]] = []
        self.logins: list[dict[str, Any]] = []
        # What the fake has no model for (segments, two peaks, the accuracy panel): set by a test.
        self.customer_extra: dict[str, dict[str, Any]] = {}  # id -> segment, segment_source, observed_score
        self.prediction_extra: dict[str, dict[str, Any]] = {}  # customer id -> latest prediction's modes
        self.dashboard_extra: dict[str, Any] = {}
        self.downloads: list[dict[str, Any]] = []
        self.saved_views: list[dict[str, Any]] = []  # issue 24  # by_segment, scatter, accuracy
        self.deleted: dict[str, str] = {}  # issue 24: id -> deleted_at, the recycle bin
        self.model_extra: dict[str, Any] = {}  # segments
        # Issue 25: the owner's store model (GET /store-model) and sales per customer id.
        self.store_model: dict[str, Any] = {
            "fitted": False,
            "rescore": {"total": 0, "done": 0, "remaining": 0},
        }
        self.sales: dict[str, list[dict[str, Any]]] = {}
        self.store_settings: dict[str, StoreSettingsUpdate] = {}  # issue 23: owner id -> income unit
        self.app = self._build()

    # --- state helpers used by tests ----------------------------------------------------------

    def add_user(self, email: str, password: str, roles: tuple[str, ...] = ("user",)) -> dict[str, Any]:
        user = {
            "id": str(uuid.uuid4()),
            "email": email,
            "name": email.split("@")[0].title(),
            "password": password,
            "roles": list(roles),
            "is_active": True,
            "created_at": _now(),
            "updated_at": _now(),
            "last_login_at": None,
        }
        self.users[user["id"]] = user
        return user

    def expire_all_tokens(self) -> None:
        self.valid_tokens.clear()

    # --- the app --------------------------------------------------------------------------------

    def _token_for(self, user: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "sub": user["id"],
            "email": user["email"],
            "name": user["name"],
            "roles": user["roles"],
            "iat": now,
            "exp": now + 7200,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, FAKE_SIGNING_KEY, algorithm="HS256")
        self.valid_tokens.add(token)
        return token

    def _user(self, authorization: str | None, *, password_change: bool = False) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        claims = jwt.decode(token, FAKE_SIGNING_KEY, algorithms=["HS256"])
        user = self.users[claims["sub"]]
        if not user["is_active"]:
            raise AccountDeactivated()
        if user.get("must_change_password") and not password_change:
            raise PasswordChangeRequired()
        return user

    def _admin(self, authorization: str | None) -> dict[str, Any]:
        user = self._user(authorization)
        if "admin" not in user["roles"]:
            raise HTTPException(403, "Admin role required")
        return user

    def _owner(self, authorization: str | None) -> dict[str, Any]:
        return self._user(authorization)

    @staticmethod
    def _validation_error(field: str, message: str) -> HTTPException:
        return HTTPException(422, [{"loc": ["body", field], "msg": message, "type": "value_error"}])

    def _customer_out(self, customer_id: str) -> CustomerRead:
        latest = self.history[customer_id][-1]
        customer = self.customers[customer_id]
        row: Any = SimpleNamespace(
            annual_income=customer["annual_income"],
            **{column: customer.get(column) for column in ENTERED_INCOME_COLUMNS},
        )
        return CustomerRead.model_validate(
            {
                "income": entered_income_of(row),
                "external_id": None,
                "observed_score": None,
                "observed_at": None,
                "segment": None,
                "segment_source": None,
                **self.customers[customer_id],
                **self.customer_extra.get(customer_id, {}),
                "latest_prediction": {**latest.model_dump(), **self.prediction_extra.get(customer_id, {})},
            }
        )

    def store_prediction(self, customer_id: str) -> PredictionRead:
        customer = self.customers[customer_id]
        inputs = {key: customer[key] for key in ("gender", "age", "annual_income")}
        now = datetime.now(UTC)
        if self.inference_unavailable:  # the write succeeds; its prediction waits
            prediction = PredictionRead(
                id=uuid.uuid4(),
                status="pending",
                spending_score=None,
                band=None,
                interval=None,
                model_version=None,
                modes=None,
                segment=None,
                warnings=[],
                created_at=now,
                completed_at=None,
                **inputs,
            )
        else:
            age, income = customer["age"], customer["annual_income"]
            score = max(
                1.0, min(100.0, 90 - 0.8 * age + 0.1 * income + (3 if customer["gender"] == "female" else 0))
            )
            prediction = PredictionRead(
                id=uuid.uuid4(),
                status="done",
                spending_score=round(score, 1),
                band="low" if score < 25 else "high" if score > 75 else "medium",
                interval=Interval(low=max(1.0, score - 20), high=min(100.0, score + 20)),
                model_version="fake-1",
                modes=None,
                segment=None,
                warnings=self.range_warnings(age, income),
                created_at=now,
                completed_at=now,
                **inputs,
            )
        self.history.setdefault(customer_id, []).append(prediction)
        return prediction

    def unit_of(self, owner_id: str) -> Any:
        settings = self.store_settings.get(owner_id)
        return MODEL_UNIT if settings is None else settings.unit()

    def _add_customer(self, owner_id: str, values: CustomerCreate) -> str:
        customer_id = str(uuid.uuid4())
        self.customers[customer_id] = {
            "id": customer_id,
            "owner_id": owner_id,
            **values.model_dump(),
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.store_prediction(customer_id)
        return customer_id

    def listed(self, owner_id: str, **filters: str | None) -> list[CustomerRead]:
        """The owner's customers outside the recycle bin that match the list's filters."""
        q, gender, band, segment = (filters.get(key) for key in ("q", "gender", "band", "segment"))
        items = [
            self._customer_out(customer_id)
            for customer_id, customer in self.customers.items()
            if customer["owner_id"] == owner_id and customer_id not in self.deleted
        ]
        return [
            item
            for item in items
            if (not q or q.lower() in item.name.lower())
            and (not gender or item.gender == gender)
            and (not band or (item.latest_prediction and item.latest_prediction.band) == band)
            and (
                not segment
                or str((self.customer_extra.get(str(item.id), {}).get("segment") or {}).get("id")) == segment
            )
        ]

    def _bulk_ids(self, owner_id: str, body: dict[str, Any]) -> list[str]:
        """The customers a bulk action applies to, validated as the service does (all or nothing)."""
        try:
            selection = BulkSelection.model_validate(body)
        except ValidationError as error:
            raise HTTPException(422, _body_errors(error)) from None
        if selection.filters is not None:
            return [str(item.id) for item in self.listed(owner_id, **selection.filters.model_dump())]
        ids = [str(customer_id) for customer_id in selection.ids or []]
        for customer_id in ids:
            customer = self.customers.get(customer_id)
            if customer is None or customer["owner_id"] != owner_id or customer_id in self.deleted:
                raise HTTPException(404, "Customer not found")
        return ids

    # --- contract extras ---------------------------------------------------------------------

    @staticmethod
    def range_warnings(age: float, income: float) -> list[str]:
        """The inference service's warnings (predictor._warnings) for the fake's training ranges."""
        ranges = (("age", age, 18, 70, "years"), ("annual_income", income, 15, 137, "k$"))
        return [
            f"{name} {value:g} is outside the training range {low:g}-{high:g} {unit}: "
            "the prediction is an extrapolation"
            for name, value, low, high, unit in ranges
            if value < low or value > high
        ]

    def _observed_from(self, body: dict[str, Any]) -> tuple[bool, int | None]:
        """Take ``observed_score`` out of a create/PATCH body (the services' schemas may lack it)."""
        if "observed_score" not in body:
            return False, None
        value = body.pop("observed_score")
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 100):
            raise HTTPException(
                422,
                [
                    {
                        "type": "less_than_equal",
                        "loc": ["body", "observed_score"],
                        "msg": "Input should be less than or equal to 100",
                        "ctx": {"le": 100},
                    }
                ],
            )
        return True, value

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
            fake.requests.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "query": request.url.query,
                    "request_id": request.headers.get("x-request-id"),
                    "authorization": request.headers.get("authorization"),
                }
            )
            return await call_next(request)

        @app.post("/auth/login")
        def login(body: dict[str, Any]) -> JSONResponse:
            fake.logins.append(body)
            for user in fake.users.values():
                if user["email"] == body.get("email") and user["password"] == body.get("password"):
                    if not user["is_active"]:  # auth's answer to the right password of a deactivated user
                        return JSONResponse(
                            {"detail": "This account is deactivated", "code": "account_deactivated"}, 403
                        )
                    answer = TokenResponse(access_token=fake._token_for(user), expires_in=7200).model_dump()
                    device_token = body.get("device_token") or f"device-{uuid.uuid4().hex}"
                    return JSONResponse(
                        {
                            **answer,
                            "device_token": device_token,
                            "must_change_password": user.get("must_change_password", False),
                        }
                    )
            raise HTTPException(401, "Incorrect email or password")

        def public(user: dict[str, Any]) -> UserPublic:
            return UserPublic.model_validate(user)

        @app.put("/users/me/password")
        def change_password(body: dict[str, Any], authorization: str | None = Header(None)) -> JSONResponse:
            user = fake._user(authorization, password_change=True)
            if body.get("current_password") != user["password"]:
                raise HTTPException(400, "The current password is incorrect")
            user["password"] = body["new_password"]
            user["must_change_password"] = False
            fake.valid_tokens.clear()  # every other session ends; this one goes on with a fresh token
            return JSONResponse({"access_token": fake._token_for(user), "token_type": "bearer"})

        @app.get("/users/me")
        def read_me(authorization: str | None = Header(None)) -> UserPublic:
            return UserPublic(**fake._user(authorization, password_change=True))

        @app.patch("/users/me")
        def update_me(body: dict[str, Any], authorization: str | None = Header(None)) -> UserPublic:
            user = fake._user(authorization)
            if "name" in body and not body["name"]:
                raise HTTPException(
                    422,
                    [
                        {
                            "type": "string_too_short",
                            "loc": ["body", "name"],
                            "msg": "String should have at least 1 character",
                            "ctx": {"min_length": 1},
                        }
                    ],
                )
            if any(other["email"] == body.get("email") for other in fake.users.values() if other is not user):
                raise HTTPException(409, "A user with this email already exists")
            user.update({key: value for key, value in body.items() if key in ("name", "email")})
            return public(user)

        @app.post("/admin/users/{user_id}/password-reset")
        def reset_password(user_id: str, authorization: str | None = Header(None)) -> dict[str, str]:
            fake._admin(authorization)
            user = fake.users[user_id]
            user["password"] = f"temp-{uuid.uuid4().hex[:12]}"
            user["must_change_password"] = True
            return {"temporary_password": user["password"]}

        @app.delete("/users/me", status_code=204)
        def delete_me(authorization: str | None = Header(None)) -> Response:
            user = fake._user(authorization)
            del fake.users[user["id"]]
            return Response(status_code=204)

        @app.get("/admin/users")
        def list_users(
            q: str | None = None, limit: int = 50, offset: int = 0, authorization: str | None = Header(None)
        ) -> UsersPage:
            fake._admin(authorization)
            users = [
                public(user)
                for user in fake.users.values()
                if not q or q.lower() in user["email"].lower() or q.lower() in user["name"].lower()
            ]
            return UsersPage(items=users[offset : offset + limit], total=len(users))

        @app.post("/admin/users", status_code=201)
        def create_user(body: dict[str, Any], authorization: str | None = Header(None)) -> UserPublic:
            fake._admin(authorization)
            if len(body.get("password", "")) < 8:
                raise fake._validation_error("password", "String should have at least 8 characters")
            if any(user["email"] == body["email"] for user in fake.users.values()):
                raise HTTPException(409, "A user with this email already exists.")
            user = fake.add_user(body["email"], body["password"], tuple(body.get("roles", ["user"])))
            user["name"] = body.get("name") or user["name"]
            return public(user)

        @app.patch("/admin/users/{user_id}")
        def update_user(
            user_id: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> UserPublic:
            fake._admin(authorization)
            user = fake.users.get(user_id)
            if user is None:
                raise HTTPException(404, "User not found")
            user.update({key: value for key, value in body.items() if key in ("name", "roles", "is_active")})
            return public(user)

        @app.delete("/admin/users/{user_id}", status_code=204)
        def delete_user(user_id: str, authorization: str | None = Header(None)) -> Response:
            fake._admin(authorization)
            fake.users.pop(user_id, None)
            return Response(status_code=204)

        @app.get("/customers")
        def list_customers(
            limit: int = 50,
            offset: int = 0,
            q: str | None = None,
            gender: str | None = None,
            band: str | None = None,
            segment: str | None = None,
            sort: SortKey = "-created_at",
            authorization: str | None = Header(None),
        ) -> CustomerPage:
            owner = fake._owner(authorization)
            items = fake.listed(owner["id"], q=q, gender=gender, band=band, segment=segment)
            key = sort.lstrip("-")

            def sort_value(item: CustomerRead) -> Any:
                if key in ("spending_score", "band"):
                    return (item.latest_prediction and item.latest_prediction.spending_score) or 0.0
                if key == "segment":
                    return str(
                        (fake.customer_extra.get(str(item.id), {}).get("segment") or {}).get("id") or ""
                    )
                value = getattr(item, key)
                return (value is None, value if value is not None else 0)

            items.sort(key=sort_value, reverse=sort.startswith("-"))
            return CustomerPage(items=items[offset : offset + limit], total=len(items))

        @app.post("/customers", status_code=201)
        def create_customer(body: dict[str, Any], authorization: str | None = Header(None)) -> CustomerRead:
            owner = fake._owner(authorization)
            has_observed, observed = fake._observed_from(body)
            try:
                values = CustomerCreateRequest.model_validate(body)
            except ValidationError as error:
                raise HTTPException(422, _body_errors(error)) from None
            customer_id = fake._add_customer(owner["id"], values.resolved(fake.unit_of(owner["id"])))
            if has_observed:
                fake.customer_extra.setdefault(customer_id, {})["observed_score"] = observed
            return fake._customer_out(customer_id)

        def owned(customer_id: str, owner: dict[str, Any]) -> dict[str, Any]:
            customer = fake.customers.get(customer_id)
            if customer is None or customer["owner_id"] != owner["id"] or customer_id in fake.deleted:
                raise HTTPException(404, "Customer not found")
            return customer

        @app.get("/saved-views")
        def list_saved_views(authorization: str | None = Header(None)) -> list[dict[str, Any]]:
            owner = fake._owner(authorization)
            views = [view for view in fake.saved_views if view["owner_id"] == owner["id"]]
            return sorted(views, key=lambda view: view["name"])

        @app.post("/saved-views", status_code=201)
        def create_saved_view(
            body: dict[str, Any], authorization: str | None = Header(None)
        ) -> dict[str, Any]:
            owner = fake._owner(authorization)
            view = {"id": str(uuid.uuid4()), "owner_id": owner["id"], **body}
            fake.saved_views.append(view)
            return view

        @app.patch("/saved-views/{view_id}")
        def rename_saved_view(
            view_id: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> dict[str, Any]:
            owner = fake._owner(authorization)
            for view in fake.saved_views:
                if view["id"] == view_id and view["owner_id"] == owner["id"]:
                    view.update(body)
                    return view
            raise HTTPException(404, "Saved view not found")

        @app.delete("/saved-views/{view_id}", status_code=204)
        def delete_saved_view(view_id: str, authorization: str | None = Header(None)) -> Response:
            owner = fake._owner(authorization)
            kept = [v for v in fake.saved_views if not (v["id"] == view_id and v["owner_id"] == owner["id"])]
            if len(kept) == len(fake.saved_views):
                raise HTTPException(404, "Saved view not found")
            fake.saved_views[:] = kept
            return Response(status_code=204)

        @app.post("/customers/bulk/delete")
        def bulk_delete(body: dict[str, Any], authorization: str | None = Header(None)) -> BulkResult:
            ids = fake._bulk_ids(fake._owner(authorization)["id"], body)
            for customer_id in ids:
                fake.deleted[customer_id] = _now()
            return BulkResult(action="deleted", count=len(ids), ids=[uuid.UUID(i) for i in ids])

        @app.post("/customers/bulk/predict")
        def bulk_predict(body: dict[str, Any], authorization: str | None = Header(None)) -> BulkResult:
            ids = fake._bulk_ids(fake._owner(authorization)["id"], body)
            for customer_id in ids:
                fake.store_prediction(customer_id)
            return BulkResult(action="predicted", count=len(ids), ids=[uuid.UUID(i) for i in ids])

        @app.post("/customers/bulk/export")
        def bulk_export(body: dict[str, Any], authorization: str | None = Header(None)) -> Response:
            owner = fake._owner(authorization)
            selection = {key: body.pop(key) for key in ("sort", "delimiter") if key in body}
            ids = fake._bulk_ids(owner["id"], body)
            fake.downloads.append({"path": "bulk_export", "ids": ids, **selection})
            names = "\n".join(fake.customers[customer_id]["name"] for customer_id in ids)
            return Response(f"name\n{names}\n", media_type="text/csv")

        @app.get("/customers/deleted")
        def list_deleted(
            limit: int = 50, offset: int = 0, authorization: str | None = Header(None)
        ) -> DeletedCustomerPage:
            owner = fake._owner(authorization)
            binned = sorted(
                (
                    (deleted_at, customer_id)
                    for customer_id, deleted_at in fake.deleted.items()
                    if fake.customers[customer_id]["owner_id"] == owner["id"]
                ),
                reverse=True,
            )
            items = [
                DeletedCustomerRead(
                    **fake._customer_out(customer_id).model_dump(),
                    deleted_at=datetime.fromisoformat(deleted_at),
                    purge_after=datetime.fromisoformat(deleted_at) + timedelta(days=30),
                )
                for deleted_at, customer_id in binned[offset : offset + limit]
            ]
            return DeletedCustomerPage(items=items, total=len(binned))

        @app.post("/customers/deleted/restore")
        def restore(body: dict[str, Any], authorization: str | None = Header(None)) -> BulkResult:
            owner = fake._owner(authorization)
            ids = [str(customer_id) for customer_id in RestoreRequest.model_validate(body).ids]
            if any(
                customer_id not in fake.deleted or fake.customers[customer_id]["owner_id"] != owner["id"]
                for customer_id in ids
            ):
                raise HTTPException(404, "Not in the recycle bin")
            for customer_id in ids:
                del fake.deleted[customer_id]
            return BulkResult(action="restored", count=len(ids), ids=[uuid.UUID(i) for i in ids])

        @app.get("/customers/export")
        def export(
            delimiter: str | None = None,
            format: str | None = None,
            q: str | None = None,
            gender: str | None = None,
            band: str | None = None,
            segment: str | None = None,
            sort: SortKey | None = None,
            lang: str | None = None,
            tz: str | None = None,
            authorization: str | None = Header(None),
        ) -> Response:
            owner = fake._owner(authorization)
            view = {"q": q, "gender": gender, "band": band, "segment": segment, "sort": sort}
            fake.downloads.append(
                {"path": "export", "delimiter": delimiter, "format": format, "lang": lang, "tz": tz, **view}
            )
            separator = ";" if delimiter == "semicolon" else ","
            lines = [separator.join(["name", "gender", "age", "annual_income", "spending_score", "band"])]
            for customer_id, customer in fake.customers.items():
                if customer["owner_id"] == owner["id"]:
                    latest = fake.history[customer_id][-1]
                    cells = [customer["name"], customer["gender"], customer["age"], customer["annual_income"]]
                    cells += [latest.spending_score, latest.band]
                    lines.append(separator.join(str(cell) for cell in cells))
            return Response("\n".join(lines) + "\n", media_type="text/csv")

        @app.get("/customers/import/template")
        def template(format: str | None = None, authorization: str | None = Header(None)) -> Response:
            fake._owner(authorization)
            fake.downloads.append({"path": "template", "format": format})
            return Response("name,gender,age,annual_income\nAna,female,30,60\n", media_type="text/csv")

        @app.post("/customers/import", status_code=201)
        async def import_customers(
            file: UploadFile,
            mode: str | None = None,
            authorization: str | None = Header(None),
            accept_language: str | None = Header(None),
        ) -> JSONResponse:
            owner = fake._owner(authorization)
            language = "pt" if (accept_language or "").lower().startswith("pt") else "en"
            try:  # the customers service's own reader: its {"detail": [{line, field, message}]} on 422
                parsed = read_customers_file(await file.read(), filename=file.filename, language=language)
            except ImportRejected as refused:
                raise HTTPException(422, [problem.model_dump() for problem in refused.problems]) from None
            rejected = [problem.model_dump() for problem in parsed.problems]
            if rejected and mode != "partial":
                raise HTTPException(422, rejected)
            rows = [row.values for row in parsed.rows]
            for values in rows:
                fake._add_customer(owner["id"], values)
            pending = len(rows) if fake.inference_unavailable else 0
            answer = ImportResult(imported=len(rows), pending_predictions=pending).model_dump()
            return JSONResponse({**answer, "rejected": rejected if mode == "partial" else []}, 201)

        @app.get("/settings")
        def read_store_settings(authorization: str | None = Header(None)) -> StoreSettingsRead:
            owner_id = fake._owner(authorization)["id"]
            values = fake.store_settings.get(owner_id)
            row = (
                None
                if values is None
                else StoreSettings(owner_id=owner_id, units_set_at=SETTINGS_SET_AT, **values.model_dump())
            )
            return settings_read_of(row)

        @app.put("/settings")
        def replace_store_settings(
            body: dict[str, Any], authorization: str | None = Header(None)
        ) -> StoreSettingsRead:
            owner = fake._owner(authorization)
            try:
                fake.store_settings[owner["id"]] = StoreSettingsUpdate.model_validate(body)
            except ValidationError as error:
                raise HTTPException(422, _body_errors(error)) from None
            return read_store_settings(authorization)

        @app.get("/customers/{customer_id}")
        def get_customer(customer_id: str, authorization: str | None = Header(None)) -> CustomerRead:
            owned(customer_id, fake._owner(authorization))
            return fake._customer_out(customer_id)

        @app.patch("/customers/{customer_id}")
        def update_customer(
            customer_id: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> CustomerRead:
            customer = owned(customer_id, fake._owner(authorization))
            has_observed, observed = fake._observed_from(body)
            if has_observed:
                fake.customer_extra.setdefault(customer_id, {})["observed_score"] = observed
            try:
                changes = CustomerUpdate.model_validate(body).model_dump(exclude_unset=True)
            except ValidationError as error:
                raise HTTPException(422, _body_errors(error)) from None
            if "income_amount" in changes:
                unit = fake.unit_of(customer["owner_id"])
                changes["annual_income"] = model_income_of(changes["income_amount"], unit)
                changes.update(entered_income_columns(changes.pop("income_amount"), unit))
            elif "annual_income" in changes:
                changes.update(entered_income_columns(None, MODEL_UNIT))
            changed_inputs = any(
                key in changes and changes[key] != customer[key] for key in ("gender", "age", "annual_income")
            )
            customer.update(changes, updated_at=_now())
            if changed_inputs:
                fake.store_prediction(customer_id)
            return fake._customer_out(customer_id)

        @app.delete("/customers/{customer_id}", status_code=204)
        def delete_customer(customer_id: str, authorization: str | None = Header(None)) -> Response:
            owned(customer_id, fake._owner(authorization))
            del fake.customers[customer_id]
            del fake.history[customer_id]
            return Response(status_code=204)

        @app.get("/customers/{customer_id}/predictions")
        def history(customer_id: str, authorization: str | None = Header(None)) -> list[PredictionRead]:
            owned(customer_id, fake._owner(authorization))
            return fake.history[customer_id]

        @app.post("/customers/{customer_id}/predictions", status_code=201)
        def predict_again(customer_id: str, authorization: str | None = Header(None)) -> PredictionRead:
            owned(customer_id, fake._owner(authorization))
            if fake.inference_unavailable:
                raise HTTPException(
                    503,
                    "The prediction service is unavailable; try again shortly",
                    headers={"Retry-After": "5"},
                )
            return fake.store_prediction(customer_id)

        @app.get("/dashboard")
        def dashboard(authorization: str | None = Header(None)) -> Dashboard:
            owner = fake._owner(authorization)
            mine = [
                fake._customer_out(cid) for cid, c in fake.customers.items() if c["owner_id"] == owner["id"]
            ]
            latest = [item.latest_prediction for item in mine if item.latest_prediction is not None]
            scores = [
                prediction.spending_score for prediction in latest if prediction.spending_score is not None
            ]
            average = sum(scores) / len(scores) if scores else None
            return Dashboard(
                total_customers=len(mine),
                by_gender=GenderCounts(
                    male=sum(item.gender == "male" for item in mine),
                    female=sum(item.gender == "female" for item in mine),
                ),
                by_band=BandCounts(
                    **{b: sum(p.band == b for p in latest) for b in ("low", "medium", "high")}
                ),
                pending_predictions=sum(p.status == "pending" for p in latest),
                average_score=average,
                score_histogram=[
                    HistogramBucket(from_=low, to=low + 10, count=sum(low <= s < low + 10 for s in scores))
                    for low in range(0, 100, 10)
                ],
                by_age_group=[AgeGroup(group="18-29", count=len(mine), average_score=average)],
                **{
                    "by_segment": [],
                    "scatter": [],
                    "accuracy": {"observed_count": 0, "mae": None, "r2": None, "interval_coverage": None},
                    **fake.dashboard_extra,
                },
            )

        # --- issue 25: sales and the store model, answered with the customers service's models ---
        @app.post("/sales/import", status_code=201)
        async def import_sales(
            file: UploadFile, authorization: str | None = Header(None)
        ) -> SalesImportResult:
            fake._owner(authorization)
            lines = [
                line for line in (await file.read()).decode("utf-8-sig").splitlines()[1:] if line.strip()
            ]
            return SalesImportResult(imported=len(lines), customers=len(lines), scored=len(lines))

        @app.get("/customers/{customer_id}/sales")
        def customer_sales(customer_id: str, authorization: str | None = Header(None)) -> list[SaleRead]:
            owned(customer_id, fake._owner(authorization))
            return [SaleRead.model_validate(sale) for sale in fake.sales.get(customer_id, [])]

        @app.get("/store-model")
        def store_model(authorization: str | None = Header(None)) -> StoreModelRead:
            fake._owner(authorization)
            return StoreModelRead.model_validate(fake.store_model)

        @app.post("/store-model/fit")
        def fit_store_model(authorization: str | None = Header(None)) -> StoreModelRead:
            fake._owner(authorization)
            return StoreModelRead.model_validate(fake.store_model)

        @app.get("/store-model/drift")
        def drift(authorization: str | None = Header(None)) -> DriftRead:
            fake._owner(authorization)
            quartiles = {"count": 0, "mean": None, "p25": None, "median": None, "p75": None}
            feature = {"store": quartiles, "training": None}
            return DriftRead.model_validate({"age": feature, "annual_income": feature, "error_by_month": []})

        @app.get("/model")
        def model_card(authorization: str | None = Header(None)) -> ModelCard:
            fake._user(authorization)
            cv = {m: {"mean": 0.35, "std": 0.05} for m in ("r2", "rmse", "mae")}
            return ModelCard.model_validate(
                {
                    "name": "fake-gbr",
                    "version": "fake-1",
                    "created_at": _now(),
                    "features": ["gender", "age", "annual_income"],
                    "training_ranges": {
                        "age": {"min": 18, "max": 70},
                        "annual_income": {"min": 15, "max": 137},
                    },
                    "metrics": {"cv": cv, "honest_selection": {"r2": {"mean": 0.33, "std": 0.1}}},
                    "interval": {
                        "level": 0.8,
                        "method": "normalised_k10_age1",
                        "cv_coverage": 0.79,
                        "cv_coverage_by_group": {
                            "income": {"15-48": 0.79, "49-72": 0.8, "73-137": 0.8},
                            "age": {"18-29": 0.82, "30-50": 0.79, "51-70": 0.78},
                        },
                        "mean_width": 44.5,
                        "fixed_width": 50.8,
                    },
                    "modes": {"enabled": True, "cv_share_flagged": 0.11, "share_of_training_customers": 0.12},
                    "baseline": {
                        "holdout": {"mse": 500.0, "r2": 0.02},
                        "cv": {m: {"mean": 0.06, "std": 0.04} for m in ("r2", "rmse", "mae")},
                    },
                    "segments": FAKE_SEGMENTS,
                    "segmentation_scale": {
                        "annual_income": {"mean": 60.56, "std": 26.2},
                        "spending_score": {"mean": 50.2, "std": 25.76},
                    },
                    "segment_classifier": {
                        "candidate": "logistic",
                        "cv": {
                            "accuracy": {"mean": 0.8, "std": 0.06},
                            "log_loss": {"mean": 0.51, "std": 0.1},
                        },
                        "baseline_cv": {
                            "accuracy": {"mean": 0.4, "std": 0.06},
                            "log_loss": {"mean": 1.5, "std": 0.07},
                        },
                    },
                    **fake.model_extra,
                }
            )

        @app.exception_handler(PasswordChangeRequired)
        async def password_change_required(_request: Request, _error: Exception) -> JSONResponse:
            body = {"detail": "Choose a new password first", "code": "password_change_required"}
            return JSONResponse(body, status_code=403)

        @app.exception_handler(AccountDeactivated)
        async def account_deactivated(_request: Request, _error: Exception) -> JSONResponse:
            body = {"detail": "This account was deactivated", "code": "account_deactivated"}
            return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})

        @app.exception_handler(HTTPException)
        async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )

        return app


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[str, dict[str, FakeServices]]]:
    """One uvicorn server in a thread; the FakeServices behind it is swapped per test."""
    holder: dict[str, FakeServices] = {"current": FakeServices()}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await holder["current"].app(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, f"the fake services did not start on port {port}"
    yield f"http://127.0.0.1:{port}", holder
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def fake(fake_server: tuple[str, dict[str, FakeServices]], monkeypatch: pytest.MonkeyPatch) -> FakeServices:
    """A fresh fake with an owner and an admin; the UI's settings point at it."""
    url, holder = fake_server
    holder["current"] = FakeServices()
    for variable in ("AUTH_URL", "CUSTOMERS_URL", "INFERENCE_URL"):
        monkeypatch.setenv(variable, url)
    get_settings.cache_clear()
    holder["current"].add_user("owner@example.com", "owner-password")
    holder["current"].add_user("admin@example.com", "admin-password", roles=("admin", "user"))
    return holder["current"]


@pytest.fixture
def app_test(fake: FakeServices) -> AppTest:
    return AppTest.from_file(str(UI_DIR / "router.py"), default_timeout=15)


def _submit_login(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


@pytest.fixture
def submit_login() -> Any:
    """Fill in and submit the login form of an AppTest that shows the login page."""
    return _submit_login


@pytest.fixture
def signed_in(app_test: AppTest) -> AppTest:
    """The app after an owner signed in (on the customers page)."""
    app_test.run()
    return _submit_login(app_test, "owner@example.com", "owner-password")


@pytest.fixture
def signed_in_admin(app_test: AppTest) -> AppTest:
    app_test.run()
    return _submit_login(app_test, "admin@example.com", "admin-password")


def _cookie_decodings(value: str) -> list[bytes]:
    """Every readable form of a cookie value: as sent, and base64 (URL-safe or standard, with or
    without padding) of the whole value and of each dot-separated part."""
    forms = [value.encode()]
    for text in [value, *value.split(".")]:
        padded = text + "=" * (-len(text) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                forms.append(decode(padded))
            except (binascii.Error, ValueError):
                pass
    return forms


@pytest.fixture
def cookie_decodings() -> Callable[[str], list[bytes]]:
    """Check a session cookie for a token in plain sight: ``token.encode() not in form`` for each form."""
    return _cookie_decodings


@dataclass
class ListTable:
    """The customers list's HTML table as a person reads it: headers (with any sort arrow), the cells'
    texts by header, the customers' links and each sortable header's link."""

    headers: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    customer_links: list[str] = field(default_factory=list)
    sort_links: dict[str, str] = field(default_factory=dict)
    sorted_as: dict[str, str] = field(default_factory=dict)  # header -> aria-sort

    def column(self, header: str) -> list[str]:
        return [row[header] for row in self.rows]


class _ListTableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.table = ListTable()
        self._in: str | None = None  # "head" or "body"
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._href: str | None = None
        self._aria_sort: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("thead", "tbody"):
            self._in = tag[1:]
        elif tag in ("th", "td") and self._in:
            self._cell, self._href, self._aria_sort = [], None, attributes.get("aria-sort")
        elif tag == "a" and self._cell is not None:
            self._href = attributes.get("href")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell).strip()
            if self._in == "head":
                self.table.headers.append(text)
                if self._href:
                    self.table.sort_links[text] = self._href
                if self._aria_sort:
                    self.table.sorted_as[text] = self._aria_sort
            else:
                self._row.append(text)
                if tag == "th" and self._href:
                    self.table.customer_links.append(self._href)
            self._cell = None
        elif tag == "tr" and self._in == "body":
            self.table.rows.append(dict(zip(self.table.headers, self._row, strict=True)))
            self._row = []


def _read_list_table(at: AppTest) -> ListTable:
    [body] = [
        element.proto.body for element in at.html if 'data-testid="customers-table"' in element.proto.body
    ]
    parser = _ListTableParser()
    parser.feed(body)
    return parser.table


@pytest.fixture
def read_list_table() -> Callable[[AppTest], ListTable]:
    """The customers list's table on the page (exactly one)."""
    return _read_list_table


@pytest.fixture(scope="session")
def running_ui(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    """The real services and one real UI process, shared by every browser test of the session."""
    stack.start_all()
    with start_ui(stack.urls, tmp_path_factory.mktemp("ui")) as ui:
        yield ui


@pytest.fixture(scope="session")
def ui_url(running_ui: RunningUI) -> str:
    return running_ui.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: Playwright's sync API leaves its event loop marked as running in
    this thread, so it must be gone before the next module's async tests."""
    try:
        with chromium() as launched:
            yield launched
    except RuntimeError as missing:
        pytest.fail(str(missing))
