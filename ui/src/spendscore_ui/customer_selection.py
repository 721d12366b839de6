"""Selecting customers of the list and acting on them at once (issue 24): tick rows on any page, or take
every customer of the view, then predict again, export or delete, each one all-or-nothing request to the
customers service, confirmed first and reported after."""

from typing import Final

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.i18n import browser_timezone, current_locale, escape_markdown, format_integer, t, tn

SELECTED: Final = "customers_selected"  # id -> name of the rows ticked, across pages
ALL_MATCHING: Final = "customers_all_matching"
_PENDING: Final = "customers_bulk_pending"  # the action waiting for its confirmation
_REPORT: Final = "customers_bulk_report"
_PICK: Final = "customers_pick_"  # + id: a row's checkbox


def _toggle(customer_id: str, name: str) -> None:
    selected = st.session_state.setdefault(SELECTED, {})
    if st.session_state.get(_PICK + customer_id):
        selected[customer_id] = name
    else:
        selected.pop(customer_id, None)


def clear_selection() -> None:
    for key in [key for key in st.session_state if str(key).startswith(_PICK)]:
        del st.session_state[key]
    st.session_state.pop(SELECTED, None)
    st.session_state.pop(ALL_MATCHING, None)
    st.session_state.pop(_PENDING, None)


def _ask(action: str) -> None:
    st.session_state[_PENDING] = action


def _cancel() -> None:
    st.session_state.pop(_PENDING, None)


def show_report() -> None:
    """What the last bulk action did, once, above the list."""
    report = st.session_state.pop(_REPORT, None)
    if report:
        st.success(report, icon=":material/check_circle:")


def _run(api: ApiClient, action: str, selection: JsonObject) -> None:
    try:
        with st.spinner():
            done = api.bulk_delete(selection) if action == "delete" else api.bulk_predict(selection)
    except ApiError as error:
        session.show_error(error, context=t("customers.bulk.failed"))
        return
    clear_selection()
    st.session_state[_REPORT] = tn(f"customers.bulk.{done['action']}", int(done["count"]))
    st.rerun()


def selection_panel(
    api: ApiClient, customers: list[JsonObject], total: int, filters: dict[str, str | None], sort: str
) -> None:
    """The checkboxes of this page's customers and of "all of this view", and the bulk actions."""
    with st.container(border=True):
        all_matching = st.checkbox(
            t("customers.select.all_matching", count=format_integer(total)), key=ALL_MATCHING
        )
        selected: dict[str, str] = st.session_state.setdefault(SELECTED, {})
        if not all_matching:
            st.caption(t("customers.select.page"))
            columns = st.columns(3)
            for number, customer in enumerate(customers):
                customer_id, name = str(customer["id"]), str(customer["name"])
                columns[number % 3].checkbox(
                    escape_markdown(name),  # typed by the owner: never Markdown
                    value=customer_id in selected,
                    key=_PICK + customer_id,
                    on_change=_toggle,
                    args=(customer_id, name),
                )
        count = total if all_matching else len(selected)
        if not count:
            st.caption(t("customers.select.none"))
            return
        picked: JsonObject = (
            {"filters": {key: value for key, value in filters.items() if value}}
            if all_matching
            else {"ids": list(selected)}
        )
        st.markdown(tn("customers.select.selected", count))
        locale, zone = current_locale(), browser_timezone().key
        predict_col, export_col, delete_col, clear_col = st.columns(4)
        for column, action, icon in ((predict_col, "predict", "refresh"), (delete_col, "delete", "delete")):
            column.button(
                t(f"customers.bulk.{action}"),
                icon=f":material/{icon}:",
                key=f"bulk_{action}",
                on_click=_ask,
                args=(action,),
            )
        export_col.download_button(
            t("customers.bulk.export"),
            # In the user's language, numbers and time zone, like the export of the view (read while the
            # page runs: the download runs outside it).
            data=lambda: api.bulk_export(
                picked, semicolon=locale == "pt-BR", sort=sort, language=locale, time_zone=zone
            ),
            file_name="customers-selected.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="bulk_export",
        )
        clear_col.button(t("customers.select.clear"), key="bulk_clear", on_click=clear_selection)
        pending = st.session_state.get(_PENDING)
        if pending in ("predict", "delete"):
            st.warning(tn(f"customers.bulk.confirm_{pending}", count), icon=":material/warning:")
            yes_col, cancel_col, _ = st.columns([1, 1, 3])
            if yes_col.button(t("customers.bulk.yes"), type="primary", key="bulk_confirm"):
                _run(api, pending, picked)
            cancel_col.button(t("customers.bulk.cancel"), key="bulk_cancel", on_click=_cancel)
