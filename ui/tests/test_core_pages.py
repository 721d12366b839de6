"""Sign-in, account, admin, model and the menu in both languages (AppTest against the fake services)."""

import pytest
from streamlit.testing.v1 import AppTest

from spendscore_ui.api_client import ApiClient
from spendscore_ui.config import get_settings

NAME_WITH_IMAGE = "![pixel](http://attacker.example/p.png) [site](http://evil.example)"


def in_locale(at: AppTest, locale: str) -> AppTest:
    at.context["locale"] = locale
    at.context["timezone"] = "America/Sao_Paulo"
    return at


def markdown_bodies(at: AppTest) -> list[str]:
    kinds = ("markdown", "info", "error", "warning", "success", "caption", "title", "header", "subheader")
    return [element.value for kind in kinds for element in at.get(kind) if isinstance(element.value, str)]


def click(at: AppTest, label: str) -> AppTest:
    next(button for button in at.button if button.label == label).click().run()
    return at


def sign_in(at: AppTest, email: str, password: str, *, button: str = "Sign in") -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return click(at, button)


LABELS = {
    "en": {"email": "Email", "password": "Password", "sign_in": "Sign in", "sign_out": "Sign out"},
    "pt-BR": {"email": "E-mail", "password": "Senha", "sign_in": "Entrar", "sign_out": "Sair"},
}


@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_login_page_and_sign_in_in_each_language(app_test, locale):
    labels = LABELS[locale]
    in_locale(app_test, locale).run()
    assert [field.label for field in app_test.text_input] == [labels["email"], labels["password"]]
    sign_in(app_test, "owner@example.com", "wrong", button=labels["sign_in"])
    wrong = {"en": "Wrong email or password.", "pt-BR": "E-mail ou senha incorretos."}[locale]
    assert [error.value for error in app_test.error] == [wrong]
    sign_in(app_test, "owner@example.com", "owner-password", button=labels["sign_in"])
    assert not app_test.exception
    assert app_test.sidebar.button(key="sign_out").label == labels["sign_out"]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "This account is deactivated. Ask an administrator to reactivate it."),
        ("pt-BR", "Esta conta está desativada. Peça a um administrador que a reative."),
    ],
)
def test_a_deactivated_user_with_the_right_password_is_told_so(app_test, fake, locale, expected):
    owner = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    owner["is_active"] = False
    in_locale(app_test, locale).run()
    sign_in(app_test, "owner@example.com", "owner-password", button=LABELS[locale]["sign_in"])
    assert [error.value for error in app_test.error] == [expected]
    # The wrong password still says only "wrong email or password": nothing leaks.
    sign_in(app_test, "owner@example.com", "nope", button=LABELS[locale]["sign_in"])
    assert "deactivated" not in app_test.error[0].value and "desativada" not in app_test.error[0].value


def test_login_sends_the_device_token_and_keeps_the_new_one(fake):
    api = ApiClient(get_settings())
    first = api.login("owner@example.com", "owner-password")
    assert first.device_token and not first.must_change_password
    assert "device_token" not in fake.logins[-1]
    again = api.login("owner@example.com", "owner-password", device_token=first.device_token)
    assert fake.logins[-1]["device_token"] == first.device_token
    assert again.device_token == first.device_token


def test_the_language_switch_changes_the_page_and_is_remembered_in_a_cookie(signed_in):
    assert signed_in.sidebar.button(key="sign_out").label == "Sign out"
    signed_in.sidebar.selectbox(key="ui_language").select("pt-BR").run()
    assert not signed_in.exception
    assert signed_in.sidebar.button(key="sign_out").label == "Sair"
    assert signed_in.sidebar.caption[0].value == "Conectado como"
    scripts = [element.proto.body for element in signed_in.get("html")]
    assert any("spendscore_lang=pt-BR" in body and "Max-Age=" in body for body in scripts)


def test_a_deep_link_survives_sign_in(app_test, fake):
    """/customer?id=... opened signed out opens that customer after signing in."""
    app_test.run()
    sign_in(app_test, "owner@example.com", "owner-password")
    api = ApiClient(get_settings(), next(iter(fake.valid_tokens)))
    customer = api.create_customer(name="Ana Lima", gender="female", age=30, annual_income=60.0)
    fresh = AppTest.from_file(app_test._script_path, default_timeout=15)
    fresh.query_params["id"] = customer["id"]
    fresh.switch_page("app_pages/customer.py").run()
    assert [field.label for field in fresh.text_input] == ["Email", "Password"]
    fresh.switch_page("app_pages/login.py").run()  # where the browser now is
    sign_in(fresh, "owner@example.com", "owner-password")
    assert not fresh.exception
    assert fresh.query_params["id"] == [customer["id"]] or fresh.query_params["id"] == customer["id"]
    assert "Ana Lima" in [title.value for title in fresh.title]


def test_an_expired_session_signs_in_again_to_the_same_customer(signed_in, fake):
    api = ApiClient(get_settings(), next(iter(fake.valid_tokens)))
    customer = api.create_customer(name="Bia Costa", gender="female", age=33, annual_income=50.0)
    signed_in.query_params["id"] = customer["id"]
    signed_in.switch_page("app_pages/customer.py").run()
    assert "Bia Costa" in [title.value for title in signed_in.title]
    fake.expire_all_tokens()
    signed_in.run()
    assert "Your session expired, please sign in again." in [info.value for info in signed_in.info]
    signed_in.switch_page("app_pages/login.py").run()  # where the browser now is
    sign_in(signed_in, "owner@example.com", "owner-password")
    assert not signed_in.exception
    assert "Bia Costa" in [title.value for title in signed_in.title]


