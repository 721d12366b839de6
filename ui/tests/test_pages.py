"""Each page's logic against the fake services: forms, confirmations, charts and readable errors."""


def create_customer(at, name: str, age: int, income: float, gender: str = "Female"):
    form_inputs = [field for field in at.text_input if field.label == "Name"]
    form_inputs[-1].input(name)
    radios = [radio for radio in at.radio if radio.label == "Gender"]
    radios[-1].set_value(gender)
    ages = [number for number in at.number_input if number.label == "Age"]
    ages[-1].set_value(age)
    incomes = [number for number in at.number_input if number.label == "Annual income (k$)"]
    incomes[-1].set_value(income)
    next(button for button in at.button if button.label == "Create customer").click().run()
    return at


def test_create_customer_shows_its_score_and_lists_it(signed_in, fake):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    assert not signed_in.exception
    success = signed_in.success[0].value
    assert success.startswith("Created Ana Lima: spending score")
    stored = next(iter(fake.customers.values()))
    assert (stored["name"], stored["gender"], stored["age"], stored["annual_income"]) == (
        "Ana Lima",
        "female",
        30,
        60.0,
    )
    table = signed_in.dataframe[0].value
    assert list(table["Name"]) == ["Ana Lima"]
    assert "of 1 customers" in signed_in.caption[0].value
    signed_in.run()
    assert not signed_in.success  # the message is shown once


def test_search_and_filters_reach_the_service(signed_in, fake):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    create_customer(signed_in, "Bruno Souza", 64, 20.0, gender="Male")
    signed_in.text_input(key="customers_q").input("bru").run()
    assert list(signed_in.dataframe[0].value["Name"]) == ["Bruno Souza"]
    signed_in.text_input(key="customers_q").input("").run()
    signed_in.selectbox(key="customers_gender").select("Female").run()
    assert list(signed_in.dataframe[0].value["Name"]) == ["Ana Lima"]
    last_list_call = [call for call in fake.requests if call["path"] == "/customers"][-1]
    assert last_list_call["method"] == "GET"


def test_delete_asks_for_confirmation(signed_in, fake):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    signed_in.run()
    signed_in.button(key="delete_customer").click().run()
    assert "cannot be undone" in signed_in.warning[0].value
    assert len(fake.customers) == 1
    signed_in.button(key="confirm_delete_customer").click().run()
    assert fake.customers == {}
    assert "No customers match" in signed_in.info[0].value


def test_customer_page_edit_adds_a_point_to_the_history(signed_in, fake):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    customer_id = next(iter(fake.customers))
    signed_in.query_params["id"] = customer_id
    signed_in.switch_page("app_pages/customer.py").run()
    assert signed_in.title[0].value == "Ana Lima"
    assert len(signed_in.get("vega_lite_chart")) == 1
    [age] = [number for number in signed_in.number_input if number.label == "Age"]
    age.set_value(45)
    next(button for button in signed_in.button if button.label == "Save changes").click().run()
    assert not signed_in.exception
    history = signed_in.dataframe[0].value
    assert list(history["Age"]) == [30, 45]
    assert list(history["Model version"]) == ["fake-1", "fake-1"]
    next(button for button in signed_in.button if button.label == "Predict again").click().run()
    assert len(signed_in.dataframe[0].value) == 3


def test_unknown_customer_is_a_clear_message(signed_in):
    signed_in.query_params["id"] = "00000000-0000-0000-0000-000000000000"
    signed_in.switch_page("app_pages/customer.py").run()
    assert "does not exist" in signed_in.warning[0].value
    assert not signed_in.exception


def test_dashboard_counts_and_charts(signed_in):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    create_customer(signed_in, "Bruno Souza", 64, 20.0, gender="Male")
    signed_in.switch_page("app_pages/dashboard.py").run()
    metrics = {metric.label: metric.value for metric in signed_in.metric}
    assert metrics["Customers"] == "2"
    assert len(signed_in.get("vega_lite_chart")) == 4


