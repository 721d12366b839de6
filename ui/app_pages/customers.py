"""Customers: the way in. Search, filters, sort and page live in the URL; each name links to its customer."""

import math

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.config import get_settings
from spendscore_ui.customer_form import customer_form, server_errors, show_field_errors
from spendscore_ui.customer_selection import selection_panel, show_report
from spendscore_ui.customer_table import ALL, customers_table_html, view_query
from spendscore_ui.customer_table import VIEW_DEFAULTS as URL_DEFAULTS
from spendscore_ui.customer_view import prediction_warnings, score_and_band, segment_name
from spendscore_ui.i18n import (
    band_label,
    browser_timezone,
    current_locale,
    format_integer,
    gender_label,
    t,
    t_md,
    tn,
)
from spendscore_ui.plausibility import training_ranges
from spendscore_ui.saved_views_panel import saved_views_panel
from spendscore_ui.store_money import StoreMoney
from spendscore_ui.store_money import current as store_money

session.require_login("customers")
api = session.client()
money: StoreMoney = store_money(api)

PAGE_SIZE = 25
SORTS = (
    "-created_at",
    "created_at",
    "name",
    "-name",
    "-spending_score",
    "spending_score",
    "age",
    "-age",
    "-annual_income",
    "annual_income",
    "gender",
    "-gender",
    "-band",
    "band",
    "segment",
    "-segment",
    "external_id",
    "-external_id",
    "-updated_at",
    "updated_at",
    "-observed_score",
    "observed_score",
)
ADDING = "customers_adding"  # the Add customer dialog is open


def sort_labels() -> dict[str, str]:
    # Labels are looked up once per run: AppTest calls format_func outside the script, in no locale.
    return {
        "-created_at": t("customers.sort.newest"),
        "created_at": t("customers.sort.first"),
        "name": t("customers.sort.name_az"),
        "-name": t("customers.sort.name_za"),
        "-spending_score": t("customers.sort.score_high"),
        "spending_score": t("customers.sort.score_low"),
        "age": t("customers.sort.youngest"),
        "-age": t("customers.sort.oldest"),
        "-annual_income": t("customers.sort.income_high"),
        "annual_income": t("customers.sort.income_low"),
        "gender": t("customers.sort.gender_fm"),
        "-gender": t("customers.sort.gender_mf"),
        "-band": t("customers.sort.band_high"),
        "band": t("customers.sort.band_low"),
        "segment": t("customers.sort.segment_az"),
        "-segment": t("customers.sort.segment_za"),
        "external_id": t("customers.sort.external_az"),
        "-external_id": t("customers.sort.external_za"),
        "-updated_at": t("customers.sort.updated_new"),
        "updated_at": t("customers.sort.updated_old"),
        "-observed_score": t("customers.sort.observed_high"),
        "observed_score": t("customers.sort.observed_low"),
    }


def set_page(number: int) -> None:
    """Go to a page. The pagination widget's key changes with it: a widget's own state cannot be set."""
    st.session_state["page"] = number
    st.session_state["page_round"] = st.session_state.get("page_round", 0) + 1


def reset_page() -> None:
    set_page(1)


def page_chosen(widget_key: str) -> None:
    st.session_state["page"] = st.session_state[widget_key]


def adopt_url_view(choices: dict[str, tuple[str, ...]]) -> None:
    """Put the URL's search, filters, sort and page into the widgets' state when the URL brings them (a
    refresh, a bookmark, back/forward, a link from another page). The widgets are not bound to the URL by
    Streamlit: a bound selectbox writes its translated label, so a bookmark would work in one language."""
    written = st.session_state.setdefault("customers_url_written", {})
    for key, default in URL_DEFAULTS.items():
        in_url = st.query_params.get(key, default)
        if key in st.session_state and in_url == written.get(key, default):
            continue  # the URL is the one this page wrote: the widget's state is newer
        written[key] = in_url
        if key == "page":
            set_page(int(in_url) if in_url.isdigit() and int(in_url) >= 1 else 1)
        elif key == "q":
            st.session_state[key] = in_url[:200]
        else:
            st.session_state[key] = in_url if in_url in choices[key] else default


