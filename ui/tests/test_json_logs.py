"""The UI process logs JSON lines as the services do, Streamlit's own included, and reads its secret from
a file (issue 28)."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from spendscore_ui.config import UISettings

# In its own process: the logging set-up is the process's (root handlers, Streamlit's loggers).
UI_PROCESS = """
import logging, sys
import streamlit.logger
from spendscore_ui.api_client import ApiClient, ServiceUnavailable
from spendscore_ui.config import UISettings
from spendscore_ui.json_logs import configure_ui_logging

made_before = streamlit.logger.get_logger("streamlit.made_before")
configure_ui_logging("INFO")
made_before.info("a line of a logger Streamlit made before")
streamlit.logger.get_logger("streamlit.made_after").warning("a line of a logger Streamlit made after")
logging.getLogger("uvicorn.error").info(
    "Started server process", extra={"color_message": "Started server process \\x1b[36m"}
)
try:
    ApiClient(UISettings(auth_url=sys.argv[1])).me()
except ServiceUnavailable as error:
    print("reference", error.request_id, file=sys.stderr)
"""


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_every_line_is_json_with_the_request_id_of_a_call_to_a_service() -> None:
    result = subprocess.run(
        [sys.executable, "-c", UI_PROCESS, closed_port_url()],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "APP_ENV": "test"},
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # every line parses
    assert {line["service"] for line in lines} == {"ui"}
    by_message = {line["message"]: line for line in lines}
    assert by_message["a line of a logger Streamlit made before"]["logger"] == "streamlit.made_before"
    assert by_message["a line of a logger Streamlit made after"]["level"] == "WARNING"
    started = by_message["Started server process"]
    assert started["logger"] == "uvicorn.error" and "color_message" not in started
    (failed,) = [line for line in lines if line["message"].startswith("GET /users/me failed")]
    reference = result.stderr.split("reference ", 1)[1].split()[0]
    assert failed["request_id"] == reference and failed["logger"] == "spendscore_ui.api_client"


def test_the_cookie_secret_can_be_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "ui_cookie_secret"
    secret.write_text("s" * 40 + "\n")
    monkeypatch.delenv("UI_COOKIE_SECRET", raising=False)
    monkeypatch.setenv("UI_COOKIE_SECRET_FILE", str(secret))
    monkeypatch.setenv("APP_ENV", "production")
    assert UISettings().cookie_secret.get_secret_value() == "s" * 40

    monkeypatch.setenv("UI_COOKIE_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="UI_COOKIE_SECRET_FILE: cannot read"):
        UISettings()
