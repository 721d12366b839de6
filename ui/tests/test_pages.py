"""The model, admin and account pages against the fake services (the store pages: test_store_pages.py)."""


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
    signed_in.text_input(key="delete_me_password").input("my-password").run()
    next(button for button in signed_in.button if button.label == "Delete my account").click().run()
    assert all(user["email"] != "owner@example.com" for user in fake.users.values())
    assert "Your account was deleted." in [info.value for info in signed_in.info]
    assert "auth_token" not in signed_in.session_state
