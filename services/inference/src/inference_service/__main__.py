"""``python -m inference_service``: check the configuration and the model artifact, then serve."""

from inference_service.config import InferenceSettings
from inference_service.model_store import ModelLoadError, load_model
from spendscore_common.server import StartupError, run_service
from spendscore_common.settings import ServiceSettings


def _settings() -> InferenceSettings:
    return InferenceSettings()


def _port(settings: ServiceSettings) -> int:
    assert isinstance(settings, InferenceSettings)
    return settings.port


def _preflight(settings: ServiceSettings) -> None:
    assert isinstance(settings, InferenceSettings)
    try:
        load_model(settings.model_path)
    except ModelLoadError as exc:
        raise StartupError(str(exc)) from exc


def main() -> None:
    run_service("inference", _settings, "inference_service.main:create_app", _port, _preflight)


if __name__ == "__main__":
    main()
