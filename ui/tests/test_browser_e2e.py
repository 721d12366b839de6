"""The whole product in a real browser: Debian's Chromium driven by Playwright against the real stack.

Streamlit draws over a websocket, so every step waits for the element it needs (a heading, a text, a
chart's canvas/svg), never for the page load. Screenshots of each page go to docs/screenshots/.
"""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from spendscore_ui.session_cookie import SessionCookieSealer
from testkit.processes import REPO_ROOT, ServiceProcess, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set"),
]

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 1500}
SAMPLE_CSV = """name,gender,age,annual_income
Bruno Souza,male,19,15
Carla Dias,female,31,78
Diego Alves,male,58,20
Elisa Rocha,female,23,87
Fabio Lima,m,67,40
Gabriela Nunes,f,35,120
Hugo Martins,male,45,126
"""
# The UI's cookie secret: the test opens the session cookie with it to learn this session's token.
UI_COOKIE_SECRET = uuid.uuid4().hex + uuid.uuid4().hex
CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


@pytest.fixture(scope="module")
def ui_url(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real services, and the UI started the way `make run` starts it, on free ports."""
    stack.start_all()
    port = free_port()
    env = {
        "APP_ENV": "test",
        "AUTH_URL": stack.urls["auth"],
        "CUSTOMERS_URL": stack.urls["customers"],
        "INFERENCE_URL": stack.urls["inference"],
        "UI_COOKIE_SECRET": UI_COOKIE_SECRET,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    args = ["-m", "streamlit", "run", "ui/streamlit_app.py", "--server.port", str(port)]
    args += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    process = ServiceProcess("ui", args, env, port, tmp_path_factory.mktemp("ui"))
    process.start(ready_path="/_stcore/health", timeout=60)
    yield process.url
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/ensure_chromium.sh` (or `make browser`).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    """Screenshot once every table and chart on the page has drawn."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for grid in page.get_by_test_id("stDataFrame").all():
        expect(grid.locator('[role="gridcell"]').first).to_be_attached(timeout=WAIT_MS)
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        expect(chart.locator("canvas, svg").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(500)  # the grid paints its cells a frame after it mounts
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def expect_login_page(page: Page) -> None:
    expect(page.get_by_role("textbox", name="Email")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_session_cookie(page: Page) -> dict:
    """The session cookie, once the sign-in hand-off has set it (it may land after the first page draws)."""
    for _ in range(WAIT_MS // 250):
        cookie = next((c for c in page.context.cookies() if c["name"] == "spendscore_session"), None)
        if cookie is not None:
            return dict(cookie)
        page.wait_for_timeout(250)
    raise AssertionError("the sign-in never set the session cookie")


def open_menu_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=WAIT_MS)


def test_protected_url_without_session_lands_on_login(ui_url, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(ui_url + "/dashboard")
    expect_login_page(page)
    assert context.cookies() == [] or all(c["name"] != "spendscore_session" for c in context.cookies())
    context.close()


def test_owner_journey(ui_url, browser, stack, cookie_decodings):
    owner = stack.create_user()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    page.goto(ui_url + "/customers")
    expect_login_page(page)
    shot(page, "login")
    sign_in(page, owner.email, owner.password)
    expect(page.get_by_role("heading", name="Customers")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/customers$"))
    session_cookie = wait_for_session_cookie(page)
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    assert "spendscore_session" not in page.evaluate("document.cookie")
    # The cookie carries this session's real token, and only encrypted: not readable in any decoding.
    sealed = SessionCookieSealer(UI_COOKIE_SECRET).open(session_cookie["value"])
    assert sealed is not None
    me = httpx.get(f"{stack.urls['auth']}/users/me", headers={"Authorization": f"Bearer {sealed.token}"})
    assert me.status_code == 200 and me.json()["email"] == owner.email
    for form in cookie_decodings(session_cookie["value"]):
        assert sealed.token.encode() not in form

    # Create a customer and see its score.
    name = f"Ana {uuid.uuid4().hex[:6]}"
    create_form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Create customer"))
    create_form.get_by_role("textbox", name="Name").fill(name)
    create_form.get_by_role("spinbutton", name="Age").fill("30")
    create_form.get_by_role("spinbutton", name="Annual income (k$)").fill("70")
    create_form.get_by_role("button", name="Create customer").click()
    success = page.get_by_text(re.compile(rf"Created {name}: spending score \d+ \((low|medium|high)\)"))
    expect(success).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame").get_by_text(name)).to_be_attached(timeout=WAIT_MS)

    # Its page: the history chart, then an edit of the age adds a second point.
    page.get_by_role("link", name=f"Open {name}").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(CHART).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("1 scored predictions")).to_be_visible()
    page.get_by_text("Edit", exact=True).click()
    edit_form = page.get_by_test_id("stForm")
    edit_form.get_by_role("spinbutton", name="Age").fill("52")
    edit_form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("2 scored predictions")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(CHART).first).to_be_visible()
    shot(page, "customer")

    # The dashboard counts it.
    open_menu_page(page, "Dashboard")
    expect(
        page.get_by_test_id("stMetric").filter(has_text="Customers").get_by_test_id("stMetricValue")
    ).to_have_text("1", timeout=WAIT_MS)
    expect(page.locator(CHART)).to_have_count(4, timeout=WAIT_MS)
    shot(page, "dashboard")

    # A refresh keeps the session (the HttpOnly cookie), on the same page.
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    # Import a few more customers from a CSV file, then the list shows them with coloured bands.
    open_menu_page(page, "Import / export")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": SAMPLE_CSV.encode()}]
    )
    expect(page.get_by_text("First rows of the file:")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(f"Imported {SAMPLE_CSV.count(chr(10)) - 1} customers.")).to_be_visible(
        timeout=WAIT_MS
    )
    shot(page, "import")
    open_menu_page(page, "Customers")
    expect(page.get_by_test_id("stDataFrame").get_by_text("Carla Dias")).to_be_attached(timeout=WAIT_MS)
    shot(page, "customers")

    for title, screenshot in (("Model", "model"), ("Account", "account")):
        open_menu_page(page, title)
        shot(page, screenshot)

    # Sign out: back to login, and a protected URL stays closed.
    page.get_by_role("button", name="Sign out").click()
    expect_login_page(page)
    assert all(c["name"] != "spendscore_session" for c in context.cookies())
    page.goto(ui_url + "/customers")
    expect_login_page(page)
    context.close()

    history = httpx.get(
        f"{stack.urls['customers']}/customers", params={"q": name}, headers=owner.headers
    ).json()["items"]
    assert len(history) == 1 and history[0]["age"] == 52


def test_admin_page_for_an_admin(ui_url, browser, stack):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(ui_url + "/admin")
    expect_login_page(page)
    sign_in(page, stack.admin_email, stack.admin_password)
    expect(page.get_by_role("heading", name="Admin: accounts")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/admin$"))
    shot(page, "admin")
    context.close()


def document_loads(page: Page) -> list[str]:
    """Every full page load of the main frame from now on (Streamlit's own page switches are not loads)."""
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def test_sign_in_in_portuguese_is_one_page_load(ui_url, browser, stack):
    """Accept-Language pt-BR: the login page and the app in Portuguese; signing in draws the signed-in
    page in the same document (no second load) and the cookie still arrives for a refresh."""
    owner = stack.create_user()
    context = browser.new_context(viewport=VIEWPORT, locale="pt-BR", timezone_id="America/Sao_Paulo")
    page = context.new_page()
    page.goto(ui_url + "/login")
    expect(page.get_by_role("textbox", name="E-mail")).to_be_visible(timeout=WAIT_MS)
    shot(page, "login-pt-BR")
    loads = document_loads(page)
    page.get_by_role("textbox", name="E-mail").fill(owner.email)
    page.get_by_role("textbox", name="Senha").fill(owner.password)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("button", name="Sair")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/customers$"))
    wait_for_session_cookie(page)
    assert loads == []
    page.reload()
    expect(page.get_by_role("button", name="Sair")).to_be_visible(timeout=WAIT_MS)

    # The switch to English is remembered across sign-out and sign-in (a cookie), over Accept-Language.
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="English").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Sign out").click()
    expect_login_page(page)
    page.reload()
    expect_login_page(page)
    context.close()


def test_deep_link_survives_sign_in(ui_url, browser, stack):
    owner = stack.create_user()
    name = f"Deep {uuid.uuid4().hex[:6]}"
    created = httpx.post(
        f"{stack.urls['customers']}/customers",
        json={"name": name, "gender": "female", "age": 40, "annual_income": 55},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{ui_url}/customer?id={created.json()['id']}")
    expect_login_page(page)
    sign_in(page, owner.email, owner.password)
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(rf"/customer\?id={created.json()['id']}$"))
    context.close()


def test_login_csrf_a_code_replayed_into_another_browser_signs_nobody_in(ui_url, browser, stack):
    attacker = stack.create_user()
    attacker_context = browser.new_context(viewport=VIEWPORT)
    attacker_page = attacker_context.new_page()
    stolen: list[str] = []

    def keep_the_code(route, request) -> None:  # the attacker's browser never redeems its own code
        stolen.append(request.post_data_json["code"])
        route.abort()

    attacker_page.route("**/session/start", keep_the_code)
    attacker_page.goto(ui_url + "/login")
    expect_login_page(attacker_page)
    sign_in(attacker_page, attacker.email, attacker.password)
    expect(attacker_page.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT_MS)
    for _ in range(WAIT_MS // 250):
        if stolen:
            break
        attacker_page.wait_for_timeout(250)
    assert stolen, "the sign-in never posted its code"

    victim_context = browser.new_context(viewport=VIEWPORT)
    victim = victim_context.new_page()
    victim.goto(ui_url + "/login")
    expect_login_page(victim)
    # The code, posted from the victim's own page exactly as the app's script would: refused.
    status = victim.evaluate(
        """async (code) => (await fetch("/session/start", {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-SpendScore-Session": "1"},
            body: JSON.stringify({code})})).status""",
        stolen[0],
    )
    assert status == 403
    # ... and as a link: no route takes a GET (Streamlit just draws its app there), no cookie.
    victim.goto(f"{ui_url}/session/start?code={stolen[0]}")
    assert all(c["name"] != "spendscore_session" for c in victim_context.cookies())
    attacker_context.close()

    # A signed-in user sent to /session/end from elsewhere (a link, an <img>) stays signed in.
    owner = stack.create_user()
    victim.goto(ui_url + "/login")
    sign_in(victim, owner.email, owner.password)
    wait_for_session_cookie(victim)
    victim.goto(ui_url + "/session/end")
    assert any(c["name"] == "spendscore_session" for c in victim_context.cookies())
    victim.goto(ui_url + "/customers")
    expect(victim.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT_MS)
    victim_context.close()


def test_ui_pages_cannot_be_framed(ui_url, browser):
    for path in ("/", "/login", "/customers"):
        response = httpx.get(ui_url + path)
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
    context = browser.new_context()
    page = context.new_page()
    page.set_content(f'<iframe id="ui" src="{ui_url}/login" width="800" height="600"></iframe>')
    page.wait_for_timeout(1500)
    framed = page.frame_locator("#ui")
    expect(framed.get_by_role("textbox", name="Email")).to_have_count(0)
    context.close()


def test_phone_menu_closes_after_choosing_a_page(ui_url, browser, stack):
    owner = stack.create_user()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="pt-BR", is_mobile=True)
    page = context.new_page()
    page.goto(ui_url + "/login")
    page.get_by_role("textbox", name="E-mail").fill(owner.email)
    page.get_by_role("textbox", name="Senha").fill(owner.password)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(re.compile(r"/customers$"), timeout=WAIT_MS)
    page.get_by_test_id("stExpandSidebarButton").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "false", timeout=WAIT_MS)
    shot(page, "phone-menu-pt-BR")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Modelo").click()
    expect(page.get_by_role("heading", name="Modelo", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(sidebar).to_have_attribute("data-collapsed", "true", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="O que a pontuação significa")).to_be_visible(timeout=WAIT_MS)
    shot(page, "phone-model-pt-BR")
    context.close()