@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_account_changes_name_and_email_and_shows_the_result(signed_in, fake, locale):
    in_locale(signed_in, locale)
    signed_in.switch_page("app_pages/account.py").run()
    name_label = {"en": "Name", "pt-BR": "Nome"}[locale]
    save = {"en": "Save name and email", "pt-BR": "Salvar nome e e-mail"}[locale]
    name_field = next(field for field in signed_in.text_input if field.label == name_label)
    name_field.input(NAME_WITH_IMAGE)
    click(signed_in, save)
    assert not signed_in.exception
    owner = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    assert owner["name"] == NAME_WITH_IMAGE
    # The new name shows at once, as plain text only (never a Markdown image or link).
    assert NAME_WITH_IMAGE in [text.value for text in signed_in.sidebar.text]
    assert all("](http" not in body for body in markdown_bodies(signed_in))
    assert all("](http" not in toast.value for toast in signed_in.toast)
    # An empty name: a sentence in the user's language, never pydantic's words.
    next(field for field in signed_in.text_input if field.label == name_label).input("")
    click(signed_in, save)
    expected = {
        "en": "Could not save the name and email: Please correct: Name: needs at least 1 characters.",
        "pt-BR": (
            "Não foi possível salvar o nome e o e-mail: Corrija: Nome: precisa de pelo menos 1 caracteres."
        ),
    }[locale]
    assert [error.value for error in signed_in.error] == [expected]


def test_change_password_continues_with_the_fresh_token(signed_in, fake):
    signed_in.switch_page("app_pages/account.py").run()
    fields = {field.label: field for field in signed_in.text_input}
    fields["Current password"].input("owner-password")
    fields["New password"].input("brand-new-password")
    fields["Repeat the new password"].input("brand-new-password")
    click(signed_in, "Change password")
    assert [s.value for s in signed_in.success] == [
        "Password changed. Your other sessions have been signed out."
    ]
    # The old token is void at the fake (as at auth); the page keeps working on the fresh one.
    signed_in.switch_page("app_pages/customers.py").run()
    assert signed_in.title[0].value == "Customers" and not signed_in.error


@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_admin_creates_an_account_that_appears_at_once_and_the_form_clears(signed_in_admin, fake, locale):
    at = in_locale(signed_in_admin, locale)
    at.switch_page("app_pages/admin.py").run()
    at.text_input(key="admin_new_email").input("new@example.com")
    at.text_input(key="admin_new_name").input("New Person")
    at.text_input(key="admin_new_password").input("long-enough-password")
    click(at, {"en": "Create account", "pt-BR": "Criar conta"}[locale])
    assert not at.exception
    email_column = {"en": "Email", "pt-BR": "E-mail"}[locale]
    assert "new@example.com" in list(at.dataframe[0].value[email_column])
    assert at.text_input(key="admin_new_email").value == ""
    assert at.text_input(key="admin_new_password").value == ""
    assert [toast.value for toast in at.toast] == [
        {"en": "Created new@example\\.com.", "pt-BR": "new@example\\.com criada."}[locale]
    ]


def test_admin_resets_a_password_and_the_user_must_choose_a_new_one(signed_in_admin, fake, app_test):
    at = signed_in_admin
    at.switch_page("app_pages/admin.py").run()
    owner = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    at.selectbox(key="admin_selected").set_value(owner["id"]).run()
    at.button(key="admin_reset").click().run()
    at.button(key="admin_reset_confirm").click().run()
    assert not at.exception
    [shown] = [block.value for block in at.code]
    assert shown == owner["password"] and owner["must_change_password"]
    at.button(key="admin_reset_dismiss").click().run()
    assert not at.code  # shown once

    # The owner signs in with it and gets only the "choose a new password" form, in Portuguese here.
    user = in_locale(AppTest.from_file(app_test._script_path, default_timeout=15), "pt-BR")
    user.run()
    sign_in(user, "owner@example.com", shown, button="Entrar")
    assert user.title[0].value == "Escolha uma nova senha"
    fields = {field.label: field for field in user.text_input}
    fields["Senha temporária"].input(shown)
    fields["Nova senha"].input("my-own-new-password")
    fields["Repita a nova senha"].input("my-own-new-password")
    click(user, "Salvar a nova senha")
    assert not user.exception
    assert user.title[0].value != "Escolha uma nova senha"
    assert user.sidebar.button(key="sign_out").label == "Sair"
    assert owner["password"] == "my-own-new-password" and not owner["must_change_password"]


def test_a_403_password_change_required_sends_to_the_form(signed_in, fake):
    owner = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    owner["must_change_password"] = True
    signed_in.switch_page("app_pages/dashboard.py").run()
    assert not signed_in.exception
    assert signed_in.title[0].value == "Choose a new password"


@pytest.mark.parametrize(
    ("locale", "summary", "figure", "store_choice"),
    [
        ("en", "version fake-1", "0.350 ± 0.050", "(forward chaining, not shuffled cross-validation)"),
        ("pt-BR", "versão fake-1", "0,350 ± 0,050", "(encadeamento para a frente, não validação cruzada"),
    ],
)
def test_model_card_in_each_language(signed_in, locale, summary, figure, store_choice):
    in_locale(signed_in, locale)
    signed_in.switch_page("app_pages/model.py").run()
    assert not signed_in.exception
    assert any(summary in text.value for text in signed_in.text)
    assert signed_in.table[0].value.iloc[0].iloc[0] == figure
    # Which check chooses a store's correction: the later scores, by what the earlier ones taught.
    assert any(store_choice in text.value for text in signed_in.markdown)


def test_admin_refusal_in_portuguese(signed_in):
    in_locale(signed_in, "pt-BR")
    signed_in.switch_page("app_pages/admin.py").run()
    assert signed_in.error[0].value.startswith("Esta página é só para administradores.")
