"""The inference service's settings, read once from the environment."""

from pathlib import Path

from pydantic import AliasChoices, Field

from spendscore_common.settings import ServiceSettings

MODEL_FILE_NAME = "spendscore-model.joblib"


class InferenceSettings(ServiceSettings):
    port: int = Field(8003, validation_alias=AliasChoices("INFERENCE_PORT"))
    data_dir: Path = Field(Path(".data"), validation_alias=AliasChoices("DATA_DIR"))
    model_path_override: Path | None = Field(None, validation_alias=AliasChoices("INFERENCE_MODEL_PATH"))
    auth_jwks_url: str = Field(
        "http://127.0.0.1:8001/.well-known/jwks.json", validation_alias=AliasChoices("AUTH_JWKS_URL")
    )
    max_body_bytes: int = Field(
        2_000_000,
        gt=0,
        validation_alias=AliasChoices("INFERENCE_MAX_BODY_BYTES"),
        description="Larger request bodies are refused with 413 (a full 10,000-row batch is ~0.8 MB).",
    )

    @property
    def model_path(self) -> Path:
        return self.model_path_override or self.data_dir / "model" / MODEL_FILE_NAME

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.model_path.is_file():
            problems.append(f"no model artifact at {self.model_path} (INFERENCE_MODEL_PATH); train it first")
        return problems


def default_model_path() -> Path:
    """Where training writes the artifact when no --output is given (the service's own default)."""
    settings = InferenceSettings.model_validate({"APP_ENV": "development"})
    return settings.model_path
