"""Grammar and words (issue 26): plural forms by CLDR's rules (Babel), one term per concept in Portuguese,
Streamlit's own words in the UI's language, and the uploader's limit equal to the service's."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from customers_service.file_import import MAX_BYTES
from spendscore_ui import i18n
from spendscore_ui.catalogues import streamlit_en
from spendscore_ui.page_language import page_language_script, word_rules

LOCALES = ["en", "pt-BR"]


@pytest.fixture
def owner(app_test: AppTest, submit_login, request) -> AppTest:
    """Signed in as the owner, in the locale the test is parametrised with."""
    app_test.context["locale"] = request.param
    app_test.run()
    return submit_login(app_test, "owner@example.com", "owner-password")


def texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "success", "info", "warning")
    return [element.value for kind in kinds for element in at.get(kind) if isinstance(element.value, str)]


@pytest.mark.parametrize(
    ("locale", "count", "category"),
    [("pt-BR", 0, "one"), ("pt-BR", 1, "one"), ("pt-BR", 2, "other"), ("en", 0, "other"), ("en", 1, "one")],
)
def test_plural_categories_follow_cldr(locale, count, category):
    assert i18n.plural_category(count, locale) == category


def test_a_category_missing_from_the_catalogue_falls_back_to_other(monkeypatch):
    monkeypatch.setattr(i18n, "current_locale", lambda: "pt-BR")
    monkeypatch.setattr(i18n, "plural_category", lambda count, locale=None: "many")
    assert i18n.tn("customers.showing", 1_000_000, first="1", last="25") == (
        "Mostrando 1–25 de 1.000.000 clientes."
    )


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_one_customer_is_singular_on_the_list_and_the_dashboard(owner, fake):
    at = owner
    locale = at.context["locale"]
    owner_id = next(user["id"] for user in fake.users.values() if user["email"] == "owner@example.com")
    customer_id = "00000000-0000-0000-0000-000000000001"
    fake.customers[customer_id] = {
        "id": customer_id,
        "owner_id": owner_id,
        "name": "Ana Lima",
        "gender": "female",
        "age": 30,
        "annual_income": 60.0,
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    fake.store_prediction(customer_id)
    at.switch_page("app_pages/customers.py").run()
    showing = {"en": "Showing 1–1 of 1 customer.", "pt-BR": "Mostrando 1–1 de 1 cliente."}[locale]
    assert any(text.startswith(showing) for text in texts(at)), texts(at)

    fake.dashboard_extra["accuracy"] = {
        "observed_count": 1,
        "mae": 3.0,
        "r2": None,
        "interval_coverage": None,
    }
    at.switch_page("app_pages/dashboard.py").run()
    sentence = {
        "en": "On 1 customer whose score you entered, the model was off by 3 points on average.",
        "pt-BR": "Em 1 cliente cuja pontuação você informou, o modelo errou em média 3 pontos.",
    }[locale]
    assert any(sentence in text for text in texts(at)), texts(at)


def test_portuguese_uses_one_word_per_concept():
    portuguese = i18n.CATALOGUES["pt-BR"]
    # Gender is "Gênero" everywhere (form, list, filters, customer, model, dashboard), never "Sexo".
    assert [key for key, text in portuguese.items() if re.search(r"\bsexo\b", text, re.IGNORECASE)] == []
    assert portuguese["form.gender"].startswith(portuguese["field.gender"])
    assert portuguese["customers.column.gender"] == portuguese["field.gender"]
    # "Faixa" is the score band only: not the training range, the age group or the interval.
    other_meanings = r"faixas? (de treino|etária|sombreada)|uma faixa \(seu intervalo"
    assert [key for key, text in portuguese.items() if re.search(other_meanings, text, re.IGNORECASE)] == []
    assert portuguese["model.range"] == "Limites do treino" and portuguese["chart.age.x"] == "Grupo de idade"


def _apply(rules: list[tuple[str, str]], text: str) -> str:
    """The page script's replacement, in Python (the patterns are plain enough to mean the same)."""
    for pattern, replacement in rules:
        text = re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", replacement), text)
    return text


def test_streamlit_words_are_replaced_in_portuguese_and_left_in_english():
    rules = word_rules("pt-BR")
    assert _apply(rules, "Press Enter to submit form") == "Pressione Enter para enviar o formulário"
    assert _apply(rules, "Help for Senha") == "Ajuda sobre Senha"
    assert _apply(rules, "5MB per file") == "5 MB por arquivo"
    assert _apply(rules, "243.0B") == "243,0 B"
    assert _apply(rules, "Skip to main content") == "Pular para o conteúdo principal"
    assert _apply(rules, "Ana Upload") == "Ana Upload"  # only whole phrases
    english = word_rules("en")
    assert all(_apply(english, phrase) == phrase for phrase in streamlit_en.MESSAGES.values())
    assert _apply(english, "243.0B") == "243.0 B"
    script = page_language_script("pt-BR")
    assert "document.documentElement.lang = config.lang" in script and '"lang": "pt-BR"' in script


@pytest.mark.parametrize("owner", ["pt-BR"], indirect=True)
def test_the_uploader_states_the_services_limit(owner):
    at = owner
    at.switch_page("app_pages/import_export.py").run()
    [uploader] = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb * 1024 * 1024 == MAX_BYTES
