"""Recently deleted: the recycle bin, most recent first; restore one customer or the ticked ones at once."""

import math

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError
from spendscore_ui.i18n import escape_markdown, format_date, format_datetime, format_integer, t, tn

session.require_login("deleted")
api = session.client()

PAGE_SIZE = 50
PICK = "deleted_pick_"  # + id: a row's checkbox
REPORT = "deleted_report"  # what the last restore did, shown once


def restore(ids: list[str]) -> None:
    try:
        done = api.restore_customers(ids)
    except ApiError as error:
        session.show_error(error, context=t("deleted.restore_failed"))
        return
    for customer_id in ids:
        st.session_state.pop(PICK + customer_id, None)
    st.session_state[REPORT] = tn("deleted.restored", int(done["count"]))
    st.rerun()


st.title(t("deleted.title"))
st.caption(t("deleted.intro"))
st.page_link(session.PAGE_FILES["customers"], label=t("deleted.back"), icon=":material/arrow_back:")
report = st.session_state.pop(REPORT, None)
if report:
    st.success(report, icon=":material/check_circle:")

page_number = int(st.session_state.get("deleted_page") or 1)
try:
    binned = api.deleted_customers(limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
except ApiError as error:
    session.fail(error, context=t("deleted.load_failed"))
items = binned.get("items", [])
total = int(binned.get("total", 0))
if not items:
    st.info(t("deleted.empty"), icon=":material/delete_outline:")
    st.stop()

picked: list[str] = []
for item in items:
    customer_id, name = str(item["id"]), escape_markdown(item["name"])  # typed by the owner
    with st.container(border=True):
        tick_col, restore_col = st.columns([5, 1], vertical_alignment="center")
        if tick_col.checkbox(name, key=PICK + customer_id):
            picked.append(customer_id)
        tick_col.caption(
            t(
                "deleted.when",
                deleted=format_datetime(item.get("deleted_at")),
                purge=format_date(item.get("purge_after")),
            )
        )
        if restore_col.button(
            t("deleted.restore_one"),
            key=f"deleted_restore_{customer_id}",
            help=t("deleted.restore_one_help", name=name),
            icon=":material/restore_from_trash:",
        ):
            restore([customer_id])
if st.button(
    t("deleted.restore_selected", count=format_integer(len(picked))),
    type="primary",
    disabled=not picked,
    key="deleted_restore_selected",
    icon=":material/restore_from_trash:",
):
    restore(picked)
if total > PAGE_SIZE:
    st.pagination(math.ceil(total / PAGE_SIZE), default=page_number, key="deleted_page")