def write_url_view(values: dict[str, str]) -> None:
    """The current view into the URL (defaults left out), so that it survives a refresh or a bookmark."""
    written = st.session_state["customers_url_written"]
    for key, value in values.items():
        if value == URL_DEFAULTS[key]:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = value
        written[key] = value


@st.cache_data(ttl=600, show_spinner=False)
def model_segments(token: str | None) -> list[JsonObject]:
    """The model's segments (id and names) for the filter; [] while the model has none."""
    try:
        card = ApiClient(get_settings(), token).model_card()
    except ApiError:
        return []
    return [item for item in card.get("segments") or [] if isinstance(item, dict) and "id" in item]


def open_add_dialog() -> None:
    st.session_state[ADDING] = True


def close_add_dialog() -> None:
    st.session_state.pop(ADDING, None)


# Open while the flag is set: a rerun of the whole page (a live search, a toast) keeps it open.
@st.dialog(t("customers.add.title"), width="medium", on_dismiss=close_add_dialog)
def add_customer_dialog() -> None:
    result, slots = customer_form(
        "create_customer",
        None,
        t("customers.add.submit"),
        with_observed=True,
        training_ranges=training_ranges(session.token() or ""),
        money=money,
    )
    if result is None or result.errors:
        return
    try:
        with st.spinner(t("customers.add.creating")):
            created = api.create_customer(**result.values)
    except ApiError as error:
        field_errors = server_errors(error)
        show_field_errors(slots, field_errors)
        if not field_errors:
            session.show_error(error, context=t("customers.add.failed"))
        return
    st.session_state["customers_created"] = created
    close_add_dialog()
    st.rerun()


def show_created(created: JsonObject) -> None:
    score, band = score_and_band(created)
    if score is None:
        st.success(t_md("customers.created_pending", name=created["name"]), icon=":material/check_circle:")
    else:
        st.toast(t_md("customers.created_toast", name=created["name"], score=format_integer(score)))
        st.success(
            t_md(
                "customers.created", name=created["name"], score=format_integer(score), band=band_label(band)
            ),
            icon=":material/check_circle:",
        )
    for warning in prediction_warnings(created.get("latest_prediction"), money):
        st.warning(warning, icon=":material/warning:")
    st.page_link(
        session.PAGE_FILES["customer"],
        label=t_md("customers.open", name=created["name"]),
        query_params={"id": created["id"]},
        icon=":material/open_in_new:",
    )


head, add = st.columns([3, 1], vertical_alignment="bottom")
head.title(t("customers.title"))
add.button(
    t("customers.add.button"),
    type="primary",
    icon=":material/person_add:",
    key="add_customer",
    on_click=open_add_dialog,
)
if st.session_state.get(ADDING):
    add_customer_dialog()
if session.is_admin():
    st.caption(t("customers.admin_note"))

created = st.session_state.pop("customers_created", None)
if created:
    show_created(created)

segments = model_segments(session.token())
choices = {
    "gender": (ALL, "female", "male"),
    "band": (ALL, "low", "medium", "high"),
    "segment": (ALL, *(str(item["id"]) for item in segments)),
    "sort": SORTS,
}
adopt_url_view(choices)
query = st.text_input(
    t("customers.search"),
    key="q",
    type="search",
    live="400ms",
    placeholder=t("customers.search_placeholder"),
    on_change=reset_page,
)
active = sum(1 for key in ("gender", "band", "segment") if st.session_state.get(key) not in (None, ALL))
filters_label = tn("customers.filters_active", active) if active else t("customers.filters")
with st.expander(filters_label, icon=":material/tune:"):
    gender_col, band_col, segment_col, sort_col = st.columns(4)
    gender = gender_col.selectbox(
        t("customers.filter.gender"),
        [ALL, "female", "male"],
        format_func={
            ALL: t("customers.filter.all"),
            "female": gender_label("female"),
            "male": gender_label("male"),
        }.__getitem__,
        key="gender",
        on_change=reset_page,
    )
    band = band_col.selectbox(
        t("customers.filter.band"),
        [ALL, "low", "medium", "high"],
        format_func={
            ALL: t("customers.filter.all"),
            **{name: band_label(name) for name in choices["band"][1:]},
        }.__getitem__,
        key="band",
        on_change=reset_page,
    )
    segment = ALL
    if segments:
        names = {str(item["id"]): segment_name(item) for item in segments}
        segment = segment_col.selectbox(
            t("customers.filter.segment"),
            [ALL, *names],
            format_func={ALL: t("customers.filter.all"), **names}.__getitem__,
            key="segment",
            on_change=reset_page,
        )
    sort = sort_col.selectbox(
        t("customers.sort"),
        SORTS,
        format_func=sort_labels().__getitem__,
        key="sort",
        on_change=reset_page,
    )

