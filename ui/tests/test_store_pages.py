"""The store pages (customers list, customer, dashboard, import/export) against the fake services, in
English and in Portuguese: the list as the way in, the URL as its state, field checks, warnings, segments."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

LOCALES = ["en", "pt-BR"]
WORDS = {
    "en": {
        "add": "Add customer",
        "create": "Create customer",
        "welcome": "Welcome to SpendScore",
        "name": "Name *",
        "age": "Age *",
        "income": "Annual income (k$) *",
        "observed": "Actual spending score (optional)",
        "female": "Female",
        "name_missing": "Enter the customer's name.",
        "age_200": "200 is not a possible age: enter between 1 and 120 years.",
        "created": "Created Ana Lima: spending score",
        "warning": "Age 3 lies outside the ages the model learned from (18 to 70)",
        "save": "Save changes",
        "predict": "Predict again",
        "customers": "Customers",
        "modes": "Customers like this one are of two kinds: some score around 20, others around 80;",
        "segment": "Segment: Savers",
    },
    "pt-BR": {
        "add": "Adicionar cliente",
        "create": "Criar cliente",
        "welcome": "Boas-vindas ao SpendScore",
        "name": "Nome *",
        "age": "Idade *",
        "income": "Renda anual (mil $) *",
        "observed": "Pontuação de gastos real (opcional)",
        "female": "Feminino",
        "name_missing": "Informe o nome do cliente.",
        "age_200": "200 não é uma idade possível: informe entre 1 e 120 anos.",
        "created": "Ana Lima criado(a): pontuação de gastos",
        "warning": "A idade 3 está fora das idades com que o modelo aprendeu (18 a 70)",
        "save": "Salvar alterações",
        "predict": "Prever de novo",
        "customers": "Clientes",
        "modes": "uns têm pontuação por volta de 20, outros por volta de 80;",
        "segment": "Segmento: Poupadores",
    },
}
SEGMENT = {
    "id": "savers",
    "name": {"en": "Savers", "pt-BR": "Poupadores"},
    "description": {"en": "High income, low spending: win them over.", "pt-BR": "Renda alta, gasto baixo."},
    "probability": 0.8,
    "centroid": {"annual_income": 88.0, "spending_score": 17.0},  # (the model card's fields)
    "size": 35,
    "share": 0.175,
}


@pytest.fixture
def owner(app_test: AppTest, submit_login, request) -> AppTest:
    """Signed in as the owner, in the locale the test is parametrised with (English otherwise)."""
    locale = getattr(request, "param", "en")
    app_test.context["locale"] = locale
    app_test.context["timezone"] = "America/Sao_Paulo"
    app_test.run()
    return submit_login(app_test, "owner@example.com", "owner-password")


def texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "info", "error", "warning", "success", "caption", "title", "header", "toast")
    return [element.value for kind in kinds for element in at.get(kind) if isinstance(element.value, str)]


def param(at: AppTest, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(widget for widget in at.button if widget.label == label)


def number_field(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    """Numbers are typed as text and read the locale's way (issue 23)."""
    [field] = [field for field in at.text_input if field.label == label]
    return field


def fill_customer(at: AppTest, words: dict[str, str], *, name: str, age: float | None, income: float | None):
    [name_input] = [field for field in at.text_input if field.label == words["name"]]
    name_input.input(name)
    [gender] = [radio for radio in at.radio if radio.key == "create_customer_gender"]
    gender.set_value("female")
    number_field(at, words["age"]).input("" if age is None else f"{age:g}")
    number_field(at, words["income"]).input("" if income is None else f"{income:g}")
    button(at, words["create"]).click().run()
    return at


def add_customer(at: AppTest, words: dict[str, str], name: str, age: float, income: float) -> AppTest:
    button(at, words["add"]).click().run()
    return fill_customer(at, words, name=name, age=age, income=income)


