"""Issue 25 in the UI: the sales import, a customer's sales, and the dashboard's honesty panels
(global model against the store's own, with n and a confidence range in plain words; drift)."""

from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.i18n import format_date, format_integer, format_month, format_number, format_percent, t, tn
from spendscore_ui.store_money import StoreMoney

MIN_COVERAGE_CLAIM = 100


def sales_import(api: ApiClient, problems_table: object) -> None:
    """The sales file section of the import page."""
    st.header(t("sales.import"))
    st.markdown(t("sales.explain"))
    outcome = st.session_state.pop("sales_import_done", None)
    # Behind a toggle: one file uploader on the page until the owner asks for the second.
    if not st.toggle(t("sales.show"), key="sales_show", value=outcome is not None):
        return
    if outcome is not None:
        st.success(
            tn("sales.done", int(outcome.get("imported", 0)))
            + " "
            + tn("sales.scored", int(outcome.get("scored", 0))),
            icon=":material/check_circle:",
        )
    upload = st.file_uploader(
        t("sales.file"), type=["csv", "xlsx"], key=f"sales_file_{st.session_state.get('sales_round', 0)}"
    )
    if upload is not None and st.button(t("sales.submit"), type="primary", icon=":material/upload:"):
        try:
            result = api.import_sales(upload.name, upload.getvalue())
        except ApiError as error:
            session.show_error(error, context=t("import.nothing_imported"))
            if error.problems and callable(problems_table):
                st.dataframe(problems_table(error.problems), hide_index=True, width="stretch")
        else:
            st.session_state["sales_import_done"] = result
            st.session_state["sales_round"] = st.session_state.get("sales_round", 0) + 1
            st.rerun()


def customer_sales(api: ApiClient, customer_id: str, observed_source: object) -> None:
    """Where the observed score came from, and the customer's sales."""
    if observed_source in ("sales", "typed"):
        st.caption(t(f"sales.source.{observed_source}"))
    try:
        sales = api.customer_sales(customer_id)
    except ApiError:
        return
    if not sales:
        return
    with st.expander(tn("sales.of_customer", len(sales))):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("sales.column.date"): format_date(date.fromisoformat(str(sale.get("sold_on")))),
                        t("sales.column.amount"): format_number(sale.get("amount"), decimals=2, fixed=True),
                    }
                    for sale in sales
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def _coverage_sentence(coverage: JsonObject, count: int) -> str:
    return t(
        "store.coverage",
        count=format_integer(count),
        share=format_percent(coverage.get("share")),
        low=format_percent(coverage.get("low")),
        high=format_percent(coverage.get("high")),
    )


def store_model_panel(api: ApiClient) -> None:
    """Global model against the store's own, on the store's held-out observed scores."""
    st.header(t("store.title"))
    try:
        model = api.store_model()
    except ApiError as error:
        session.show_error(error)
        return
    if st.button(t("store.fit"), icon=":material/model_training:", key="store_fit"):
        try:
            model = api.fit_store_model()
        except ApiError as error:
            session.show_error(error)
    if not model.get("fitted"):
        st.info(t("store.not_fitted"), icon=":material/info:")
        return
    reason = str(model.get("reason") or "")
    st.markdown(t(f"store.reason.{reason}") if reason else "")
    income_scale = float((model.get("correction") or {}).get("income_scale", 1.0))
    if model.get("chosen") and income_scale != 1.0:
        st.markdown(t("store.income_scale", share=format_percent(income_scale)))
    held_out = model.get("held_out")
    if isinstance(held_out, dict):
        count = int(held_out.get("count", 0))
        table = pd.DataFrame(
            [
                {
                    t("store.column.model"): t("store.global"),
                    t("store.column.error"): format_number(held_out.get("global_mae"), decimals=1),
                    t("store.column.coverage"): format_percent(held_out["global_coverage"].get("share")),
                },
                {
                    t("store.column.model"): t("store.yours"),
                    t("store.column.error"): format_number(held_out.get("store_mae"), decimals=1),
                    t("store.column.coverage"): format_percent(held_out["store_coverage"].get("share")),
                },
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(tn("store.held_out", count))
        st.markdown(t("store.global") + ": " + _coverage_sentence(held_out["global_coverage"], count))
        st.markdown(t("store.yours") + ": " + _coverage_sentence(held_out["store_coverage"], count))
        if count < MIN_COVERAGE_CLAIM:
            st.caption(t("store.no_claim", min=format_integer(MIN_COVERAGE_CLAIM)))
    rescore = model.get("rescore") or {}
    remaining, total = int(rescore.get("remaining", 0)), int(rescore.get("total", 0))
    if remaining and total:
        st.progress(
            (total - remaining) / total,
            text=t("store.rescoring", done=format_integer(total - remaining), total=format_integer(total)),
        )


def drift_rows(drift: JsonObject, money: StoreMoney) -> list[JsonObject]:
    """The drift table's rows: median and middle half of ages and incomes, the store's and the training
    customers', incomes in the store's ``money``."""
    rows = []
    for feature in ("age", "annual_income"):
        figures = drift.get(feature) or {}
        if feature == "age":
            name, number = t("drift.feature.age"), partial(format_number, decimals=0)
        elif money.is_model_unit:
            name, number = t("drift.feature.annual_income"), partial(format_number, decimals=0)
        else:  # in thousands a decimal says more than a rounded 4 or 5
            decimals = 1 if money.in_thousands else 0
            name, number = money.income_label(), partial(money.table_number, decimals=decimals)
        for who, key in (("drift.store", "store"), ("drift.training", "training")):
            quartiles = figures.get(key) or {}
            if not quartiles.get("count"):
                continue
            rows.append(
                {
                    t("drift.column.feature"): name,
                    t("drift.column.who"): t(who),
                    t("drift.column.median"): number(quartiles["median"]),
                    t("drift.column.middle"): t(
                        "drift.middle", low=number(quartiles["p25"]), high=number(quartiles["p75"])
                    ),
                }
            )
    return rows


def drift_panel(api: ApiClient, money: StoreMoney) -> None:
    """The store's ages and incomes against the training customers', and the average error by month."""
    st.header(t("drift.title"))
    try:
        drift = api.store_drift()
    except ApiError as error:
        session.show_error(error)
        return
    rows = drift_rows(drift, money)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    months = drift.get("error_by_month") or []
    if months:
        st.markdown(t("drift.error_title"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("drift.column.month"): format_month(month.get("month")),
                        t("drift.column.count"): format_integer(int(month.get("count", 0))),
                        t("drift.column.error"): format_number(month.get("mean_absolute_error"), decimals=1),
                    }
                    for month in months
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("drift.no_errors"))
