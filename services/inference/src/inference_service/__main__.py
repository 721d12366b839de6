"""``python -m inference_service``: check the configuration and the model artifact, then serve."""

from inference_service.config import InferenceSettings
from inference_service.main import create_app
from inference_service.model_store import ModelLoadError, load_model
from spendscore_common.server import StartupError, run_service


def _preflight(settings: InferenceSettings) -> None:
    try:
        load_model(settings.model_path)
    except ModelLoadError as exc:
        raise StartupError(str(exc)) from exc


def main() -> None:
    run_service("inference", InferenceSettings, create_app, _preflight)


if __name__ == "__main__":
    main()
