"""The customer form (create and edit): empty required fields, checks in plain words next to each field."""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from spendscore_ui.api_client import ApiError
from spendscore_ui.i18n import escape_markdown, field_error, format_integer, format_number, gender_label, t
from spendscore_ui.locale_numbers import parse_number, typed_form
from spendscore_ui.plausibility import outside_training
from spendscore_ui.store_money import StoreMoney

JsonObject = dict[str, Any]

GENDERS = ("female", "male")
# The customers service's limits (customers_service.schemas): checked here first so that the user gets
# a sentence next to the field instead of a refused request.
MAX_NAME_LENGTH = 200
# Age 0 is no customer (issue 23): the service refuses it too.
MIN_AGE, MAX_AGE = 1, 120
MAX_INCOME = 100_000
MIN_OBSERVED, MAX_OBSERVED = 1, 100
# Contacts (issue 24): the service reads a phone the Brazilian ways and stores it in E.164; the form
# refuses what can be no phone or e-mail at all, and shows the service's refusal of the rest.
MAX_PHONE_INPUT, MAX_EMAIL_LENGTH = 40, 254
_PHONE = re.compile(r"\+?[\d\s().\-/]{8,39}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
FIELDS = ("name", "gender", "age", "annual_income", "observed_score", "phone", "email")
CONTACT_FIELDS = ("phone", "email")


ERROR_SLOT_PREFIX = "field_error_"

# A form does not rerun while it is being filled in, so a field's error (drawn at the last submit) would
# stay under the field after the user fixed it: hide it as soon as the field changes; a submit shows
# whatever errors the new run draws.
HIDE_FIXED_ERRORS_SCRIPT = f"""<script>
(() => {{
  if (window.spendscoreFieldErrors) return;
  window.spendscoreFieldErrors = true;
  const SLOT = '[class*="st-key-{ERROR_SLOT_PREFIX}"]';
  const hideNext = (event) => {{
    const field = event.target.closest && event.target.closest('[data-testid="stElementContainer"]');
    const next = field && field.nextElementSibling;
    const slot = next && (next.matches(SLOT) ? next : next.querySelector(SLOT));
    if (slot && !event.target.closest(SLOT)) slot.style.display = "none";
  }};
  document.addEventListener("input", hideNext, true);
  document.addEventListener("change", hideNext, true);
  const showAll = () => document.querySelectorAll(SLOT).forEach((slot) => {{ slot.style.display = ""; }});
  document.addEventListener("click", (event) => {{
    if (event.target.closest && event.target.closest('[data-testid="stFormSubmitButton"]')) showAll();
  }}, true);
  document.addEventListener("keydown", (event) => {{
    const inForm = event.target.closest && event.target.closest('[data-testid="stForm"]');
    if (event.key === "Enter" && inForm) showAll();
  }}, true);
}})();
</script>"""


@dataclass
class FormResult:
    """What the user entered: the API payload when every field is valid, else one message per field."""

    values: JsonObject = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def check_customer(
    *,
    name: str,
    gender: str | None,
    age: float | None,
    income: float | None,
    observed: float | None,
    phone: str = "",
    email: str = "",
) -> FormResult:
    """The payload for these inputs, or the reason each bad one is refused (observed score, phone and
    e-mail optional: an empty one is left out of the payload)."""
    result = FormResult()
    clean_name = (name or "").strip()
    if not clean_name:
        result.errors["name"] = t("form.error.name_missing")
    elif len(clean_name) > MAX_NAME_LENGTH:
        result.errors["name"] = t("form.error.name_too_long", max=MAX_NAME_LENGTH)
    else:
        result.values["name"] = clean_name
    if gender not in GENDERS:
        result.errors["gender"] = t("form.error.gender_missing")
    else:
        result.values["gender"] = gender
    if age is None:
        result.errors["age"] = t("form.error.age_missing")
    elif age != int(age):
        result.errors["age"] = t("form.error.age_whole")
    elif not MIN_AGE <= age <= MAX_AGE:
        result.errors["age"] = t(
            "form.error.age_range", value=format_number(age, decimals=2), min=MIN_AGE, max=MAX_AGE
        )
    else:
        result.values["age"] = int(age)
    if income is None:
        result.errors["annual_income"] = t("form.error.income_missing")
    elif not math.isfinite(income) or not 0 <= income <= MAX_INCOME:
        result.errors["annual_income"] = t("form.error.income_range", max=format_integer(MAX_INCOME))
    else:
        result.values["annual_income"] = float(income)
    if observed is not None:
        if observed != int(observed) or not MIN_OBSERVED <= observed <= MAX_OBSERVED:
            result.errors["observed_score"] = t(
                "form.error.observed_range", min=MIN_OBSERVED, max=MAX_OBSERVED
            )
        else:
            result.values["observed_score"] = int(observed)
    phone, email = phone.strip(), email.strip()
    if phone and not (_PHONE.fullmatch(phone) and sum(char.isdigit() for char in phone) >= 8):
        result.errors["phone"] = t("form.error.phone")
    elif phone:
        result.values["phone"] = phone
    if email and not (len(email) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(email)):
        result.errors["email"] = t("form.error.email")
    elif email:
        result.values["email"] = email
    return result


def server_errors(error: ApiError) -> dict[str, str]:
    """The service's per-field problems (a 422), keyed by form field (an income in the store's unit
    is the income field's)."""
    errors = {}
    for name in FIELDS:
        message = field_error(error, name) or (
            field_error(error, "income_amount") if name == "annual_income" else None
        )
        if message:
            # The service explains a contact it refuses in English only: the catalogue says it.
            errors[name] = t(f"form.error.{name}") if name in CONTACT_FIELDS else message
    return errors


def read_numbers(typed: Mapping[str, str | None]) -> tuple[dict[str, float | None], dict[str, str]]:
    """The typed age, income and observed score read the locale's way, and a sentence for each that
    cannot be read (a field left empty is None, for ``check_customer`` to judge)."""
    numbers: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    for name, text in typed.items():
        read = parse_number(text)
        if read.error is not None:
            errors[name] = read.error
        numbers[name] = read.value
    return numbers, errors


def customer_form(
    form_key: str,
    current: JsonObject | None,
    submit_label: str,
    *,
    with_observed: bool = False,
    training_ranges: dict[str, tuple[float, float]] | None = None,
    money: StoreMoney | None = None,
) -> tuple[FormResult | None, dict[str, Any]]:
    """Draw the form; on submit return what was entered (checked) and placeholders under each field, so
    that the caller can also put the service's own per-field refusals there.

    Numbers are typed as text and read the locale's way (``locale_numbers``). An age or income outside
    ``training_ranges`` is not sent until the owner ticks the confirmation shown under it. With the
    store's own ``money`` (issue 23) the income is typed in it and sent as ``income_amount``."""
    existing = current or {}
    money = money or StoreMoney()
    typed_income = typed_form(money.amount_of(existing)) if existing else ""
    confirm_key = f"{form_key}_confirm_outside"
    with st.form(form_key, border=False):
        name = st.text_input(t("form.name"), value=existing.get("name", ""), key=f"{form_key}_name")
        slots = {"name": _error_slot(form_key, "name")}
        gender_index = GENDERS.index(existing["gender"]) if existing.get("gender") in GENDERS else None
        gender = st.radio(
            t("form.gender"),
            GENDERS,
            index=gender_index,
            format_func={gender: gender_label(gender) for gender in GENDERS}.__getitem__,
            horizontal=True,
            key=f"{form_key}_gender",
        )
        slots["gender"] = _error_slot(form_key, "gender")
        left, right = st.columns(2)
        with left:
            age = st.text_input(
                t("form.age"),
                value=typed_form(existing.get("age"), decimals=0),
                max_chars=40,
                placeholder=t("form.age_placeholder"),
                key=f"{form_key}_age",
            )
            slots["age"] = _error_slot(form_key, "age")
        with right:
            income = st.text_input(
                t("form.income") if money.is_model_unit else t("money.form_income", unit=money.unit_text()),
                value=typed_income,
                max_chars=40,
                placeholder=t("form.income_placeholder")
                if money.is_model_unit
                else t("money.form_placeholder", unit=money.unit_text()),
                help=None if money.is_model_unit else escape_markdown(money.factor_sentence()),
                key=f"{form_key}_income",
            )
            slots["annual_income"] = _error_slot(form_key, "annual_income")
        typed = {"age": age, "annual_income": income}
        if with_observed:
            typed["observed_score"] = st.text_input(
                t("form.observed"),
                value=typed_form(existing.get("observed_score"), decimals=0),
                max_chars=40,
                placeholder=t("form.observed_placeholder"),
                help=t("form.observed_help"),
                key=f"{form_key}_observed",
            )
            slots["observed_score"] = _error_slot(form_key, "observed_score")
        phone_column, email_column = st.columns(2)
        with phone_column:
            phone = _contact_input(form_key, "phone", existing, slots, max_chars=MAX_PHONE_INPUT)
        with email_column:
            email = _contact_input(form_key, "email", existing, slots, max_chars=MAX_EMAIL_LENGTH)
        # Shown once a save met an input the model never learned from: ticking it lets those same values
        # through on the next save (other values are asked about again).
        asked = st.session_state.get(confirm_key + "_asked")
        confirmed = bool(asked) and st.checkbox(t("plausibility.confirm"), key=confirm_key)
        if asked:
            show_field_errors(slots, asked["messages"], icon="help", colour="orange")
        st.caption(t("form.required_note"))
        submitted = st.form_submit_button(submit_label, type="primary")
    if not submitted:
        return None, slots
    numbers, unreadable = read_numbers(typed)
    amount = numbers["annual_income"]
    result = check_customer(
        name=name,
        gender=gender,
        age=numbers["age"],
        income=None if amount is None else money.to_model(amount),
        observed=numbers.get("observed_score"),
        phone=phone,
        email=email,
    )
    if "annual_income" in result.errors and amount is not None and not money.is_model_unit:
        result.errors["annual_income"] = t(
            "money.form_error_range",
            max=format_integer(money.from_model(MAX_INCOME)),
            unit=money.unit_text(),
        )
    result.errors.update(unreadable)  # the reader's sentence says more than "enter a number"
    if not result.errors:
        doubtful = outside_training(result.values, training_ranges or {}, money)
        checked = {field_name: result.values.get(field_name) for field_name in doubtful}
        if doubtful and not (confirmed and asked and asked["values"] == checked):
            st.session_state[confirm_key + "_asked"] = {"values": checked, "messages": doubtful}
            st.session_state.pop(confirm_key, None)
            st.rerun()  # draws the form again with the question and the box to tick
    if not result.errors:
        st.session_state.pop(confirm_key + "_asked", None)
        if not money.is_model_unit:
            _send_store_amount(result.values, existing, amount, unchanged=income.strip() == typed_income)
    show_field_errors(slots, result.errors)
    return result, slots


def _send_store_amount(
    values: JsonObject, existing: JsonObject, amount: float | None, *, unchanged: bool
) -> None:
    """The income as typed in the store's unit; an income left as shown keeps the customer's model
    value (shown rounded, it would read back as another income and score again)."""
    if unchanged and existing:
        values["annual_income"] = existing["annual_income"]
    else:
        del values["annual_income"]
        values["income_amount"] = amount


def _contact_input(
    form_key: str, name: str, existing: JsonObject, slots: dict[str, Any], *, max_chars: int
) -> str:
    """An optional phone or e-mail field with its error slot; the stored value to start from."""
    typed: str = st.text_input(
        t(f"form.{name}"),
        value=existing.get(name) or "",
        max_chars=max_chars,
        placeholder=t(f"form.{name}_placeholder"),
        key=f"{form_key}_{name}",
    )
    slots[name] = _error_slot(form_key, name)
    return typed


def _error_slot(form_key: str, name: str) -> Any:
    """The place under a field for its error: marked by its key, so that the page script can hide it
    once the field changes (HIDE_FIXED_ERRORS_SCRIPT)."""
    with st.container(key=f"{ERROR_SLOT_PREFIX}{form_key}_{name}"):
        return st.empty()


def show_field_errors(
    slots: dict[str, Any], errors: dict[str, str], *, icon: str = "error", colour: str = "red"
) -> None:
    for name, message in errors.items():
        slot = slots.get(name)
        if slot is not None:
            slot.markdown(f":{colour}[:material/{icon}: {message}]")
