"""The store correction: shrinkage towards none with little data, choice by the error on later-dated
scores, the income scale, the interval scaled from the store's errors, and the stateless fit over HTTP."""

from typing import Any

import httpx
import numpy as np

from inference_service.store_models import (
    INCOME_SCALES,
    MIN_PAIRS,
    MIN_PAIRS_FOR_INCOME_SCALE,
    IncomeScaled,
    Pairs,
    fit_correction,
    fit_store_model,
)


def store(count: int, *, shift: float, seed: int, noise: float = 20.0) -> Pairs:
    """A store whose real scores are the global prediction + shift + noise, with a ± 25 interval."""
    rng = np.random.default_rng(seed)
    predicted = rng.uniform(20, 80, count)
    observed = np.clip(np.rint(predicted + shift + rng.normal(0, noise, count)), 1, 100)
    return Pairs(predicted, observed, np.clip(predicted - 25, 1, 100), np.clip(predicted + 25, 1, 100))


def exact_shift(count: int, shift: float) -> Pairs:
    """Errors of exactly ``shift`` on average, ± 20 around it, at one predicted score (no slope)."""
    predicted = np.full(count, 50.0)
    observed = predicted + shift + np.where(np.arange(count) % 2 == 0, 20.0, -20.0)
    return Pairs(predicted, observed, predicted - 25, predicted + 25)


def mall_like(income: np.ndarray) -> np.ndarray:
    """A spending pattern that is not a straight line in income, as the mall's is not."""
    return np.asarray(50 + 35 * np.sin(income / 12))


def richer_store(count: int, *, seed: int, income_factor: float, noise: float = 8.0) -> Pairs:
    """Customers whose recorded incomes are ``income_factor`` times what their spending goes with;
    the global model's answers at every income scale come from ``mall_like``."""
    rng = np.random.default_rng(seed)
    income = rng.uniform(15, 140, count)
    observed = np.clip(mall_like(income / income_factor) + rng.normal(0, noise, count), 1, 100)
    every = np.clip(mall_like(income[:, None] * np.array(INCOME_SCALES)[None, :]), 1, 100)
    scaled = IncomeScaled(every, np.clip(every - 20, 1, 100), np.clip(every + 20, 1, 100))
    predicted = scaled.score[:, INCOME_SCALES.index(1.0)]
    return Pairs(
        predicted,
        observed,
        scaled.low[:, INCOME_SCALES.index(1.0)],
        scaled.high[:, INCOME_SCALES.index(1.0)],
        scaled,
    )


def test_income_scale_found_with_evidence_and_none_without() -> None:
    """Incomes recorded 1.5 times the mall's: with 100 scores the fit reads them at about 1/1.5 and the
    error falls; with fewer than MIN_PAIRS_FOR_INCOME_SCALE, or in an unshifted store, it reads them as
    they are."""
    richer = fit_store_model(richer_store(100, seed=1, income_factor=1.5), model_version="m")
    assert 0.6 < richer.correction.income_scale < 0.75
    assert richer.chosen and richer.held_out is not None
    assert richer.held_out.store_mae < 0.7 * richer.held_out.global_mae
    few = fit_correction(richer_store(MIN_PAIRS_FOR_INCOME_SCALE - 1, seed=1, income_factor=1.5))
    assert few.income_scale == 1.0
    unshifted = [fit_correction(richer_store(100, seed=seed, income_factor=1.0)) for seed in range(20)]
    assert sum(fit.income_scale == 1.0 for fit in unshifted) >= 16


def test_choice_is_judged_on_later_scores() -> None:
    """The same pairs in two orders of time: a store that was +25 and no longer is keeps the global
    model (what the earlier scores teach hurts the later ones); a store that became +25 is corrected."""
    rng = np.random.default_rng(7)
    predicted = rng.uniform(30, 70, 120)
    shift = np.where(np.arange(120) < 60, 25.0, 0.0)
    observed = np.clip(predicted + shift + rng.normal(0, 5, 120), 1, 100)
    low, high = predicted - 20, predicted + 20
    drifted_away = fit_store_model(Pairs(predicted, observed, low, high), model_version="m")
    became = fit_store_model(Pairs(predicted[::-1], observed[::-1], low[::-1], high[::-1]), model_version="m")
    assert not drifted_away.chosen and drifted_away.reason == "not_better_on_held_out"
    assert became.chosen
    # Only the scores after the first of six blocks are judged, each by a fit on the ones before it.
    assert drifted_away.held_out is not None and drifted_away.held_out.count == 100


def test_little_data_is_shrunk_towards_no_correction() -> None:
    """The same mean error of +5: with 6 scores it is within the noise and the offset is 0; the more
    scores, the more of it is kept."""
    offsets = [fit_correction(exact_shift(count, 5.0)).offset for count in (6, 20, 100, 400)]
    assert offsets[0] == 0.0
    assert offsets == sorted(offsets) and 0 < offsets[1] < 4.0 and 4.7 < offsets[-1] < 5.0


def test_no_shift_gives_almost_no_correction() -> None:
    offsets = [fit_correction(store(200, shift=0, seed=seed)).offset for seed in range(20)]
    assert float(np.median(np.abs(offsets))) < 1.0


