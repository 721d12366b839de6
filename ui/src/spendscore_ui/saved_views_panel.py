"""Saved views of the customers list (issue 24): kept by the customers service per owner, so they follow
the owner to any browser; listed in the sidebar, saved, renamed and deleted from the list's page."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.customer_table import ALL, VIEW_DEFAULTS
from spendscore_ui.i18n import t, t_md


def _current_values() -> dict[str, str | None]:
    """The list's search, filters and sort as the service keeps them (None: not set)."""
    return {
        "q": (st.session_state.get("q") or "").strip() or None,
        **{
            key: None if st.session_state.get(key) in (None, ALL) else st.session_state.get(key)
            for key in ("gender", "band", "segment")
        },
        "sort": st.session_state.get("sort") or None,
    }


def _save_form(api: ApiClient) -> None:
    with st.form("save_view", clear_on_submit=True, border=False):
        view_name = st.text_input(t("customers.save_view.name"), max_chars=80)
        if st.form_submit_button(t("customers.save_view.submit")) and view_name.strip():
            try:
                api.save_view(view_name.strip(), **_current_values())
            except ApiError as error:
                session.show_error(error, context=t("customers.save_view.failed"))
            else:
                st.rerun()


def _manage_form(api: ApiClient, saved: list[JsonObject]) -> None:
    names = {str(view["id"]): str(view["name"]) for view in saved}
    with st.form("manage_views", border=False):
        view_id = st.selectbox(t("customers.views.choose"), list(names), format_func=names.__getitem__)
        new_name = st.text_input(t("customers.views.new_name"), max_chars=80)
        rename_col, delete_col = st.columns(2)
        rename = rename_col.form_submit_button(t("customers.views.rename"))
        delete = delete_col.form_submit_button(t("customers.views.delete"))
    if not view_id or not (rename and new_name.strip() or delete):
        return
    try:
        if delete:
            api.delete_view(view_id)
            session.toast_next(t_md("customers.views.deleted", name=names[view_id]))
        else:
            renamed = api.rename_view(view_id, new_name.strip())
            session.toast_next(t_md("customers.views.renamed", name=renamed["name"]))
    except ApiError as error:
        session.show_error(error, context=t("customers.views.failed"))
    else:
        st.rerun()


def saved_views_panel(api: ApiClient, list_page: str) -> None:
    """The owner's views as sidebar links, and the popovers that save, rename and delete them."""
    try:
        saved = api.saved_views()
    except ApiError:
        saved = []
    if saved:
        st.sidebar.caption(t("customers.saved_views"))
        for saved_view in saved:
            st.sidebar.page_link(
                list_page,
                label=saved_view["name"],
                query_params={key: saved_view[key] for key in VIEW_DEFAULTS if saved_view.get(key)},
                icon=":material/bookmark:",
            )
    with st.container(horizontal=True):  # side by side, wrapping on a phone
        with st.popover(t("customers.save_view"), icon=":material/bookmark_add:"):
            _save_form(api)
        if saved:
            with st.popover(t("customers.views.manage"), icon=":material/edit:"):
                _manage_form(api, saved)