saved_views_panel(api, session.PAGE_FILES["customers"])

page_number = max(1, int(st.session_state.get("page") or 1))
filters = {
    "q": (query or "").strip() or None,
    "gender": None if gender == ALL else gender,
    "band": None if band == ALL else band,
    "segment": None if segment == ALL else segment,
}
try:
    listing = api.list_customers(limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE, sort=sort, **filters)
except ApiError as error:
    session.fail(error, context=t("customers.load_failed"))

customers: list[JsonObject] = listing.get("items", [])
total = int(listing.get("total", 0))
page_count = max(1, math.ceil(total / PAGE_SIZE))
if page_number > page_count:  # the URL or a shrunk list points past the last page
    set_page(page_count)
    st.rerun()
view = {
    "q": query or "",
    "gender": gender,
    "band": band,
    "segment": segment,
    "sort": sort,
    "page": str(page_number),
}
write_url_view(view)
st.session_state["customers_view"] = view_query(view)
show_report()

if not customers and not any(filters.values()):
    with st.container(border=True):
        st.header(t("customers.welcome.title"))
        st.markdown(t("customers.welcome.text"))
        first, second, _ = st.columns([1, 1, 2])
        first.button(
            t("customers.add.button"),
            icon=":material/person_add:",
            key="welcome_add",
            on_click=open_add_dialog,
        )
        if second.button(t("customers.welcome.import"), icon=":material/upload_file:", key="welcome_import"):
            st.switch_page(session.PAGE_FILES["import"])
    st.stop()
if not customers:
    st.info(t("customers.no_match"), icon=":material/search_off:")
    st.stop()


export_locale, export_zone = current_locale(), browser_timezone().key


def export_view() -> bytes:
    """This search, these filters and this order over every page, in the user's language, numbers and
    time zone (read while the page runs: the download runs outside it)."""
    return api.export_customers(
        semicolon=export_locale == "pt-BR",
        sort=sort,
        language=export_locale,
        time_zone=export_zone,
        **filters,
    )


actions = st.container(horizontal=True, vertical_alignment="center")  # wraps on a phone
actions.download_button(
    t("customers.export_view"),
    data=export_view,
    file_name="customers.csv",
    mime="text/csv",
    icon=":material/download:",
    help=t("customers.export_view_help"),
    on_click="ignore",
    key="customers_export_view",
)
actions.page_link(
    session.PAGE_FILES["deleted"], label=t("customers.recently_deleted"), icon=":material/restore_from_trash:"
)
if st.toggle(t("customers.select.toggle"), key="customers_selecting"):
    selection_panel(api, customers, total, filters, sort)

st.html(customers_table_html(customers, view, t("customers.table.caption", sort=sort_labels()[sort]), money))
first_row = (page_number - 1) * PAGE_SIZE + 1
st.caption(
    tn(
        "customers.showing",
        total,
        first=format_integer(first_row),
        last=format_integer(first_row + len(customers) - 1),
    )
    + " "
    + t("customers.click_hint")
)
if page_count > 1:
    widget_key = f"customers_page_{st.session_state.get('page_round', 0)}"
    st.pagination(page_count, default=page_number, key=widget_key, on_change=page_chosen, args=(widget_key,))