def seed(fake, count: int) -> None:  # type: ignore[no-untyped-def]
    owner_id = next(user["id"] for user in fake.users.values() if user["email"] == "owner@example.com")
    for number in range(count):
        customer_id = f"00000000-0000-0000-0000-{number:012d}"
        fake.customers[customer_id] = {
            "id": customer_id,
            "owner_id": owner_id,
            "name": f"Customer {number:02d}",
            "gender": "female" if number % 2 else "male",
            "age": 20 + number,
            "annual_income": 40.0,
            "created_at": f"2026-01-01T00:00:{number:02d}+00:00",
            "updated_at": f"2026-01-01T00:00:{number:02d}+00:00",
        }
        fake.store_prediction(customer_id)


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_welcome_then_the_dialog_checks_each_field_then_creates(owner, fake, read_list_table):
    at, words = owner, WORDS[owner.context["locale"]]
    assert words["welcome"] in texts(at)
    button(at, words["add"]).click().run()
    assert not at.exception
    # Nothing pre-filled: a forgotten age or income must not become made-up data.
    numbers = (words["age"], words["income"], words["observed"])
    assert [number_field(at, label).value for label in numbers] == ["", "", ""]
    fill_customer(at, words, name="", age=200, income=None)
    shown = texts(at)
    assert any(words["name_missing"] in text for text in shown)
    assert any(words["age_200"] in text for text in shown)
    assert not fake.customers  # refused before anything was sent
    fill_customer(at, words, name="Ana Lima", age=30, income=60.0)
    assert at.success[0].value.startswith(words["created"])
    table = read_list_table(at)
    assert table.column(table.headers[0]) == ["Ana Lima"]
    assert words["female"] in table.rows[0].values()
    stored = next(iter(fake.customers.values()))
    assert (stored["age"], stored["annual_income"]) == (30, 60.0)


@pytest.mark.parametrize("owner", ["pt-BR"], indirect=True)
def test_phone_and_email_in_the_add_dialog_and_the_edit_form(owner, fake):
    """In Portuguese (the English words come from the same catalogue keys, checked by test_i18n)."""
    at, words = owner, WORDS["pt-BR"]
    phone_label, email_label = "Telefone (opcional)", "E-mail (opcional)"
    phone_error, phone_shown = "Informe o DDD e o número", "Telefone: +5511987654321"
    button(at, words["add"]).click().run()
    number_field(at, phone_label).input("12-ab")
    fill_customer(at, words, name="Ana Lima", age=30, income=60.0)
    assert any(phone_error in text for text in texts(at)) and not fake.customers
    number_field(at, phone_label).input("(11) 98765-4321")
    number_field(at, email_label).input("ana@example.com")
    button(at, words["create"]).click().run()
    customer_id, stored = next(iter(fake.customers.items()))
    assert (stored["phone"], stored["email"]) == ("+5511987654321", "ana@example.com")
    at.query_params["id"] = customer_id
    at.switch_page("app_pages/customer.py").run()
    assert any(phone_shown in text for text in texts(at))
    assert number_field(at, phone_label).value == "+5511987654321"
    number_field(at, email_label).input("")
    button(at, words["save"]).click().run()
    assert not at.exception
    assert (stored["phone"], stored["email"]) == ("+5511987654321", None)


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_extrapolation_warned_on_create_on_the_page_and_in_the_list(owner, fake, read_list_table):
    at, words = owner, WORDS[owner.context["locale"]]
    add_customer(at, words, "Ana Lima", 3, 5000.0)
    assert not fake.customers  # outside the training data: asked first (issue 23)
    [confirm] = at.checkbox
    confirm.check()
    button(at, words["create"]).click().run()
    assert any(words["warning"] in warning.value for warning in at.warning)
    assert read_list_table(at).column("⚠") == ["⚠"]
    at.query_params["id"] = next(iter(fake.customers))
    at.switch_page("app_pages/customer.py").run()
    assert any(words["warning"] in warning.value for warning in at.warning)
    assert len(at.warning) == 2  # age and income


def test_the_view_comes_from_the_url_and_goes_back_into_it(app_test, fake, submit_login, read_list_table):
    seed(fake, 30)
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    at.query_params.update({"sort": "age", "page": "2", "gender": "female"})
    at.switch_page("app_pages/customers.py").run()
    names = read_list_table(at).column("Name")
    assert names == [f"Customer {number:02d}" for number in range(1, 30, 2)]
    assert at.selectbox(key="sort").value == "age" and at.selectbox(key="gender").value == "female"
    # 15 women: one page only, so page 2 falls back to page 1
    assert at.session_state["page"] == 1 and param(at, "page") is None
    at.selectbox(key="band").select("medium").run()
    assert param(at, "band") == "medium"
    assert param(at, "sort") == "age" and param(at, "gender") == "female"
    # A bad value in a bookmark falls back to the default instead of failing.
    at.query_params["sort"] = "drop table"
    at.run()
    assert at.selectbox(key="sort").value == "-created_at" and not at.exception


