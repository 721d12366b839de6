"""Issue 24 on the list's pages: every column sorts on the service with an arrow on its header, the
view exports as shown, and segments open the list filtered by them (against the fake services)."""

import pytest
from streamlit.testing.v1 import AppTest

from spendscore_ui.api_client import ApiClient
from spendscore_ui.catalogues import pages_en, pages_pt_br
from spendscore_ui.config import get_settings

SEGMENT = {
    "id": "savers",
    "name": {"en": "Savers", "pt-BR": "Poupadores"},
    "description": {"en": "High income, low spending.", "pt-BR": "Renda alta, gasto baixo."},
    "probability": 0.8,
    # The model card's fields: without them the fake's GET /model answers 500.
    "centroid": {"annual_income": 88.0, "spending_score": 17.0},
    "size": 35,
    "share": 0.175,
}


def param(at: AppTest, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


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
            "annual_income": 40.0 + 10 * (number % 2),
            "created_at": f"2026-01-01T00:00:{number:02d}+00:00",
            "updated_at": f"2026-01-01T00:00:{number:02d}+00:00",
        }
        fake.store_prediction(customer_id)


@pytest.fixture
def owner(app_test: AppTest, submit_login, fake) -> AppTest:
    seed(fake, 3)
    app_test.run()
    return submit_login(app_test, "owner@example.com", "owner-password")


def _load_page(at: AppTest) -> AppTest:
    return at.switch_page("app_pages/customers.py").run()


def test_every_sort_of_the_service_is_offered_in_both_languages(owner):
    from customers_service.customer_reads import SORT_KEYS

    [sort] = [box for box in owner.selectbox if box.key == "sort"]
    offered = set(sort.options)
    assert len(offered) == 2 * len(SORT_KEYS)
    for catalogue in (pages_en.MESSAGES, pages_pt_br.MESSAGES):
        for key in ("income_high", "income_low", "segment_az", "segment_za", "band_high", "observed_low"):
            assert catalogue[f"customers.sort.{key}"]


def test_every_sortable_header_links_to_the_service_sort_with_an_arrow(owner, read_list_table):
    at = owner
    assert read_list_table(at).sort_links["Income (k$)"] == "/customers?sort=annual_income"
    at.query_params["sort"] = "annual_income"
    at.run()
    table = read_list_table(at)
    assert table.sorted_as == {"Income (k$) ↑": "ascending"}
    assert table.sort_links["Income (k$) ↑"] == "/customers?sort=-annual_income"
    assert set(table.sort_links) == set(table.headers) - {"WhatsApp", "⚠"}


def test_choosing_a_sort_reaches_the_service(owner, read_list_table):
    at = owner
    [sort] = [box for box in at.selectbox if box.key == "sort"]
    sort.set_value("-age").run()
    table = read_list_table(at)
    assert table.column("Name") == ["Customer 02", "Customer 01", "Customer 00"]
    assert "Age ↓" in table.headers


def test_the_export_of_the_view_sends_its_search_filters_and_sort(owner, fake):
    at = owner
    assert any(widget.key == "customers_export_view" for widget in at.get("download_button"))
    user = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    client = ApiClient(get_settings(), fake._token_for(user))
    client.export_customers(
        semicolon=True,
        sort="-annual_income",
        language="pt-BR",
        time_zone="America/Manaus",
        q="maria",
        gender="female",
        segment="savers",
    )
    assert fake.downloads[-1] == {
        "path": "export",
        "delimiter": "semicolon",
        "format": None,
        "lang": "pt-BR",
        "tz": "America/Manaus",
        "q": "maria",
        "gender": "female",
        "band": None,
        "segment": "savers",
        "sort": "-annual_income",
    }


def test_each_segment_on_the_dashboard_links_to_the_filtered_list(owner, fake):
    at = owner
    fake.model_extra["segments"] = [SEGMENT]
    fake.dashboard_extra.update({"by_segment": [{"id": "savers", "name": SEGMENT["name"], "count": 2}]})
    at.switch_page("app_pages/dashboard.py").run()
    links = [link for link in at.get("page_link") if "Savers" in str(link.proto.label)]
    assert len(links) == 1
    assert "List the customers of “Savers” (2)" in links[0].proto.label
    assert "segment=savers" in str(links[0].proto)


