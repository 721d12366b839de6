"""Customer segments: names from where a centroid lies, and the most likely segment of a customer.

Segments are clusters of the training customers in standardised (annual income, spending score). Each
centroid's position on both axes (below -0.5 standard deviations: low; above +0.5: high; between:
average) gives its id, its name and its sentence in English and Brazilian Portuguese, so the same
clusters always get the same words, whatever the order k-means found them in.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from inference_service.fast_model import FastModel, from_spec

LEVEL_FROM = 0.5  # standard deviations from the mean where "average" ends
LANGUAGES = ("en", "pt-BR")
INCOME_WORDS = {
    "en": {"low": "Low", "average": "Average", "high": "High"},
    "pt-BR": {"low": "baixa", "average": "média", "high": "alta"},
}
SPENDING_WORDS = {
    "en": {"low": "low", "average": "average", "high": "high"},
    "pt-BR": {"low": "baixo", "average": "médio", "high": "alto"},
}
# What an owner should do about a segment, by (income level, spending level).
ADVICE = {
    ("high", "high"): (
        "your best customers, keep them close",
        "seus melhores clientes, mantenha-os por perto",
    ),
    ("high", "low"): (
        "they could spend much more than they do here: win them over",
        "poderiam gastar muito mais do que gastam aqui: conquiste-os",
    ),
    ("high", "average"): (
        "well-off and moderately engaged: there is room to grow",
        "boa renda e engajamento moderado: há espaço para crescer",
    ),
    ("low", "high"): (
        "they spend a lot for their income: reward their loyalty without pushing credit",
        "gastam muito para a renda que têm: recompense a fidelidade sem empurrar crédito",
    ),
    ("low", "low"): (
        "careful shoppers on a tight budget: good-value offers work best",
        "compradores cuidadosos com orçamento apertado: ofertas de bom preço funcionam melhor",
    ),
    ("low", "average"): (
        "modest income and steady spending: keep offers simple and affordable",
        "renda modesta e gasto regular: mantenha ofertas simples e acessíveis",
    ),
    ("average", "high"): (
        "they spend more than most: keep them engaged with what is new",
        "gastam mais que a maioria: mantenha-os engajados com as novidades",
    ),
    ("average", "low"): (
        "they spend little for their income: a nudge may bring them in",
        "gastam pouco para a renda que têm: um incentivo pode trazê-los",
    ),
    ("average", "average"): (
        "the typical customer: steady, mainstream offers suit them",
        "o cliente típico: ofertas regulares e populares combinam com eles",
    ),
}


def level_of(standardised: float) -> str:
    if standardised < -LEVEL_FROM:
        return "low"
    if standardised > LEVEL_FROM:
        return "high"
    return "average"


def describe_position(income_z: float, spending_z: float) -> dict[str, Any]:
    """Slug, names and sentences of a centroid at this standardised position."""
    income, spending = level_of(income_z), level_of(spending_z)
    names = {
        "en": f"{INCOME_WORDS['en'][income]} income, {SPENDING_WORDS['en'][spending]} spending",
        "pt-BR": f"Renda {INCOME_WORDS['pt-BR'][income]}, gasto {SPENDING_WORDS['pt-BR'][spending]}",
    }
    advice = dict(zip(LANGUAGES, ADVICE[(income, spending)], strict=True))
    return {
        "id": f"{income}-income-{spending}-spending",
        "name": names,
        "description": {language: f"{names[language]} — {advice[language]}." for language in LANGUAGES},
    }


@dataclass(frozen=True)
class Segmentation:
    """The segments (public facts: id, names, centroid, size) and the classifier of (gender, age,
    income) that says which segment a customer most likely belongs to."""

    segments: list[dict[str, Any]]  # in the classifier's class order
    scale: dict[str, dict[str, float]]  # annual_income / spending_score: mean and std
    classifier: FastModel  # (n, 3) features -> (n, segments) probabilities

    def most_likely(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's most likely segment (index into ``segments``) and its probability."""
        probabilities = self.classifier.predict(features)
        best = np.argmax(probabilities, axis=1)
        return best, probabilities[np.arange(len(best)), best]

    def nearest(self, annual_income: np.ndarray, spending_score: np.ndarray) -> np.ndarray:
        """Index of the nearest centroid in standardised (income, score): a known score's segment."""
        points = np.column_stack(
            [
                (annual_income - self.scale["annual_income"]["mean"]) / self.scale["annual_income"]["std"],
                (spending_score - self.scale["spending_score"]["mean"]) / self.scale["spending_score"]["std"],
            ]
        )
        centroids = np.array([segment["standardised_centroid"] for segment in self.segments])
        distances = np.sum((points[:, np.newaxis, :] - centroids[np.newaxis, :, :]) ** 2, axis=2)
        return np.asarray(np.argmin(distances, axis=1))

    def to_spec(self) -> dict[str, Any]:
        return {"segments": self.segments, "scale": self.scale, "classifier": self.classifier.to_spec()}


def segmentation_from_spec(spec: dict[str, Any]) -> Segmentation:
    return Segmentation(spec["segments"], spec["scale"], from_spec(spec["classifier"]))
