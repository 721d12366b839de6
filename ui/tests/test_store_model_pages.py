"""Issue 25 on the store pages against the fake services, in English and Portuguese: the dashboard's
"global vs your store" panel with n and the confidence range in plain words, the claim held back below
100 scores, the re-scoring progress; the sales section of the import page behind its toggle."""

import pytest
from streamlit.testing.v1 import AppTest

HELD_OUT = {
    "count": 20,
    "global_mae": 19.3,
    "store_mae": 14.4,
    "global_coverage": {"covered": 13, "share": 0.65, "low": 0.43, "high": 0.82},
    "store_coverage": {"covered": 16, "share": 0.8, "low": 0.58, "high": 0.92},
    "coverage_claim": False,
}
STORE_MODEL = {
    "fitted": True,
    "chosen": True,
    "reason": "better_on_held_out",
    "version": "store-0123456789ab",
    "model_version": "fake-1",
    "correction": {"offset": 12.0, "slope": 0.0, "interval_scale": 1.1, "income_scale": 0.7071},
    "held_out": HELD_OUT,
    "rescore": {"total": 40, "done": 10, "remaining": 30},
}
WORDS = {
    "en": {
        "title": "Global model vs your store",
        "not_fitted": "Not fitted yet",
        "range": "with 20 scores, 80% observed inside the interval is compatible with 58% to 92%.",
        "no_claim": "Below 100 scores",
        "progress": "Re-scoring your customers: 10 of 40.",
        "income": "reads your customers' incomes as 71% of what you recorded",
        "toggle": "I have a sales file",
        "sales": "Import sales",
    },
    "pt-BR": {
        "title": "Modelo global vs a sua loja",
        "not_fitted": "Ainda não ajustado",
        "range": "com 20 pontuações, 80% observados é compatível com 58% a 92%.",
        "no_claim": "Abaixo de 100 pontuações",
        "progress": "Recalculando as pontuações dos seus clientes: 10 de 40.",
        "income": "lê a renda dos seus clientes como 71% do que você registrou",
        "toggle": "Tenho um arquivo de vendas",
        "sales": "Importar vendas",
    },
}


@pytest.fixture(params=["en", "pt-BR"])
def owner(app_test: AppTest, submit_login, request) -> AppTest:
    app_test.context["locale"] = request.param
    app_test.run()
    return submit_login(app_test, "owner@example.com", "owner-password")


def texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "info", "caption", "subheader")
    return [element.value for kind in kinds for element in at.get(kind) if isinstance(element.value, str)]


def seed_one(fake) -> None:  # type: ignore[no-untyped-def]
    owner_id = next(user["id"] for user in fake.users.values() if user["email"] == "owner@example.com")
    customer_id = "00000000-0000-0000-0000-000000000001"
    fake.customers[customer_id] = {
        "id": customer_id,
        "owner_id": owner_id,
        "name": "Ana Lima",
        "gender": "female",
        "age": 30,
        "annual_income": 40.0,
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    fake.store_prediction(customer_id)


def test_dashboard_shows_global_against_the_store_in_plain_words(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    seed_one(fake)
    at.switch_page("app_pages/dashboard.py").run()
    assert any(text.startswith(words["not_fitted"]) for text in texts(at))
    fake.store_model = STORE_MODEL
    at.run()
    shown = texts(at)
    assert words["title"] in shown
    assert any(text.endswith(words["range"]) for text in shown)
    assert any(words["no_claim"] in text for text in shown)
    assert any(words["income"] in text for text in shown)
    assert [bar.value for bar in at.get("progress")] == [25]
    assert not at.error


def test_import_page_keeps_one_uploader_until_sales_are_asked_for(owner):
    at, words = owner, WORDS[owner.context["locale"]]
    at.switch_page("app_pages/import_export.py").run()
    assert len(at.get("file_uploader")) == 1
    assert words["sales"] in [header.value for header in at.subheader]
    next(toggle for toggle in at.toggle if toggle.label == words["toggle"]).set_value(True).run()
    assert len(at.get("file_uploader")) == 2
    assert not at.error
