"""Issue 25 in a real browser against the real stack: import a sales file, see the observed scores derived
from it on a customer, and see "global vs your store" on the dashboard; the screenshots of the store's
panels and of the Model page in both languages (docs/screenshots/, shown in the README)."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from testkit.browser import WAIT_MS, shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set")]

DATASET = Path(__file__).resolve().parents[2] / "services" / "inference" / "data" / "Mall_Customers.csv"


def sales_file() -> bytes:
    """40 Mall customers' sales: each one's spend follows the published score (shifted up), so the
    derived percentiles tell a store apart from the mall."""
    lines = ["codigo;data;valor"]
    for row in DATASET.read_text().splitlines()[1:41]:
        number, _, _, _, score = row.split(",")
        lines.append(f"M{number};05/11/2026;{int(score) * 10 + 500},00")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.timeout(900)
def test_sales_import_then_derived_scores_then_global_vs_store(ui_url, browser, stack):
    owner = stack.create_user()
    customers = "external_id,name,gender,age,annual_income\n" + "".join(
        f"M{row.split(',')[0]},Mall {row.split(',')[0]},{row.split(',')[1]},{row.split(',')[2]},"
        f"{row.split(',')[3]}\n"
        for row in DATASET.read_text().splitlines()[1:41]
    )
    imported = httpx.post(
        stack.urls["customers"] + "/customers/import",
        files={"file": ("c.csv", customers.encode(), "text/csv")},
        headers=owner.headers,
        timeout=60,
    )
    assert imported.status_code == 201, imported.text
    context = browser.new_context(viewport={"width": 1280, "height": 1500}, locale="pt-BR")
    page = context.new_page()
    page.goto(ui_url + "/import")
    sign_in(page, owner.email, owner.password, words=("E-mail", "Senha", "Entrar"))
    expect(page.get_by_role("heading", name="Importar vendas")).to_be_visible(timeout=WAIT_MS)

    page.get_by_text("Tenho um arquivo de vendas").click()
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(1)
    uploader.set_input_files(files=[{"name": "vendas.csv", "mimeType": "text/csv", "buffer": sales_file()}])
    page.get_by_role("button", name="Importar vendas", exact=True).click()
    expect(page.get_by_text("40 vendas importadas.")).to_be_visible(timeout=WAIT_MS)

    listed = httpx.get(
        stack.urls["customers"] + "/customers", params={"q": "M1"}, headers=owner.headers, timeout=30
    ).json()
    first = next(item for item in listed["items"] if item["external_id"] == "M1")
    assert first["observed_source"] == "sales" and 1 <= first["observed_score"] <= 100
    page.goto(ui_url + f"/customer?id={first['id']}")
    expect(page.get_by_text("Pontuação observada calculada a partir das suas vendas.")).to_be_visible(
        timeout=WAIT_MS
    )

    page.goto(ui_url + "/dashboard")
    expect(page.get_by_role("heading", name="Modelo global vs a sua loja")).to_be_visible(timeout=WAIT_MS)
    # Judged on the 33 latest of the 40 (all but the oldest sixth), each from the scores before it.
    expect(
        page.get_by_text(re.compile(r"Medido nas suas 33 pontuações observadas mais recentes"))
    ).to_be_visible(timeout=WAIT_MS)
    expect(
        page.get_by_text(re.compile(r"com 33 pontuações, \d+% observados é compatível com"))
    ).to_have_count(2, timeout=WAIT_MS)
    expect(
        page.get_by_role("heading", name="Seus clientes vs os clientes de treino do modelo")
    ).to_be_visible()
    shot(page, "store-dashboard-pt-BR")

    # The same panels and the Model page in English (the language switch re-runs the page it is on).
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="English").click()
    expect(page.get_by_role("heading", name="Global model vs your store")).to_be_visible(timeout=WAIT_MS)
    shot(page, "store-dashboard-en")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Model").click()
    expect(page.get_by_role("heading", name="Your store's own correction")).to_be_visible(timeout=WAIT_MS)
    shot(page, "model-en")
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="Português (Brasil)").click()
    expect(page.get_by_role("heading", name="A correção própria da sua loja")).to_be_visible(timeout=WAIT_MS)
    shot(page, "model-pt-BR")
    context.close()
