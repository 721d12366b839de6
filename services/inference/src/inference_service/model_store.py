"""Loading the trained artifact once per process and checking that it is one we can serve."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from inference_service.fast_model import FastModel, from_spec
from inference_service.intervals import ConditionalInterval, TwoPeaks, interval_from_spec, two_peaks_from_spec
from inference_service.segments import Segmentation, segmentation_from_spec

# Format 3 holds numpy arrays and plain values only: loading it imports neither scikit-learn nor scipy.
SUPPORTED_FORMAT = 3


class ModelLoadError(Exception):
    """The artifact is missing or unusable; the message says which and where."""


@dataclass(frozen=True)
class LoadedModel:
    metadata: dict[str, Any]
    fast_model: FastModel
    interval: ConditionalInterval
    two_peaks: TwoPeaks | None
    segmentation: Segmentation

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    def card(self) -> dict[str, Any]:
        """The public model card (GET /model)."""
        meta = self.metadata
        return {
            "name": meta["name"],
            "version": meta["version"],
            "created_at": meta["created_at"],
            "features": [feature["name"] for feature in meta["features"]],
            "training_ranges": meta["training_ranges"],
            "metrics": {
                "cv": meta["metrics"]["cv"],
                "honest_selection": {"r2": meta["metrics"]["honest_selection"]["r2"]},
            },
            "interval": {
                key: meta["interval"][key]
                for key in (
                    "level",
                    "method",
                    "cv_coverage",
                    "cv_coverage_by_group",
                    "mean_width",
                    "fixed_width",
                )
            },
            "modes": {
                key: meta["modes"].get(key)
                for key in ("enabled", "cv_share_flagged", "share_of_training_customers")
            },
            "baseline": meta["baseline"],
            "segments": meta["segmentation"]["segments"],
            "segmentation_scale": meta["segmentation"]["scale"],
            "segment_classifier": {
                key: meta["segmentation"]["classifier"][key] for key in ("candidate", "cv", "baseline_cv")
            },
            "training_distribution": meta.get("training_distribution"),
        }


def load_model(path: Path) -> LoadedModel:
    if not path.is_file():
        raise ModelLoadError(
            f"no model artifact at {path}: run `make train` (python -m inference_service.training)"
        )
    try:
        artifact = joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways; all mean "retrain"
        raise ModelLoadError(f"cannot read the model artifact {path}: {exc}") from exc
    if not isinstance(artifact, dict) or artifact.get("format") != SUPPORTED_FORMAT:
        raise ModelLoadError(f"{path} is not a model artifact of format {SUPPORTED_FORMAT}: retrain it")
    try:
        return LoadedModel(
            metadata=artifact["metadata"],
            fast_model=from_spec(artifact["serving_model"]),
            interval=interval_from_spec(artifact["interval_model"]),
            two_peaks=two_peaks_from_spec(artifact["two_peaks"]),
            segmentation=segmentation_from_spec(artifact["segmentation"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path} holds no usable serving model ({exc}): retrain it") from exc