def test_import_shows_each_bad_row(signed_in, fake):
    signed_in.switch_page("app_pages/import_export.py").run()
    bad_csv = b"name,gender,age,annual_income\nAna,f,30,60\nBruno,x,40,20\nCarla,f,300,20\n"
    signed_in.get("file_uploader")[0].upload("customers.csv", bad_csv, "text/csv").run()
    preview = signed_in.dataframe[0].value
    assert list(preview["name"]) == ["Ana", "Bruno", "Carla"]
    signed_in.button[0].click().run()
    assert signed_in.error[0].value == (
        'Nothing was imported: Please correct: line 3, Gender: "x" is not a gender we know: use male '
        'or female (also m, f, homem, mulher); line 4, Age: "300" is not an age: use a whole number from '
        "0 to 120."
    )
    problems = signed_in.dataframe[1].value
    assert list(problems["Line"]) == [3, 4]
    assert list(problems["Field"]) == ["gender", "age"]
    assert fake.customers == {}


def test_model_card_shows_metrics_side_by_side(signed_in):
    signed_in.switch_page("app_pages/model.py").run()
    assert not signed_in.exception
    accuracy = signed_in.table[0].value
    assert list(accuracy.columns) == ["Selected model", "Original linear model"]
    assert accuracy.iloc[0]["Selected model"] == "0.350 ± 0.050"
    assert accuracy.iloc[0]["Original linear model"] == "0.060 ± 0.040"
    assert "MSE 500.000, R² 0.020" in signed_in.caption[0].value
    ranges = signed_in.table[1].value
    assert ranges.loc["Age", "Training range"] == "18 to 70"
    assert any("explains about" in text.value for text in signed_in.text)


def test_admin_page_refuses_a_non_admin(signed_in):
    signed_in.switch_page("app_pages/admin.py").run()
    assert "administrators only" in signed_in.error[0].value
    assert not signed_in.dataframe


def test_admin_creates_a_user_and_a_422_names_the_field(signed_in_admin, fake):
    at = signed_in_admin
    at.switch_page("app_pages/admin.py").run()
    assert set(at.dataframe[0].value["Email"]) == {"owner@example.com", "admin@example.com"}
    fields = {field.label: field for field in at.text_input}
    fields["Email"].input("new@example.com")
    fields["Name"].input("New Owner")
    fields["Password"].input("short")
    next(button for button in at.button if button.label == "Create account").click().run()
    assert at.error[0].value == (
        "Could not create the account: Please correct: Password: needs at least 8 characters."
    )
    fields = {field.label: field for field in at.text_input}
    fields["Password"].input("long-enough-password")
    next(button for button in at.button if button.label == "Create account").click().run()
    assert at.toast[0].value == "Created new@example\\.com."


def test_admin_search_from_a_later_page_starts_on_the_first(signed_in_admin, fake):
    for number in range(30):
        fake.add_user(f"shopper{number:02d}@example.com", "shopper-password")
    at = signed_in_admin
    at.switch_page("app_pages/admin.py").run()
    at.number_input(key="admin_page").set_value(2).run()
    assert len(at.dataframe[0].value) == 32 - 25
    at.text_input(key="admin_q").input("owner@").run()
    assert not at.exception
    assert list(at.dataframe[0].value["Email"]) == ["owner@example.com"]
    at.text_input(key="admin_q").input("shopper").run()
    assert len(at.dataframe[0].value) == 25  # the first page of the new results
    assert at.number_input(key="admin_page").value == 1


def test_admin_deactivates_and_deletes_with_confirmation(signed_in_admin, fake):
    at = signed_in_admin
    at.switch_page("app_pages/admin.py").run()
    owner = next(user for user in fake.users.values() if user["email"] == "owner@example.com")
    at.selectbox(key="admin_selected").select(owner["id"]).run()
    next(box for box in at.checkbox if box.label == "Active (can sign in)").uncheck()
    next(button for button in at.button if button.label == "Save account").click().run()
    assert owner["is_active"] is False
    at.button(key="admin_delete").click().run()
    assert "cannot be undone" in at.warning[0].value
    at.button(key="admin_confirm").click().run()
    assert owner["id"] not in fake.users