def test_pages_of_25_and_a_search_that_shrinks_the_list(app_test, fake, submit_login, read_list_table):
    seed(fake, 30)
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    at.selectbox(key="sort").select("age").run()
    assert len(read_list_table(at).rows) == 25
    at.session_state["page"] = 2
    at.run()
    assert read_list_table(at).column("Name") == [f"Customer {n}" for n in range(25, 30)]
    assert param(at, "page") == "2"
    assert any("Showing 26–30 of 30 customers." in caption.value for caption in at.caption)
    at.text_input(key="q").input("Customer 1").run()
    assert not at.exception
    assert len(read_list_table(at).rows) == 10 and at.session_state["page"] == 1


def test_a_name_links_to_its_customer_and_back_and_a_header_links_to_the_server_sort(
    app_test, fake, submit_login, read_list_table
):
    seed(fake, 3)
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    table = read_list_table(at)
    assert table.sort_links["Age"] == "/customers?sort=age" and table.sorted_as == {"Added ↓": "descending"}
    at.query_params["sort"] = "age"  # the header's link followed
    at.run()
    table = read_list_table(at)
    assert param(at, "sort") == "age" and table.sorted_as == {"Age ↑": "ascending"}
    assert table.column("Name") == ["Customer 00", "Customer 01", "Customer 02"]
    assert table.sort_links["Age ↑"] == "/customers?sort=-age"
    link = table.customer_links[1]
    assert link == "/customer?id=00000000-0000-0000-0000-000000000001&back=sort%3Dage"
    # The link opens a new page load: nothing of this session's list state but what the URL carries.
    del at.session_state["customers_view"]
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(urlsplit(link).query)))
    at.switch_page("app_pages/customer.py").run()
    assert at.title[0].value == "Customer 01"
    [back] = [element for element in at.get("page_link") if element.proto.label == "All customers"]
    assert "sort" in str(back.proto) and "age" in str(back.proto)


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_customer_page_segment_modes_observed_score_and_toasts(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    add_customer(at, words, "Ana Lima", 30, 60.0)
    customer_id = next(iter(fake.customers))
    fake.customer_extra[customer_id] = {"segment": SEGMENT, "segment_source": "predicted"}
    fake.prediction_extra[customer_id] = {"modes": [80.0, 20.0]}
    at.query_params["id"] = customer_id
    at.switch_page("app_pages/customer.py").run()
    shown = texts(at)
    assert any(words["modes"] in text for text in shown)
    assert any(words["segment"] in text for text in shown)
    assert any(SEGMENT["description"][owner.context["locale"]] in text for text in shown)
    assert len(at.get("vega_lite_chart")) == 1
    number_field(at, words["observed"]).input("150")
    button(at, words["save"]).click().run()
    assert any("1" in text and "100" in text and ":red[" in text for text in texts(at))
    assert "observed_score" not in fake.customer_extra[customer_id]
    number_field(at, words["observed"]).input("42")
    number_field(at, words["age"]).input("45")
    button(at, words["save"]).click().run()
    assert fake.customer_extra[customer_id]["observed_score"] == 42
    assert len(fake.history[customer_id]) == 2
    assert at.toast and "Ana Lima" in at.toast[0].value
    assert len(at.dataframe[0].value) == 2  # the history table, newest first
    button(at, words["predict"]).click().run()
    new_score = fake.history[customer_id][-1].spending_score
    assert at.toast and f"{new_score:.0f}" in at.toast[0].value


def test_delete_asks_first_then_returns_to_the_list(owner, fake):
    add_customer(owner, WORDS["en"], "Ana Lima", 30, 60.0)
    owner.query_params["id"] = next(iter(fake.customers))
    owner.switch_page("app_pages/customer.py").run()
    owner.button(key="delete_customer").click().run()
    assert "goes to Recently deleted" in owner.warning[0].value
    assert len(fake.customers) == 1
    owner.button(key="confirm_delete_customer").click().run()
    assert fake.customers == {}
    assert owner.title[0].value == "Customers" and "Deleted Ana Lima" in owner.toast[0].value


def test_unknown_customer_and_pending_prediction(owner, fake):
    owner.query_params["id"] = "00000000-0000-0000-0000-000000000000"
    owner.switch_page("app_pages/customer.py").run()
    assert "does not exist" in owner.warning[0].value and not owner.exception
    fake.inference_unavailable = True
    owner.switch_page("app_pages/customers.py").run()
    add_customer(owner, WORDS["en"], "Ana Lima", 30, 60.0)
    assert "The score is pending" in owner.success[0].value
    owner.query_params["id"] = next(iter(fake.customers))
    owner.switch_page("app_pages/customer.py").run()
    assert "pending" in owner.info[0].value
    button(owner, "Predict again").click().run()
    assert owner.warning[0].value.startswith("Could not predict:") and not owner.exception


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_dashboard_empty_state_then_charts_segments_and_accuracy(owner, fake):
    at, words = owner, WORDS[owner.context["locale"]]
    at.switch_page("app_pages/dashboard.py").run()
    assert len(at.get("page_link")) >= 2 and not at.get("vega_lite_chart")
    at.switch_page("app_pages/customers.py").run()
    add_customer(at, words, "Ana Lima", 30, 60.0)
    add_customer(at, words, "Bruno Souza", 64, 20.0)
    at.switch_page("app_pages/dashboard.py").run()
    assert {metric.value for metric in at.metric} >= {"2"}
    assert len(at.get("vega_lite_chart")) == 4
    # A bar takes a mouse: each band with customers has a link too (both customers are medium here).
    band_links = [link.proto for link in at.get("page_link") if "band=" in link.proto.query_string]
    label = {
        "en": "List the customers of the “medium” band (2)",
        "pt-BR": "Listar os clientes da faixa “média” (2)",
    }
    assert [(link.query_string, link.label) for link in band_links] == [
        ("band=medium", label[at.context["locale"]])
    ]
    fake.model_extra["segments"] = [SEGMENT]
    fake.dashboard_extra.update(
        {
            "by_segment": [{"id": "savers", "name": SEGMENT["name"], "count": 2}],
            "scatter": [
                {"annual_income": 60.0, "spending_score": 40.0, "segment": "savers", "observed": False},
                {"annual_income": 20.0, "spending_score": 30.0, "segment": "savers", "observed": True},
            ],
            "accuracy": {"observed_count": 34, "mae": 14.2, "r2": 0.3, "interval_coverage": 0.81},
        }
    )
    at.run()
    assert len(at.get("vega_lite_chart")) == 6
    sentence = {
        "en": "On 34 customers whose score you entered, the model was off by 14 points on average.",
        "pt-BR": "Em 34 clientes cuja pontuação você informou, o modelo errou em média 14 pontos.",
    }
    assert any(sentence[at.context["locale"]] in text and "81%" in text for text in texts(at))


def test_the_segment_filter_reaches_the_service(app_test, fake, submit_login, read_list_table):
    fake.model_extra["segments"] = [SEGMENT]  # the model's segments are read once per sign-in (cached)
    seed(fake, 2)
    fake.customer_extra["00000000-0000-0000-0000-000000000001"] = {"segment": SEGMENT}
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    at.query_params["segment"] = "savers"
    at.switch_page("app_pages/customers.py").run()
    assert (
        "segment=savers"
        in next(call for call in reversed(fake.requests) if call["path"] == "/customers")["query"]
    )
    table = read_list_table(at)
    assert table.column("Name") == ["Customer 01"] and table.column("Segment") == ["Savers"]


@pytest.mark.parametrize("owner", LOCALES, indirect=True)
def test_import_all_or_nothing_then_partial_with_the_rejected_rows(owner, fake):
    at = owner
    at.switch_page("app_pages/import_export.py").run()
    bad_csv = b"name,gender,age,annual_income\nAna,f,30,60\nBruno,x,40,20\nCarla,f,300,20\n"
    at.get("file_uploader")[0].upload("customers.csv", bad_csv, "text/csv").run()
    assert list(at.dataframe[0].value["name"]) == ["Ana", "Bruno", "Carla"]
    next(b for b in at.button if b.label in ("Import", "Importar")).click().run()
    assert not fake.customers
    problems = at.dataframe[-1].value
    assert list(problems.iloc[:, 0]) == ["3", "4"]
    at.radio(key="import_partial").set_value(True)
    next(b for b in at.button if b.label in ("Import", "Importar")).click().run()
    assert len(fake.customers) == 1
    done = {"en": "Imported 1 customer.", "pt-BR": "1 cliente importado."}[at.context["locale"]]
    assert at.success[0].value == done
    rejected = at.dataframe[-1].value
    assert list(rejected.iloc[:, 0]) == ["3", "4"]
    assert at.get("file_uploader")[0].value is None  # emptied: no accidental second import
    assert len(at.get("download_button")) == 4  # two templates, CSV and Excel exports
