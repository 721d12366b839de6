"""Issue 23 on the store pages, against the fake services in both languages: numbers typed the locale's
way, inputs outside the training data confirmed before saving, and the score's explanation."""

import pytest

from ui.tests import test_store_pages
from ui.tests.test_store_pages import LOCALES, WORDS, add_customer, button, number_field, texts

owner = test_store_pages.owner  # the same signed-in fixture, parametrised by locale

EXPLANATION = {"base": 50.2, "contributions": {"gender": 0.1, "age": -12.3, "annual_income": 18.2}}
SENTENCE = {
    "en": (
        "The model's average customer scores 50; the income of 45 k$ pulls the score up (+18); the age "
        "of 52 years pulls it down (\u221212); being female makes no difference."
    ),
    "pt-BR": (
        "O cliente médio do modelo tem pontuação 50; a renda de 45 mil $ puxa a pontuação para cima "
        "(+18); a idade de 52 anos puxa para baixo (\u221212); o gênero feminino não faz diferença."
    ),
}
DECIMAL = {"en": "45.5", "pt-BR": "45,5"}
MISREAD = {"en": "45,5", "pt-BR": "45.5"}


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_a_decimal_is_read_the_locales_way_and_never_dropped(owner, fake, read_list_table):
    at, words = owner, WORDS[owner.context["locale"]]
    locale = owner.context["locale"]
    add_customer(at, words, "Ana Lima", 30, None)
    number_field(at, words["income"]).input(MISREAD[locale])
    button(at, words["create"]).click().run()
    assert not fake.customers  # "45.5" in pt-BR is neither 455 nor 45,5 until the owner says which
    shown = " ".join(texts(at))
    assert MISREAD[locale] in shown and DECIMAL[locale] in shown and "455" in shown
    number_field(at, words["income"]).input(DECIMAL[locale])
    button(at, words["create"]).click().run()
    [stored] = fake.customers.values()
    assert stored["annual_income"] == 45.5
    assert DECIMAL[locale] in read_list_table(at).rows[0].values()


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_an_age_outside_the_training_data_is_asked_before_saving(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    add_customer(at, words, "Ana Lima", 7, 60.0)
    assert not fake.customers
    assert any("7" in text and "18" in text and "70" in text for text in texts(at))
    [confirm] = at.checkbox
    number_field(at, words["age"]).input("8")  # another value: asked about again, even when ticked
    confirm.check()
    button(at, words["create"]).click().run()
    assert not fake.customers
    at.checkbox[0].check()
    button(at, words["create"]).click().run()
    [stored] = fake.customers.values()
    assert stored["age"] == 8


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_an_impossible_age_is_refused_not_asked(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    add_customer(at, words, "Ana Lima", 0, 60.0)
    assert not fake.customers
    assert not at.checkbox
    assert any(":red[" in text and "120" in text for text in texts(at))


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_the_customer_page_says_why_in_one_sentence_without_the_model_version(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    locale = owner.context["locale"]
    add_customer(at, words, "Ana Lima", 52, 45)
    customer_id = next(iter(fake.customers))
    fake.prediction_extra[customer_id] = {"explanation": EXPLANATION}
    at.query_params["id"] = customer_id
    at.switch_page("app_pages/customer.py").run()
    assert not at.exception
    shown = texts(at)
    assert SENTENCE[locale] in shown
    assert len(at.get("vega_lite_chart")) == 2  # the explanation's bars and the history
    version = fake.history[customer_id][-1].model_version
    assert version and not any(version in text for text in shown)


ENDED = {
    "en": "An administrator deactivated your account, so your session ended.",
    "pt-BR": "Um administrador desativou sua conta, por isso sua sessão terminou.",
}


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_a_deactivated_owner_is_told_why_without_clicking(owner, fake):
    at = owner
    assert at.title and not at.exception
    account = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    account["is_active"] = False
    at.run()  # what the page's watcher does every few seconds, with nobody clicking
    assert ENDED[owner.context["locale"]] in texts(at) + [element.value for element in at.info]
    assert not any(button.label == WORDS[owner.context["locale"]]["add"] for button in at.button)