def test_account_change_password_and_delete(signed_in, fake):
    signed_in.switch_page("app_pages/account.py").run()
    fields = {field.label: field for field in signed_in.text_input}
    fields["Current password"].input("wrong-password")
    fields["New password"].input("new-password-1")
    fields["Repeat the new password"].input("new-password-1")
    next(button for button in signed_in.button if button.label == "Change password").click().run()
    assert signed_in.error[0].value == "Could not change the password: The current password is wrong."
    signed_in.text_input(key="delete_me_confirmation").input("DELETE").run()
    next(button for button in signed_in.button if button.label == "Delete my account").click().run()
    assert all(user["email"] != "owner@example.com" for user in fake.users.values())
    assert "Your account was deleted." in [info.value for info in signed_in.info]
    assert "auth_token" not in signed_in.session_state


def test_edit_from_the_list_updates_the_row(signed_in, fake):
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    ages = [number for number in signed_in.number_input if number.label == "Age"]
    ages[0].set_value(41)  # the edit form of the selected customer comes before the create form
    next(button for button in signed_in.button if button.label == "Save changes").click().run()
    assert signed_in.success[0].value.startswith("Saved Ana Lima: score")
    assert list(signed_in.dataframe[0].value["Age"]) == [41]
    assert len(next(iter(fake.history.values()))) == 2


def test_pending_prediction_and_predict_again_while_inference_is_down(signed_in, fake):
    fake.inference_unavailable = True
    create_customer(signed_in, "Ana Lima", 30, 60.0)
    assert signed_in.success[0].value.startswith("Created Ana Lima. The score is pending")
    assert list(signed_in.dataframe[0].value["Score"]) == ["pending"]
    signed_in.query_params["id"] = next(iter(fake.customers))
    signed_in.switch_page("app_pages/customer.py").run()
    assert "pending" in signed_in.info[0].value
    assert list(signed_in.dataframe[0].value["Band"]) == ["pending"]
    next(button for button in signed_in.button if button.label == "Predict again").click().run()
    assert signed_in.warning[0].value == (
        "Could not predict: The prediction service is unavailable right now. Please try again in 5 seconds."
    )
    assert not signed_in.exception


def test_import_then_export(signed_in, fake):
    signed_in.switch_page("app_pages/import_export.py").run()
    good_csv = b"name,gender,age,annual_income\nAna,f,30,60\nBruno,male,40,20\n"
    signed_in.get("file_uploader")[0].upload("customers.csv", good_csv, "text/csv").run()
    next(button for button in signed_in.button if button.label == "Import").click().run()
    assert signed_in.success[0].value == "Imported 2 customers."
    assert len(fake.customers) == 2
    assert signed_in.get("file_uploader")[0].value is None  # emptied: no accidental second import
    next(button for button in signed_in.button if button.label == "Prepare CSV export").click().run()
    assert not signed_in.exception
    assert signed_in.session_state["export_csv"].decode().splitlines()[0] == (
        "name,gender,age,annual_income,spending_score,band"
    )
    assert len(signed_in.get("download_button")) == 1


def test_pages_of_25_and_a_filter_that_shrinks_the_list(signed_in, fake):
    owner_id = next(user["id"] for user in fake.users.values() if user["email"] == "owner@example.com")
    for number in range(30):
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
    signed_in.selectbox(key="customers_sort").select("Youngest").run()
    assert len(signed_in.dataframe[0].value) == 25
    assert signed_in.dataframe[0].value["Name"].iloc[0] == "Customer 00"
    signed_in.number_input(key="customers_page").set_value(2).run()
    assert list(signed_in.dataframe[0].value["Name"]) == [f"Customer {n}" for n in range(25, 30)]
    assert "Showing 26-30 of 30 customers" in signed_in.caption[0].value
    signed_in.text_input(key="customers_q").input("Customer 1").run()
    assert not signed_in.exception
    assert len(signed_in.dataframe[0].value) == 10