def test_chosen_only_when_it_beats_the_global_model_on_held_out_scores() -> None:
    shifted = fit_store_model(store(200, shift=20, seed=1), model_version="m")
    assert shifted.chosen and shifted.reason == "better_on_held_out" and shifted.held_out is not None
    assert shifted.held_out.store_mae < shifted.held_out.global_mae
    assert shifted.version is not None and shifted.version.startswith("store-")
    unshifted = [fit_store_model(store(60, shift=0, seed=seed), model_version="m") for seed in range(20)]
    for fit in unshifted:
        assert fit.held_out is not None
        assert fit.chosen == (fit.held_out.store_mae < fit.held_out.global_mae)
        assert fit.chosen == (fit.version is not None)
    assert sum(fit.chosen for fit in unshifted) < len(unshifted)


def test_too_few_scores_keep_the_global_model() -> None:
    fit = fit_store_model(store(MIN_PAIRS - 1, shift=30, seed=0), model_version="m")
    assert (fit.chosen, fit.reason, fit.version, fit.held_out) == (False, "too_few_scores", None, None)


def test_interval_is_rescaled_from_the_store_errors() -> None:
    """Errors twice as spread as the global interval assumes: the interval widens."""
    noisy = fit_correction(store(400, shift=0, seed=3, noise=40))
    calm = fit_correction(store(400, shift=0, seed=3, noise=8))
    assert noisy.interval_scale > 1.3 and calm.interval_scale < 0.8


def test_served_interval_covers_the_store_next_customers() -> None:
    """The served interval is scaled from the errors on scores each forward-chained fit had not seen, so
    it covers about 80% of customers the fit never saw; over 30 stores of 100 scores, on average."""
    coverage = []
    for seed in range(30):
        fit = fit_store_model(store(100, shift=20, seed=seed), model_version="m")
        assert fit.chosen
        later = store(2000, shift=20, seed=1000 + seed)
        low, high = fit.correction.interval(later)
        coverage.append(np.mean((later.observed >= low) & (later.observed <= high)))
    assert 0.77 < float(np.mean(coverage)) < 0.87


def test_same_pairs_same_version() -> None:
    pairs = store(100, shift=15, seed=4)
    assert (
        fit_store_model(pairs, model_version="m").version == fit_store_model(pairs, model_version="m").version
    )
    assert (
        fit_store_model(pairs, model_version="m").version != fit_store_model(pairs, model_version="n").version
    )


def _body(pairs: Pairs) -> dict[str, Any]:
    return {
        "pairs": [
            {
                "predicted": float(p),
                "observed": float(o),
                "interval_low": float(lo),
                "interval_high": float(hi),
            }
            for p, o, lo, hi in zip(pairs.predicted, pairs.observed, pairs.low, pairs.high, strict=True)
        ]
    }


async def test_stateless_fit_over_http(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    body = _body(store(120, shift=15, seed=5))
    first = await client.post("/model/store-correction", json=body, headers=auth_headers)
    assert first.status_code == 200, first.text
    fitted = first.json()
    assert fitted["chosen"] and fitted["correction"]["offset"] > 5 and fitted["held_out"]["count"] == 100
    assert fitted["correction"]["income_scale"] == 1.0  # no customers sent: no income scale
    assert fitted["model_version"] and fitted["min_pairs"] == MIN_PAIRS
    # Stateless: another store's call in between changes nothing about the first store's answer.
    await client.post(
        "/model/store-correction", json=_body(store(50, shift=-10, seed=6)), headers=auth_headers
    )
    again = await client.post("/model/store-correction", json=body, headers=auth_headers)
    assert again.json() == fitted


async def test_income_scale_over_http_from_the_customers_inputs(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    """A store whose customers the served model reads as richer than they spend: the same customers
    with incomes x 1.5 and the model's own answers at the real incomes as their observed scores."""
    rng = np.random.default_rng(11)
    customers = [
        {
            "gender": str(rng.choice(["male", "female"])),
            "age": float(rng.integers(18, 70)),
            "annual_income": float(rng.integers(15, 137)),
        }
        for _ in range(120)
    ]
    real = await client.post("/model/predict/batch", json={"items": customers}, headers=auth_headers)
    recorded = [{**customer, "annual_income": customer["annual_income"] * 1.5} for customer in customers]
    shown = await client.post("/model/predict/batch", json={"items": recorded}, headers=auth_headers)
    pairs = [
        {
            "predicted": answer["spending_score"],
            "observed": min(100.0, max(1.0, round(truth["spending_score"]))),
            "interval_low": answer["interval"]["low"],
            "interval_high": answer["interval"]["high"],
            "customer": customer,
        }
        for answer, truth, customer in zip(
            shown.json()["predictions"], real.json()["predictions"], recorded, strict=True
        )
    ]
    response = await client.post("/model/store-correction", json={"pairs": pairs}, headers=auth_headers)
    assert response.status_code == 200, response.text
    fitted = response.json()
    assert fitted["chosen"] and 0.6 < fitted["correction"]["income_scale"] < 0.75
    assert fitted["held_out"]["store_mae"] < 0.5 * fitted["held_out"]["global_mae"]
    partial = {"pairs": [pairs[0], {key: value for key, value in pairs[1].items() if key != "customer"}]}
    refused = await client.post("/model/store-correction", json=partial, headers=auth_headers)
    assert refused.status_code == 422 and "customer" in refused.text


async def test_bad_pairs_are_422_naming_the_field(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    bad = {"pairs": [{"predicted": 50, "observed": 101, "interval_low": 30, "interval_high": 70}]}
    response = await client.post("/model/store-correction", json=bad, headers=auth_headers)
    assert response.status_code == 422
    assert "observed" in response.text
    unauthenticated = await client.post("/model/store-correction", json={"pairs": []})
    assert unauthenticated.status_code == 401