def test_a_customer_with_a_phone_shows_its_whatsapp_link_in_the_list_and_on_its_page(
    app_test, fake, submit_login, read_list_table
):
    seed(fake, 2)
    typed = '<img src=x onerror=alert(1)> "Ana" & <b>Bia</b>'  # what an owner may type: shown, never run
    fake.customers["00000000-0000-0000-0000-000000000000"]["name"] = typed
    fake.customer_extra["00000000-0000-0000-0000-000000000001"] = {
        "phone": "+5511987654321",
        "whatsapp_url": "https://wa.me/5511987654321",
    }
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    table = read_list_table(at)
    assert table.column("WhatsApp") == ["Open chat", ""]  # newest first
    assert table.column("Name") == ["Customer 01", typed]
    [html] = [element.proto.body for element in at.html if "customers-table" in element.proto.body]
    assert 'href="https://wa.me/5511987654321"' in html
    assert "<img" not in html and "<b>" not in html and "&lt;img src=x" in html
    at.query_params["id"] = "00000000-0000-0000-0000-000000000001"
    at.switch_page("app_pages/customer.py").run()
    assert at.title[0].value == "Customer 01"
    buttons = [element for element in at.get("link_button") if element.proto.label == "WhatsApp"]
    assert [button.proto.url for button in buttons] == ["https://wa.me/5511987654321"]
    assert any("+5511987654321" in element.value for element in at.markdown)
    assert any(widget.key == "customer_data_download" for widget in at.get("download_button"))


def test_a_saved_view_is_kept_by_the_service_and_listed_in_the_sidebar(owner, fake):
    at = owner
    [sort] = [box for box in at.selectbox if box.key == "sort"]
    sort.set_value("-annual_income").run()
    [name] = [field for field in at.text_input if field.label == "Name of the view"]
    name.input("Richest first")
    [save] = [button for button in at.button if button.label == "Save"]
    save.click().run()
    assert [(view["name"], view["sort"], view["gender"]) for view in fake.saved_views] == [
        ("Richest first", "-annual_income", None)
    ]
    links = [link for link in at.sidebar.get("page_link") if link.proto.label == "Richest first"]
    assert len(links) == 1
    assert "-annual_income" in str(links[0].proto)
    # Renamed, then deleted, from the list's page.
    [new_name] = [field for field in at.text_input if field.label == "New name"]
    new_name.input("Top spenders")
    [rename] = [button for button in at.button if button.label == "Rename"]
    rename.click().run()
    assert [view["name"] for view in fake.saved_views] == ["Top spenders"]
    assert [link.proto.label for link in at.sidebar.get("page_link")][-1] == "Top spenders"
    [delete] = [button for button in at.button if button.label == "Delete the view"]
    delete.click().run()
    assert fake.saved_views == []
    assert all(link.proto.label != "Top spenders" for link in at.sidebar.get("page_link"))


def _pick(at: AppTest, name: str) -> None:
    [box] = [box for box in at.checkbox if box.label == name]
    box.check().run()


def test_ticked_customers_are_deleted_in_bulk_and_restored_from_recently_deleted(
    owner, fake, read_list_table
):
    at = owner
    at.toggle(key="customers_selecting").set_value(True).run()
    _pick(at, "Customer 00")
    _pick(at, "Customer 02")
    assert any("2 customers selected." in element.value for element in at.markdown)
    at.button(key="bulk_delete").click().run()
    assert "Delete 2 customers?" in at.warning[0].value and not fake.deleted  # asked first
    at.button(key="bulk_confirm").click().run()
    assert sorted(fake.deleted) == [
        "00000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-000000000002",
    ]
    assert at.success[0].value == "Moved 2 customers to Recently deleted."
    assert read_list_table(at).column("Name") == ["Customer 01"]
    at.switch_page("app_pages/deleted.py").run()
    assert {box.label for box in at.checkbox} == {"Customer 00", "Customer 02"}
    at.button(key="deleted_restore_00000000-0000-0000-0000-000000000002").click().run()
    assert list(fake.deleted) == ["00000000-0000-0000-0000-000000000000"]
    assert at.success[0].value == "Restored 1 customer."
    at.checkbox(key="deleted_pick_00000000-0000-0000-0000-000000000000").check().run()
    at.button(key="deleted_restore_selected").click().run()
    assert fake.deleted == {} and any("Nothing here" in info.value for info in at.info)


def test_all_customers_of_the_view_are_predicted_again_in_one_request(owner, fake):
    at = owner
    at.query_params["gender"] = "female"
    at.run()
    at.toggle(key="customers_selecting").set_value(True).run()
    at.checkbox(key="customers_all_matching").check().run()
    before = {customer_id: len(history) for customer_id, history in fake.history.items()}
    at.button(key="bulk_predict").click().run()
    at.button(key="bulk_confirm").click().run()
    assert at.success[0].value == "Predicted 1 customer again."
    grown = [
        customer_id for customer_id, history in fake.history.items() if len(history) > before[customer_id]
    ]
    assert grown == ["00000000-0000-0000-0000-000000000001"]  # the one woman of three
    predicted = [request for request in fake.requests if request.get("path") == "/customers/bulk/predict"]
    assert len(predicted) == 1
