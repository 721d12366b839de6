"""The store correction: shrinkage towards none with little data, choice by held-out error, the
interval scaled from the store's errors, and the stateless fit over HTTP."""

from typing import Any

import httpx
import numpy as np

from inference_service.store_models import MIN_PAIRS, Pairs, fit_correction, fit_store_model


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
    assert fitted["chosen"] and fitted["correction"]["offset"] > 5 and fitted["held_out"]["count"] == 120
    assert fitted["model_version"] and fitted["min_pairs"] == MIN_PAIRS
    # Stateless: another store's call in between changes nothing about the first store's answer.
    await client.post(
        "/model/store-correction", json=_body(store(50, shift=-10, seed=6)), headers=auth_headers
    )
    again = await client.post("/model/store-correction", json=body, headers=auth_headers)
    assert again.json() == fitted


async def test_bad_pairs_are_422_naming_the_field(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    bad = {"pairs": [{"predicted": 50, "observed": 101, "interval_low": 30, "interval_high": 70}]}
    response = await client.post("/model/store-correction", json=bad, headers=auth_headers)
    assert response.status_code == 422
    assert "observed" in response.text
    unauthenticated = await client.post("/model/store-correction", json={"pairs": []})
    assert unauthenticated.status_code == 401
