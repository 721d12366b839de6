"""Each peer's own virtual environment under ``.data/bench-peers/<name>``, made once by the bench with uv
from PyPI (the peers' pins conflict with each other and with the project's), then reused."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from testkit.processes import REPO_ROOT

PEERS_DIR = REPO_ROOT / ".data" / "bench-peers"
REQUIREMENTS = {
    "bentoml": ("bentoml>=1.4,<1.5", "scikit-learn", "joblib"),
    "mlserver": ("mlserver>=1.7,<1.8", "mlserver-sklearn>=1.7,<1.8"),
}
MARKER = "spendscore-requirements.txt"


def _uv() -> str:
    found = shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        raise RuntimeError("uv is needed to make the peers' environments: run `make sync` first")
    return found


def ensure_environment(name: str) -> Path:
    """The Python of peer ``name``'s environment, made (a few minutes the first time) unless it holds
    exactly the requirements of ``REQUIREMENTS[name]`` already."""
    requirements = "\n".join(REQUIREMENTS[name]) + "\n"
    directory = PEERS_DIR / name
    python = directory / "bin" / "python"
    marker = directory / MARKER
    if python.exists() and marker.exists() and marker.read_text() == requirements:
        return python
    shutil.rmtree(directory, ignore_errors=True)
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VIRTUAL_ENV": str(directory)}
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([_uv(), "venv", "--quiet", "--python", version, str(directory)], check=True, env=env)
    subprocess.run(
        [_uv(), "pip", "install", "--quiet", "--python", str(python), *REQUIREMENTS[name]],
        check=True,
        env=env,
        cwd=PEERS_DIR,
    )
    marker.write_text(requirements)
    return python
