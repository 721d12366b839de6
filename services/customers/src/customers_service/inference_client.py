"""Calls to the inference service: one pooled client, a timeout, retries with backoff, and a circuit
breaker that stops calling for a cool-down after a few failed calls (so a hung inference costs each
write nothing instead of the whole timeout)."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from spendscore_common.circuit_breaker import CircuitBreaker, CircuitOpenError
from spendscore_common.http_client import make_http_client

logger = logging.getLogger(__name__)


class InferenceUnavailable(Exception):
    """Inference did not answer usefully (down, timing out, 5xx) even after retries."""


class InferencePaused(InferenceUnavailable):
    """Not called at all: the circuit breaker is open after recent failures."""


class InferenceRejected(Exception):
    """Inference refused the call (4xx: e.g. the forwarded token expired); retrying will not help."""

    def __init__(self, status_code: int, detail: object):
        super().__init__(f"inference answered {status_code}: {detail}")
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class ModelInput:
    gender: str
    age: int
    annual_income: float

    def as_json(self) -> dict[str, Any]:
        return {"gender": self.gender, "age": self.age, "annual_income": self.annual_income}


@dataclass(frozen=True, slots=True)
class ModelOutput:
    spending_score: float
    band: str
    interval_low: float
    interval_high: float
    model_version: str
    segment_id: str | None = None
    segment_probability: float | None = None
    modes: tuple[float, float] | None = None
    warnings: tuple[str, ...] = ()
    # The explanation inference gives with ``?explain=true``: base, then gender, age, income.
    explanation_base: float | None = None
    contributions: tuple[float, float, float] | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "ModelOutput":
        segment = body.get("segment") or {}
        modes = body.get("modes")
        explanation = body.get("explanation") or {}
        contributions = explanation.get("contributions") or {}
        return cls(
            spending_score=float(body["spending_score"]),
            band=str(body["band"]),
            interval_low=float(body["interval"]["low"]),
            interval_high=float(body["interval"]["high"]),
            model_version=str(body["model_version"]),
            segment_id=str(segment["id"]) if segment.get("id") else None,
            segment_probability=float(segment["probability"])
            if segment.get("probability") is not None
            else None,
            modes=(float(modes[0]), float(modes[1])) if modes else None,
            warnings=tuple(str(warning) for warning in body.get("warnings") or ()),
            explanation_base=float(explanation["base"]) if "base" in explanation else None,
            contributions=(
                float(contributions["gender"]),
                float(contributions["age"]),
                float(contributions["annual_income"]),
            )
            if contributions
            else None,
        )

    @classmethod
    def from_columns(cls, body: dict[str, Any]) -> list["ModelOutput"]:
        """One output per row of a ``/model/predict/columns`` answer (with its explanation when asked)."""
        version = str(body["model_version"])
        contributions = body.get("contributions")
        base = body.get("explanation_base")
        explained: list[tuple[float, float, float]] | None = None
        explanation_base: float | None = None
        if contributions and base is not None:
            explanation_base = float(base)
            explained = [
                (float(gender), float(age), float(income))
                for gender, age, income in zip(
                    contributions["gender"], contributions["age"], contributions["annual_income"], strict=True
                )
            ]
        rows = zip(
            body["spending_score"],
            body["band"],
            body["interval_low"],
            body["interval_high"],
            body["segment_id"],
            body["segment_probability"],
            body["modes"],
            body["warnings"],
            strict=True,
        )
        return [
            cls(
                spending_score=float(score),
                band=str(band),
                interval_low=float(low),
                interval_high=float(high),
                model_version=version,
                segment_id=str(segment_id) if segment_id else None,
                segment_probability=None if probability is None else float(probability),
                modes=(float(modes[0]), float(modes[1])) if modes else None,
                warnings=tuple(str(warning) for warning in warnings or ()),
                explanation_base=explanation_base,
                contributions=None if explained is None else explained[row],
            )
            for row, (score, band, low, high, segment_id, probability, modes, warnings) in enumerate(rows)
        ]


_RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.PoolTimeout)


class InferenceClient:
    """``predict`` and ``predict_batch`` with the caller's bearer token forwarded."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 2.0,
        batch_timeout_seconds: float = 15.0,
        retries: int = 2,
        backoff_seconds: float = 0.1,
        breaker: CircuitBreaker | None = None,
        http_client: httpx.AsyncClient | None = None,
    ):
        self._http = http_client or make_http_client(
            base_url=base_url, timeout_seconds=timeout_seconds, connect_retries=0
        )
        self._batch_timeout = httpx.Timeout(batch_timeout_seconds)
        self._retries = retries
        self._backoff_seconds = backoff_seconds
        self.breaker = breaker or CircuitBreaker("inference")

    async def aclose(self) -> None:
        await self._http.aclose()

    # Every prediction asks for its explanation: stored with it, the history says what changed and why.
    async def predict(self, model_input: ModelInput, *, token: str) -> ModelOutput:
        body = await self._post("/model/predict?explain=true", model_input.as_json(), token=token)
        return ModelOutput.from_json(body)

    async def predict_or_none(self, model_input: ModelInput, *, token: str) -> ModelOutput | None:
        """The prediction, or None when inference cannot give one now (the caller stores it pending)."""
        try:
            return await self.predict(model_input, token=token)
        except InferencePaused:
            return None  # the breaker logged when it opened; one line per write would flood the log
        except (InferenceUnavailable, InferenceRejected) as exc:
            logger.warning("prediction left pending", extra={"reason": str(exc)})
            return None

    async def predict_batch(self, model_inputs: list[ModelInput], *, token: str) -> list[ModelOutput]:
        """Scores of many customers in one call, in the columnar form (one array per field: about a
        tenth of the JSON of one object per customer, checked per column by inference); an inference
        that does not know that form yet (404) is asked with the JSON batch."""
        if not model_inputs:
            return []
        try:
            body = await self._post(
                "/model/predict/columns?explain=true",
                {
                    "gender": [model_input.gender for model_input in model_inputs],
                    "age": [model_input.age for model_input in model_inputs],
                    "annual_income": [model_input.annual_income for model_input in model_inputs],
                },
                token=token,
                timeout=self._batch_timeout,
            )
        except InferenceRejected as exc:
            if exc.status_code != 404:
                raise
            return await self._predict_json_batch(model_inputs, token=token)
        try:
            outputs = ModelOutput.from_columns(body)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InferenceUnavailable("inference answered columns of another shape") from exc
        if len(outputs) != len(model_inputs):
            raise InferenceUnavailable("inference answered a batch of the wrong size")
        return outputs

    async def _predict_json_batch(self, model_inputs: list[ModelInput], *, token: str) -> list[ModelOutput]:
        body = await self._post(
            "/model/predict/batch?explain=true",
            {"items": [model_input.as_json() for model_input in model_inputs]},
            token=token,
            timeout=self._batch_timeout,
        )
        predictions = body["predictions"]
        if len(predictions) != len(model_inputs):
            raise InferenceUnavailable("inference answered a batch of the wrong size")
        return [ModelOutput.from_json(prediction) for prediction in predictions]

    async def fit_store_correction(self, pairs: list[dict[str, Any]], *, token: str) -> dict[str, Any]:
        """POST /model/store-correction (issue 25): a store's correction from its observed pairs."""
        return await self._post(
            "/model/store-correction", {"pairs": pairs}, token=token, timeout=self._batch_timeout
        )

    async def model_card(self, *, token: str) -> dict[str, Any]:
        """GET /model: the segments, their centroids and the scale to assign a known score to one."""
        try:
            response = await self._http.get("/model", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise InferenceUnavailable(f"GET /model failed ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise InferenceUnavailable(f"GET /model answered {response.status_code}")
        try:
            card: dict[str, Any] = response.json()
        except ValueError as exc:
            raise InferenceUnavailable("GET /model answered something that is not JSON") from exc
        return card

    async def is_reachable(self) -> bool:
        """For /readyz: False at once while the breaker is open, else a quick look at inference's /healthz."""
        if self.breaker.is_open:
            return False
        response = await self._http.get("/healthz", timeout=1.0)
        return response.status_code == 200

    async def _post(
        self, path: str, payload: dict[str, Any], *, token: str, timeout: httpx.Timeout | None = None
    ) -> dict[str, Any]:
        try:
            with self.breaker.guard(failure_types=(InferenceUnavailable,)):
                return await self._post_with_retries(path, payload, token=token, timeout=timeout)
        except CircuitOpenError as exc:
            raise InferencePaused(str(exc)) from exc

    async def _post_with_retries(
        self, path: str, payload: dict[str, Any], *, token: str, timeout: httpx.Timeout | None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        last_problem = "no attempt"
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff_seconds * 2 ** (attempt - 1))
            try:
                if timeout is None:
                    response = await self._http.post(path, json=payload, headers=headers)
                else:
                    response = await self._http.post(path, json=payload, headers=headers, timeout=timeout)
            except _RETRYABLE_ERRORS as exc:
                last_problem = f"{type(exc).__name__}"
                continue
            except httpx.TimeoutException as exc:
                # A read timeout is not retried: the caller has already waited the whole timeout.
                raise InferenceUnavailable(f"inference timed out ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise InferenceUnavailable(f"inference call failed ({type(exc).__name__})") from exc
            if response.status_code >= 500:
                last_problem = f"status {response.status_code}"
                continue
            if response.status_code >= 400:
                raise InferenceRejected(response.status_code, _detail_of(response))
            try:
                body: dict[str, Any] = response.json()
            except ValueError as exc:
                raise InferenceUnavailable("inference answered something that is not JSON") from exc
            return body
        logger.warning("inference unavailable", extra={"path": path, "problem": last_problem})
        raise InferenceUnavailable(f"inference unavailable ({last_problem})")


def _detail_of(response: httpx.Response) -> object:
    try:
        return response.json().get("detail")
    except (ValueError, AttributeError):
        return response.text[:200]
