"""Nothing leaves the machine (issue 26): the settings that keep Streamlit from calling outside hosts."""

import tomllib
from pathlib import Path

from spendscore_ui import page_style
from spendscore_ui.page_language import page_language_script

UI_DIR = Path(__file__).resolve().parent.parent


def test_streamlit_sends_no_usage_statistics_and_looks_up_no_external_address():
    config = tomllib.loads((UI_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    # With browser.serverAddress set, Streamlit's start-up banner does not fetch the external IP.
    assert config["browser"]["serverAddress"] == "localhost"


def test_the_router_uses_no_icon_fetched_from_a_font_host():
    router = (UI_DIR / "router.py").read_text(encoding="utf-8")
    assert 'page_icon=":material' not in router.replace(" ", "")
    for script in (page_language_script("pt-BR"), page_style.PAGE_STYLE):
        assert "http://" not in script and "https://" not in script
