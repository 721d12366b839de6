"""The browser tests' shared parts: one UI process and one Chromium for the whole session, and the steps
every browser test repeats (sign in and wait for the session cookie, wait for a script run to end).

The fixtures are in ui/tests/conftest.py; each test makes its own owner and its own browser context, so
sharing the process and the browser shares no state between tests.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from testkit.processes import REPO_ROOT, ServiceProcess, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 60_000
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"  # the README shows them
SESSION_COOKIE = "spendscore_session"
# The UI's slow-client bounds (issue 30). The head timeout is the production default: every browser test
# shares this UI, and on a loaded machine a shorter one could cut a real browser's request.
UI_HEAD_TIMEOUT_SECONDS = 5
UI_MAX_CONNECTIONS = 50


@dataclass(frozen=True)
class RunningUI:
    url: str
    cookie_secret: str  # lets a test open the session cookie the UI sealed


@contextmanager
def start_ui(service_urls: dict[str, str], log_dir: Path) -> Iterator[RunningUI]:
    """The UI started the way `make run` starts it, on a free port, against the given services."""
    port = free_port()
    cookie_secret = uuid.uuid4().hex + uuid.uuid4().hex
    env = {
        "APP_ENV": "test",
        "AUTH_URL": service_urls["auth"],
        "CUSTOMERS_URL": service_urls["customers"],
        "INFERENCE_URL": service_urls["inference"],
        "UI_COOKIE_SECRET": cookie_secret,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "HEAD_TIMEOUT_SECONDS": str(UI_HEAD_TIMEOUT_SECONDS),
        "MAX_CONNECTIONS": str(UI_MAX_CONNECTIONS),
    }
    # The launcher: `streamlit run` with the slow-client bounds (spendscore_ui.serve).
    args = ["-m", "spendscore_ui.serve", "ui/streamlit_app.py", "--server.port", str(port)]
    args += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    process = ServiceProcess("ui", args, env, port, log_dir)
    process.start(ready_path="/_stcore/health", timeout=120)
    try:
        yield RunningUI(process.url, cookie_secret)
    finally:
        process.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; the tests never download a browser."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is missing: run `make browser` (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Page, email: str, password: str, *, words: tuple[str, str, str]) -> dict:
    """Fill the login form (labels ``words`` = e-mail, password, button in the page's language), submit,
    and return the session cookie once the sign-in hand-off has set it."""
    email_label, password_label, button = words
    page.get_by_role("textbox", name=email_label, exact=True).fill(email)
    page.get_by_role("textbox", name=password_label, exact=True).fill(password)
    page.get_by_role("button", name=button).click()
    return wait_for_session_cookie(page)


def wait_for_session_cookie(page: Page) -> dict:
    """The session cookie, once the sign-in hand-off has set it: it may land after the first page draws,
    and a navigation before then finds no session."""
    for _ in range(WAIT_MS // 250):
        cookie = next((c for c in page.context.cookies() if c["name"] == SESSION_COOKIE), None)
        if cookie is not None:
            return dict(cookie)
        page.wait_for_timeout(250)
    raise AssertionError("the sign-in never set the session cookie")


def settle(page: Page) -> None:
    """Wait until the script run is over and the page has drawn."""
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=WAIT_MS)
    page.wait_for_timeout(700)


def open_menu_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=WAIT_MS)


def shot(page: Page, name: str) -> None:
    """Screenshot once every table and chart on the page has drawn."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The script has finished (a rerun may still be replacing the elements): only then count them.
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=WAIT_MS)
    page.wait_for_timeout(300)
    for grid in page.get_by_test_id("stDataFrame").all():
        expect(grid.locator('[role="gridcell"]').first).to_be_attached(timeout=WAIT_MS)
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        expect(chart.locator("canvas, svg").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(500)  # the grid paints its cells a frame after it mounts
    viewport = page.viewport_size
    # Streamlit scrolls inside its own container, so a "full page" is the viewport: make it as tall as
    # the content for the picture, at the same width.
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], section.main')]"
        ".map(e => e.scrollHeight), 0)"
    )
    if viewport and height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 3000)})
        page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if viewport:
        page.set_viewport_size(viewport)
