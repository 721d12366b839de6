"""Segments, the customer-dependent interval and two-peaked answers: fields, known points, determinism."""

import httpx
import numpy as np
import pytest

from inference_service.dataset import load_training_data
from inference_service.fast_model import SoftmaxFastModel
from inference_service.intervals import ConditionalInterval, WholeNumberTable, two_group_split
from inference_service.model_store import LoadedModel, load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.segment_training import check_classifier
from inference_service.segments import describe_position
from inference_service.training import TrainingResult, exactness_probe, save_artifact

SEGMENT_IDS = {
    "low-income-high-spending",
    "low-income-low-spending",
    "average-income-average-spending",
    "high-income-high-spending",
    "high-income-low-spending",
}


@pytest.fixture(scope="module")
def retrained_model(retrained: TrainingResult, tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    path = tmp_path_factory.mktemp("again") / "again.joblib"
    save_artifact(retrained.artifact, path)
    return load_model(path)


def test_the_well_known_five_segments(loaded_model: LoadedModel) -> None:
    segmentation = loaded_model.metadata["segmentation"]
    assert (
        segmentation["k"] == 5 and max(segmentation["silhouette"].values()) == segmentation["silhouette"]["5"]
    )
    assert {segment["id"] for segment in segmentation["segments"]} == SEGMENT_IDS
    assert sum(segment["size"] for segment in segmentation["segments"]) == 200
    assert sum(segment["share"] for segment in segmentation["segments"]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("income", "score", "expected"),
    [
        (20, 90, "low-income-high-spending"),
        (25, 5, "low-income-low-spending"),
        (55, 50, "average-income-average-spending"),
        (95, 88, "high-income-high-spending"),
        (100, 12, "high-income-low-spending"),
    ],
)
def test_known_points_land_in_the_expected_segment(
    loaded_model: LoadedModel, income: float, score: float, expected: str
) -> None:
    segmentation = loaded_model.segmentation
    index = segmentation.nearest(np.array([float(income)]), np.array([float(score)]))[0]
    assert segmentation.segments[index]["id"] == expected


def test_the_segmentation_scale_assigns_as_the_service_does(loaded_model: LoadedModel) -> None:
    """What customers does with GET /model's centroids and scale gives the training labels."""
    card = loaded_model.card()
    scale, segments = card["segmentation_scale"], card["segments"]
    data = load_training_data()

    def nearest(income: float, score: float) -> str:
        point = np.array(
            [
                (income - scale["annual_income"]["mean"]) / scale["annual_income"]["std"],
                (score - scale["spending_score"]["mean"]) / scale["spending_score"]["std"],
            ]
        )
        centroids = [
            np.array(
                [
                    (s["centroid"]["annual_income"] - scale["annual_income"]["mean"])
                    / scale["annual_income"]["std"],
                    (s["centroid"]["spending_score"] - scale["spending_score"]["mean"])
                    / scale["spending_score"]["std"],
                ]
            )
            for s in segments
        ]
        return str(segments[int(np.argmin([np.sum((point - c) ** 2) for c in centroids]))]["id"])

    labels = [point["segment"] for point in loaded_model.metadata["segmentation"]["training_points"]]
    by_card = [nearest(income, score) for income, score in zip(data.features[:, 2], data.target, strict=True)]
    assert by_card == [segments[label]["id"] for label in labels]


def test_names_come_from_the_position() -> None:
    best = describe_position(1.2, 1.1)
    assert best["id"] == "high-income-high-spending"
    assert best["name"] == {"en": "High income, high spending", "pt-BR": "Renda alta, gasto alto"}
    assert best["description"]["en"].startswith("High income, high spending — your best customers")
    assert best["description"]["pt-BR"].startswith("Renda alta, gasto alto — seus melhores clientes")
    assert describe_position(0.1, -0.3)["id"] == "average-income-average-spending"
    assert describe_position(-0.6, 0.7)["name"]["pt-BR"] == "Renda baixa, gasto alto"


def test_training_twice_gives_the_same_segments_intervals_and_modes(
    loaded_model: LoadedModel, retrained_model: LoadedModel
) -> None:
    retrained = retrained_model
    assert retrained.metadata["segmentation"]["segments"] == loaded_model.metadata["segmentation"]["segments"]
    inputs = exactness_probe(load_training_data())
    assert retrained.two_peaks is not None and loaded_model.two_peaks is not None
    assert np.array_equal(retrained.interval.offsets(inputs), loaded_model.interval.offsets(inputs))
    assert np.array_equal(
        retrained.two_peaks.modes(inputs),
        loaded_model.two_peaks.modes(inputs),
        equal_nan=True,
    )
    assert np.array_equal(
        retrained.segmentation.classifier.predict(inputs),
        loaded_model.segmentation.classifier.predict(inputs),
    )
    assert retrained.card() | {"created_at": None} == loaded_model.card() | {"created_at": None}


def test_card_reports_coverage_by_group_and_width(loaded_model: LoadedModel) -> None:
    interval = loaded_model.card()["interval"]
    assert set(interval["cv_coverage_by_group"]) == {"income", "age"}
    for group in ("income", "age"):
        coverages = interval["cv_coverage_by_group"][group]
        assert len(coverages) == 3 and all("-" in label for label in coverages)
        assert all(0.75 <= coverage <= 0.85 for coverage in coverages.values()), coverages
    assert list(interval["cv_coverage_by_group"]["age"]) == ["18-29", "30-50", "51-70"]
    assert 0.78 <= interval["cv_coverage"] <= 0.82
    assert interval["mean_width"] <= interval["fixed_width"]
    classifier = loaded_model.card()["segment_classifier"]
    assert classifier["cv"]["accuracy"]["mean"] > classifier["baseline_cv"]["accuracy"]["mean"]
    assert classifier["cv"]["log_loss"]["mean"] < classifier["baseline_cv"]["log_loss"]["mean"]


def test_customers_of_different_incomes_get_different_widths(loaded_model: LoadedModel) -> None:
    assert loaded_model.metadata["interval"]["method"] != "global"  # the CV chose a conditional one
    predictor = SpendingScorePredictor(loaded_model)
    rows = np.array([[0.0, 35.0, income] for income in (20.0, 60.0, 120.0)])
    widths = {round(p["interval"]["high"] - p["interval"]["low"], 2) for p in predictor.predict(rows)}
    assert len(widths) == 3


def test_interval_groups_and_spread_are_applied_per_row() -> None:
    """Hand-made interval: income groups cut at 40 and 70, a spread of 2 above age 50."""
    spread = np.ones((121, 201))
    spread[51:, :] = 2.0
    interval = ConditionalInterval(
        np.array([40.0, 70.0]),
        np.array([-1.0, -2.0, -3.0]),
        np.array([1.0, 2.0, 3.0]),
        WholeNumberTable(spread),
    )
    rows = np.array([[0, 30, 40], [0, 30, 40.5], [0, 60, 71], [1, 60.4, 1000]], dtype=np.float64)
    low, high = interval.offsets(rows)
    assert low.tolist() == [-1.0, -2.0, -6.0, -6.0] and high.tolist() == [1.0, 2.0, 6.0, 6.0]


def test_two_group_split_by_hand() -> None:
    low, high, separation = two_group_split(np.array([[10.0, 84.0, 12.0, 82.0, 14.0, 80.0]]), 0.25)
    assert (low[0], high[0]) == (12.0, 82.0)
    assert separation[0] == pytest.approx(70 / np.sqrt(16 / 6))


async def test_predictions_carry_segment_and_modes(
    client: httpx.AsyncClient, auth_headers: dict[str, str], loaded_model: LoadedModel
) -> None:
    items = [
        {"gender": "female", "age": 30, "annual_income": 90},  # young high earner: a spender
        {"gender": "male", "age": 50, "annual_income": 90},  # older high earner: a saver
        {"gender": "female", "age": 40, "annual_income": 55},
        {"gender": "female", "age": 30, "annual_income": 120},  # savers and spenders both near
    ]
    response = await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    ids = [prediction["segment"]["id"] for prediction in predictions]
    assert ids[:3] == [
        "high-income-high-spending",
        "high-income-low-spending",
        "average-income-average-spending",
    ]
    for prediction in predictions:
        segment = prediction["segment"]
        assert set(segment) == {"id", "name", "description", "probability"}
        assert set(segment["name"]) == set(segment["description"]) == {"en", "pt-BR"}
        assert 0.2 < segment["probability"] <= 1
    modes = [prediction["modes"] for prediction in predictions]
    assert modes[2] is None
    assert modes[3] is not None and modes[3][0] < 40 < 60 < modes[3][1]
    single = await client.post("/model/predict", json=items[3], headers=auth_headers)
    assert single.json() == predictions[3]


async def test_model_card_lists_segments_with_scale(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    card = (await client.get("/model", headers=auth_headers)).json()
    assert {segment["id"] for segment in card["segments"]} == SEGMENT_IDS
    for segment in card["segments"]:
        assert set(segment) == {"id", "name", "description", "centroid", "size", "share"}
        assert set(segment["centroid"]) == {"annual_income", "spending_score"}
        assert set(segment["name"]) == {"en", "pt-BR"}
    assert set(card["segmentation_scale"]) == {"annual_income", "spending_score"}
    assert all(set(scale) == {"mean", "std"} for scale in card["segmentation_scale"].values())
    assert set(card["interval"]["cv_coverage_by_group"]) == {"income", "age"}
    assert card["modes"]["enabled"] is True and 0 < card["modes"]["cv_share_flagged"] < 0.5
    assert card["metrics"]["honest_selection"]["r2"]["mean"] > 0.2


def test_training_refuses_a_classifier_that_differs(loaded_model: LoadedModel) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from inference_service.model_conversion import convert

    data = load_training_data()
    labels = np.array(
        [point["segment"] for point in loaded_model.metadata["segmentation"]["training_points"]]
    )
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("logistic", LogisticRegression(C=10.0, max_iter=2000))]
    )
    pipeline.fit(data.features, labels)
    probe = exactness_probe(data)
    served = convert(pipeline, 3)
    check_classifier(served, pipeline, probe)  # the conversion itself is exact
    assert isinstance(served, SoftmaxFastModel)
    wrong = SoftmaxFastModel(served.coefficients * 1.001, served.intercepts)
    with pytest.raises(RuntimeError, match="differs from scikit-learn"):
        check_classifier(wrong, pipeline, probe)


def test_segment_chart_and_card_sections(loaded_model: LoadedModel) -> None:
    from inference_service.model_card import render_model_card
    from inference_service.segment_chart import render_segment_chart

    chart = render_segment_chart(loaded_model.metadata["segmentation"])
    assert chart.startswith("<svg") and chart.count("<circle") == 200 + 5
    card = render_model_card(loaded_model.metadata, "model-card-segments.svg")
    assert "![Training customers by segment](model-card-segments.svg)" in card
    for words in ("In plain words", "Two-peaked answers", "Honest selection", "majority-class baseline"):
        assert words in card
