"""Fixtures for the UI tests: an HTTP-level fake of the three services' documented APIs, and AppTest."""

import math
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import uvicorn
from fastapi import FastAPI, File, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from streamlit.testing.v1 import AppTest

from spendscore_ui.config import get_settings

UI_DIR = Path(__file__).resolve().parent.parent
FAKE_SIGNING_KEY = "fake-services-signing-key-for-ui-tests-only"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class FakeServices:
    """Auth, customers and inference as one small FastAPI app answering the documented shapes."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.valid_tokens: set[str] = set()
        self.inference_unavailable = False
        self.requests: list[dict[str, Any]] = []
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

    def _user(self, authorization: str | None) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        claims = jwt.decode(token, FAKE_SIGNING_KEY, algorithms=["HS256"])
        return self.users[claims["sub"]]

    def _admin(self, authorization: str | None) -> dict[str, Any]:
        user = self._user(authorization)
        if "admin" not in user["roles"]:
            raise HTTPException(403, "Admin role required")
        return user

    def _owner(self, authorization: str | None) -> dict[str, Any]:
        return self._user(authorization)

    @staticmethod
    def _predict(gender: str, age: int, income: float) -> dict[str, Any]:
        score = max(1.0, min(100.0, 90 - 0.8 * age + 0.1 * income + (3 if gender == "female" else 0)))
        band = "low" if score < 25 else "high" if score > 75 else "medium"
        return {
            "status": "done",
            "spending_score": round(score, 1),
            "band": band,
            "interval": {"low": max(1.0, score - 20), "high": min(100.0, score + 20)},
            "model_version": "fake-1",
            "created_at": _now(),
        }

    @staticmethod
    def _validation_error(field: str, message: str, row: int | None = None) -> HTTPException:
        location: list[Any] = ["body", field] if row is None else ["body", "items", row, field]
        return HTTPException(422, [{"loc": location, "msg": message, "type": "value_error"}])

    def _check_customer(self, payload: dict[str, Any], row: int | None = None) -> dict[str, Any]:
        genders = {"male": "male", "m": "male", "female": "female", "f": "female"}
        name = str(payload.get("name", "")).strip()
        if not name or len(name) > 200:
            raise self._validation_error("name", "must be 1 to 200 characters", row)
        gender = genders.get(str(payload.get("gender", "")).strip().lower())
        if gender is None:
            raise self._validation_error("gender", "unknown gender", row)
        try:
            age = int(payload.get("age"))  # type: ignore[arg-type]
            income = float(payload.get("annual_income"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise self._validation_error("age", "must be a number", row) from error
        if not 0 <= age <= 120:
            raise self._validation_error("age", "Input should be less than or equal to 120", row)
        if income < 0 or not math.isfinite(income):
            raise self._validation_error("annual_income", "must not be negative", row)
        return {"name": name, "gender": gender, "age": age, "annual_income": income}

    def _customer_out(self, customer_id: str) -> dict[str, Any]:
        customer = dict(self.customers[customer_id])
        customer.pop("owner_id")
        customer["latest_prediction"] = self.history[customer_id][-1]
        return customer

    def store_prediction(self, customer_id: str) -> None:
        customer = self.customers[customer_id]
        if self.inference_unavailable:  # the write succeeds; its prediction waits
            prediction = {
                "status": "pending",
                "spending_score": None,
                "band": None,
                "interval": None,
                "model_version": None,
                "created_at": _now(),
            }
        else:
            prediction = self._predict(customer["gender"], customer["age"], customer["annual_income"])
        prediction["inputs"] = {key: customer[key] for key in ("gender", "age", "annual_income")}
        self.history.setdefault(customer_id, []).append(prediction)

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
            fake.requests.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "request_id": request.headers.get("x-request-id"),
                    "authorization": request.headers.get("authorization"),
                }
            )
            return await call_next(request)

        @app.post("/auth/login")
        def login(body: dict[str, Any]) -> dict[str, Any]:
            for user in fake.users.values():
                if user["email"] == body.get("email") and user["password"] == body.get("password"):
                    if not user["is_active"]:
                        break
                    return {"access_token": fake._token_for(user), "token_type": "bearer", "expires_in": 7200}
            raise HTTPException(401, "Incorrect email or password")

        def public(user: dict[str, Any]) -> dict[str, Any]:
            return {key: value for key, value in user.items() if key != "password"}

        @app.get("/users/me")
        def me(authorization: str | None = Header(None)) -> dict[str, Any]:
            return public(fake._user(authorization))

        @app.put("/users/me/password", status_code=204)
        def change_password(body: dict[str, Any], authorization: str | None = Header(None)) -> Response:
            user = fake._user(authorization)
            if body.get("current_password") != user["password"]:
                raise HTTPException(400, "The current password is wrong.")
            user["password"] = body["new_password"]
            return Response(status_code=204)

        @app.delete("/users/me", status_code=204)
        def delete_me(authorization: str | None = Header(None)) -> Response:
            user = fake._user(authorization)
            del fake.users[user["id"]]
            return Response(status_code=204)

        @app.get("/admin/users")
        def list_users(
            q: str | None = None, limit: int = 50, offset: int = 0, authorization: str | None = Header(None)
        ) -> dict[str, Any]:
            fake._admin(authorization)
            users = [
                public(user)
                for user in fake.users.values()
                if not q or q.lower() in user["email"].lower() or q.lower() in user["name"].lower()
            ]
            return {"items": users[offset : offset + limit], "total": len(users)}

        @app.post("/admin/users", status_code=201)
        def create_user(body: dict[str, Any], authorization: str | None = Header(None)) -> dict[str, Any]:
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
        ) -> dict[str, Any]:
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
            sort: str = "-created_at",
            authorization: str | None = Header(None),
        ) -> dict[str, Any]:
            owner = fake._owner(authorization)
            items = [
                fake._customer_out(customer_id)
                for customer_id, customer in fake.customers.items()
                if customer["owner_id"] == owner["id"]
            ]
            items = [
                item
                for item in items
                if (not q or q.lower() in item["name"].lower())
                and (not gender or item["gender"] == gender)
                and (not band or item["latest_prediction"]["band"] == band)
            ]
            key = sort.lstrip("-")
            if key not in ("name", "created_at", "spending_score", "age"):
                raise HTTPException(422, [{"loc": ["query", "sort"], "msg": "unknown sort key"}])

            def sort_value(item: dict[str, Any]) -> Any:
                return item["latest_prediction"]["spending_score"] if key == "spending_score" else item[key]

            items.sort(key=sort_value, reverse=sort.startswith("-"))
            return {"items": items[offset : offset + limit], "total": len(items)}

        @app.post("/customers", status_code=201)
        def create_customer(body: dict[str, Any], authorization: str | None = Header(None)) -> dict[str, Any]:
            owner = fake._owner(authorization)
            values = fake._check_customer(body)
            customer_id = str(uuid.uuid4())
            fake.customers[customer_id] = {
                "id": customer_id,
                "owner_id": owner["id"],
                **values,
                "created_at": _now(),
                "updated_at": _now(),
            }
            fake.store_prediction(customer_id)
            return fake._customer_out(customer_id)

        def owned(customer_id: str, owner: dict[str, Any]) -> dict[str, Any]:
            customer = fake.customers.get(customer_id)
            if customer is None or customer["owner_id"] != owner["id"]:
                raise HTTPException(404, "Customer not found")
            return customer

        @app.get("/customers/export")
        def export(authorization: str | None = Header(None)) -> Response:
            owner = fake._owner(authorization)
            lines = ["name,gender,age,annual_income,spending_score,band"]
            for customer_id, customer in fake.customers.items():
                if customer["owner_id"] == owner["id"]:
                    latest = fake.history[customer_id][-1]
                    lines.append(
                        f"{customer['name']},{customer['gender']},{customer['age']},"
                        f"{customer['annual_income']},{latest['spending_score']},{latest['band']}"
                    )
            return Response("\n".join(lines) + "\n", media_type="text/csv")

        @app.post("/customers/import", status_code=201)
        async def import_customers(
            file: UploadFile = File(...), authorization: str | None = Header(None)
        ) -> dict[str, Any]:
            owner = fake._owner(authorization)
            import csv
            import io

            rows = list(csv.DictReader(io.StringIO((await file.read()).decode())))
            problems, valid = [], []
            for number, row in enumerate(rows, start=2):
                try:
                    valid.append(fake._check_customer(row))
                except HTTPException as error:
                    problems.append(
                        {
                            "line": number,
                            "field": error.detail[0]["loc"][-1],
                            "reason": error.detail[0]["msg"],
                        }
                    )
            if problems:  # the customers service's shape: {"detail": [{line, field, reason}, ...]}
                raise HTTPException(422, problems)
            for values in valid:
                customer_id = str(uuid.uuid4())
                fake.customers[customer_id] = {
                    "id": customer_id,
                    "owner_id": owner["id"],
                    **values,
                    "created_at": _now(),
                    "updated_at": _now(),
                }
                fake.store_prediction(customer_id)
            return {"imported": len(valid)}

        @app.get("/customers/{customer_id}")
        def get_customer(customer_id: str, authorization: str | None = Header(None)) -> dict[str, Any]:
            owned(customer_id, fake._owner(authorization))
            return fake._customer_out(customer_id)

        @app.patch("/customers/{customer_id}")
        def update_customer(
            customer_id: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> dict[str, Any]:
            customer = owned(customer_id, fake._owner(authorization))
            values = fake._check_customer({**customer, **body})
            changed_inputs = any(values[key] != customer[key] for key in ("gender", "age", "annual_income"))
            customer.update(values, updated_at=_now())
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
        def history(customer_id: str, authorization: str | None = Header(None)) -> list[dict[str, Any]]:
            owned(customer_id, fake._owner(authorization))
            return fake.history[customer_id]

        @app.post("/customers/{customer_id}/predictions", status_code=201)
        def predict_again(customer_id: str, authorization: str | None = Header(None)) -> dict[str, Any]:
            owned(customer_id, fake._owner(authorization))
            if fake.inference_unavailable:
                raise HTTPException(
                    503,
                    "The prediction service is unavailable; try again shortly",
                    headers={"Retry-After": "5"},
                )
            fake.store_prediction(customer_id)
            return fake.history[customer_id][-1]

        @app.get("/dashboard")
        def dashboard(authorization: str | None = Header(None)) -> dict[str, Any]:
            owner = fake._owner(authorization)
            mine = [
                fake._customer_out(cid) for cid, c in fake.customers.items() if c["owner_id"] == owner["id"]
            ]
            scores = [item["latest_prediction"]["spending_score"] for item in mine]
            return {
                "total_customers": len(mine),
                "by_gender": {g: sum(item["gender"] == g for item in mine) for g in ("male", "female")},
                "by_band": {
                    b: sum(item["latest_prediction"]["band"] == b for item in mine)
                    for b in ("low", "medium", "high")
                },
                "average_score": sum(scores) / len(scores) if scores else None,
                "score_histogram": [
                    {"from": low, "to": low + 10, "count": sum(low <= s < low + 10 for s in scores)}
                    for low in range(0, 100, 10)
                ],
                "by_age_group": [
                    {
                        "group": "18-29",
                        "count": len(mine),
                        "average_score": sum(scores) / len(scores) if scores else None,
                    }
                ],
            }

        @app.get("/model")
        def model_card(authorization: str | None = Header(None)) -> dict[str, Any]:
            fake._user(authorization)
            return {
                "name": "fake-gbr",
                "version": "fake-1",
                "created_at": _now(),
                "features": ["gender", "age", "annual_income"],
                "training_ranges": {"age": {"min": 18, "max": 70}, "annual_income": {"min": 15, "max": 137}},
                "metrics": {"cv": {m: {"mean": 0.35, "std": 0.05} for m in ("r2", "rmse", "mae")}},
                "interval": {"level": 0.8, "cv_coverage": 0.79},
                "baseline": {
                    "holdout": {"mse": 500.0, "r2": 0.02},
                    "cv": {m: {"mean": 0.06, "std": 0.04} for m in ("r2", "rmse", "mae")},
                },
            }

        @app.exception_handler(HTTPException)
        async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )

        return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
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
