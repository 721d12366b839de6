"""Exact Shapley explanations: they add up, they match a brute force, one row and a batch agree."""

import itertools
import math
import random
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from inference_service.dataset import load_training_data
from inference_service.explanations import FEATURES, ShapleyExplainer, explainer_for
from inference_service.model_store import LoadedModel


def brute_force_shapley(score: Any, background: np.ndarray, row: np.ndarray) -> list[float]:
    """The textbook definition, with no shortcut: every ordering of the inputs, every training row."""

    def value(present: set[int]) -> float:
        grid = background.copy()
        for column in present:
            grid[:, column] = row[column]
        return float(np.mean(score(grid)))

    count = len(row)
    totals = [0.0] * count
    orderings = list(itertools.permutations(range(count)))
    for ordering in orderings:
        present: set[int] = set()
        for column in ordering:
            before = value(present)
            present.add(column)
            totals[column] += value(present) - before
    return [total / math.factorial(count) for total in totals]


def random_rows(count: int, seed: int) -> np.ndarray:
    generator = random.Random(seed)
    return np.array(
        [
            (generator.choice((0.0, 1.0)), generator.uniform(0, 120), generator.uniform(0, 300))
            for _ in range(count)
        ]
    )


@pytest.fixture(scope="module")
def explainer(loaded_model: LoadedModel) -> ShapleyExplainer:
    found = explainer_for(loaded_model)
    assert found is not None
    return found


def served_score(loaded_model: LoadedModel) -> Any:
    return lambda features: np.clip(loaded_model.fast_model.predict(features), 1, 100)


def test_contributions_add_up_to_score_minus_base(
    explainer: ShapleyExplainer, loaded_model: LoadedModel
) -> None:
    rows = random_rows(300, seed=1)
    shapley, values = explainer.explain(rows)
    assert np.max(np.abs(shapley.sum(axis=1) - (values - explainer.base))) < 1e-9
    assert np.array_equal(values, served_score(loaded_model)(rows))
    background = load_training_data().features
    assert explainer.base == pytest.approx(float(np.mean(served_score(loaded_model)(background))), abs=1e-9)


def test_matches_a_brute_force_on_random_inputs(
    explainer: ShapleyExplainer, loaded_model: LoadedModel
) -> None:
    background = load_training_data().features
    rows = random_rows(12, seed=2)
    shapley, _ = explainer.explain(rows)
    for row, contributions in zip(rows, shapley, strict=True):
        expected = brute_force_shapley(served_score(loaded_model), background, row)
        assert contributions.tolist() == pytest.approx(expected, abs=1e-9)


def test_a_linear_model_gets_its_textbook_values() -> None:
    """For f = w.x, the interventional Shapley value of input i is w_i (x_i - mean of column i)."""
    generator = np.random.default_rng(3)
    background = np.column_stack(
        [generator.integers(0, 2, 50), generator.integers(18, 70, 50), generator.integers(15, 137, 50)]
    ).astype(float)
    weights = np.array([3.0, -0.5, 0.25])
    explainer = ShapleyExplainer(lambda features: features @ weights, background)
    rows = random_rows(5, seed=4)
    shapley, _ = explainer.explain(rows)
    expected = weights * (rows - background.mean(axis=0))
    assert np.max(np.abs(shapley - expected)) < 1e-9


def test_an_ignored_input_contributes_exactly_zero() -> None:
    background = random_rows(40, seed=5)
    explainer = ShapleyExplainer(lambda features: features[:, 1] * 2 + features[:, 2], background)
    shapley, _ = explainer.explain(random_rows(10, seed=6))
    assert np.max(np.abs(shapley[:, 0])) < 1e-9


def test_the_same_row_gets_the_same_numbers_alone_and_in_any_batch(explainer: ShapleyExplainer) -> None:
    rows = random_rows(2500, seed=7)  # several chunks
    together, _ = explainer.explain(rows)
    for index in (0, 1234, 2499):
        alone, _ = explainer.explain(rows[index : index + 1])
        assert np.array_equal(alone[0], together[index])


def test_no_explainer_when_the_training_data_is_another(loaded_model: LoadedModel, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("gender,age,annual_income,spending_score\nMale,30,50,40\n")
    assert explainer_for(loaded_model, other) is None
    assert explainer_for(loaded_model, tmp_path / "missing.csv") is None


async def test_predict_answers_an_explanation_only_on_request(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    plain = await client.post("/model/predict", json=make_customer(), headers=auth_headers)
    assert plain.status_code == 200
    assert "explanation" not in plain.json()
    explained = await client.post(
        "/model/predict", params={"explain": "true"}, json=make_customer(), headers=auth_headers
    )
    assert explained.status_code == 200, explained.text
    body = explained.json()
    assert {key: value for key, value in body.items() if key != "explanation"} == plain.json()
    explanation = body["explanation"]
    assert set(explanation["contributions"]) == set(FEATURES)
    total = sum(explanation["contributions"].values())
    assert abs(total - (explanation["value"] - explanation["base"])) < 1e-9
    assert abs(explanation["value"] - body["spending_score"]) <= 0.005 + 1e-9


async def test_one_row_and_batch_give_the_same_explanation(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    items = [make_customer(age=age, annual_income=income) for age, income in [(22, 15), (52, 70), (35, 120)]]
    batch = await client.post(
        "/model/predict/batch", params={"explain": "true"}, json={"items": items}, headers=auth_headers
    )
    assert batch.status_code == 200, batch.text
    for item, from_batch in zip(items, batch.json()["predictions"], strict=True):
        alone = await client.post("/model/predict?explain=true", json=item, headers=auth_headers)
        assert alone.json() == from_batch
    plain = await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)
    assert all("explanation" not in prediction for prediction in plain.json()["predictions"])


async def test_a_bad_explain_flag_is_refused_by_name(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    response = await client.post(
        "/model/predict", params={"explain": "perhaps"}, json=make_customer(), headers=auth_headers
    )
    assert response.status_code == 422
    assert "explain" in response.text
