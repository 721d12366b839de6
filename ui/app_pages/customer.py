"""One customer: score, segment and warnings, "Predict again", edit (with the observed score), delete,
and the prediction history (chart with the 80% interval, table)."""

import pandas as pd
import streamlit as st

from spendscore_ui import session, store_panels
from spendscore_ui.api_client import ApiError, JsonObject
from spendscore_ui.charts import band_cell_style, history_chart
from spendscore_ui.customer_form import customer_form, server_errors, show_field_errors
from spendscore_ui.customer_table import BACK_PARAM, back_view
from spendscore_ui.customer_view import (
    interval_sentence,
    prediction_warnings,
    score_and_band,
    segment_description,
    segment_name,
    shown_segment,
    two_modes,
)
from spendscore_ui.explanation_view import contributions_chart, explanation_sentence
from spendscore_ui.i18n import (
    band_label,
    escape_markdown,
    format_datetime,
    format_integer,
    format_number,
    gender_label,
    t,
    t_md,
    tn,
)
from spendscore_ui.plausibility import training_ranges
from spendscore_ui.store_money import current as store_money

session.require_login("customer")
api = session.client()
money = store_money(api)


def list_view() -> dict[str, str]:
    """The list's view this customer was opened from: carried by the URL when it was opened by its link
    (a new page load), else the one this session last showed."""
    return back_view(st.query_params.get(BACK_PARAM)) or st.session_state.get("customers_view") or {}


def back_to_list() -> None:
    st.page_link(
        session.PAGE_FILES["customers"],
        label=t("customer.back"),
        icon=":material/arrow_back:",
        query_params=list_view(),
    )


customer_id = st.query_params.get("id")
if not customer_id:
    st.title(t("customer.title"))
    st.info(t("customer.choose"), icon=":material/info:")
    back_to_list()
    st.stop()

try:
    with st.spinner(t("customer.loading")):
        customer = api.get_customer(customer_id)
        history = api.prediction_history(customer_id)
except ApiError as error:
    if error.status_code in (404, 422):
        st.title(t("customer.title"))
        st.warning(t("customer.not_found"), icon=":material/search_off:")
        back_to_list()
        st.stop()
    session.fail(error, context=t("customer.load_failed"))

st.title(escape_markdown(customer["name"]))
back_to_list()

latest: JsonObject | None = customer["latest_prediction"]
score, band = score_and_band(customer)
columns = st.columns(5)
columns[0].metric(t("customer.score"), t("customer.pending") if score is None else format_integer(score))
columns[1].metric(t("customer.band"), band_label(band) if band else t("customer.pending"))
columns[2].metric(t("field.gender"), gender_label(customer["gender"]))
columns[3].metric(t("field.age"), format_integer(customer["age"]))
columns[4].metric(
    money.income_label(), format_number(money.amount_of(customer), decimals=1 if money.is_model_unit else 2)
)
if not money.is_model_unit:  # what the model was given, beside what the owner typed (issue 23)
    st.caption(escape_markdown(money.with_model_value(customer)))
if score is None or latest is None:
    st.info(t("customer.pending_note"), icon=":material/hourglass_top:")
else:
    # The model's version is for the Model page and the history's details, not for this sentence.
    st.markdown(interval_sentence(latest))
    with st.container(border=True):
        st.markdown("**" + t("explain.title") + "**")
        sentence = explanation_sentence(latest.get("explanation"), customer, money)
        if sentence is None:
            st.caption(t("explain.missing"))
        else:
            st.markdown(sentence)
            st.altair_chart(contributions_chart(latest["explanation"], customer, money), width="stretch")
for warning in prediction_warnings(latest, money):
    st.warning(warning, icon=":material/warning:")
# Contacts (issue 24): a segment becomes a campaign.
if customer.get("phone") or customer.get("email"):
    contact_columns = st.columns(3)
    if customer.get("phone"):
        contact_columns[0].markdown(t("customer.phone", phone=customer["phone"]))
    if customer.get("email"):
        contact_columns[1].markdown(t("customer.email", email=escape_markdown(customer["email"])))
    if customer.get("whatsapp_url"):
        contact_columns[2].link_button(
            t("customer.whatsapp"), customer["whatsapp_url"], icon=":material/chat:", type="secondary"
        )
st.download_button(
    t("customer.data_download"),
    data=lambda: api.customer_data(customer["id"]),
    file_name=f"customer-{customer['id']}.json",
    mime="application/json",
    icon=":material/download:",
    help=t("customer.data_download_help"),
    on_click="ignore",
    key="customer_data_download",
)

# One story (issue 23): a predicted segment whose spending word the band contradicts is not named.
segment = shown_segment(customer)
if customer.get("segment") and segment is None:
    with st.container(border=True):
        st.markdown(t("story.segment.unclear"))
if segment:
    source = customer.get("segment_source")
    how = t("customer.segment.observed") if source == "observed" else t("customer.segment.predicted")
    if source != "observed" and two_modes(latest) is not None:
        how = t("story.segment.two_kinds")
    with st.container(border=True):
        st.markdown(t("customer.segment", name=segment_name(segment), how=how))
        st.markdown(segment_description(segment))
        if segment.get("id"):
            st.page_link(
                session.PAGE_FILES["customers"],
                label=t("customer.segment_link"),
                query_params={"segment": str(segment["id"])},
                icon=":material/filter_list:",
            )
observed = customer.get("observed_score")
if observed is not None:
    st.caption(
        t(
            "customer.observed",
            score=format_integer(observed),
            when=format_datetime(customer.get("observed_at")),
        )
    )
store_panels.customer_sales(api, str(customer_id), customer.get("observed_source"))  # issue 25

actions = st.columns([1, 1, 3])
if actions[0].button(t("customer.predict_again"), icon=":material/refresh:", key="predict_again"):
    try:
        with st.spinner(t("customer.predicting")):
            fresh = api.predict_again(customer_id)
    except ApiError as error:
        session.show_error(error, context=t("customer.predict_failed"))
    else:
        new_score = fresh.get("spending_score")
        session.toast_next(
            t("customer.predicted", score=format_integer(new_score))
            if new_score is not None
            else t("customer.predicted_pending")
        )
        st.rerun()
if actions[1].button(t("customer.delete"), icon=":material/delete:", key="delete_customer"):
    st.session_state["customer_confirm_delete"] = customer_id

if st.session_state.get("customer_confirm_delete") == customer_id:
    st.warning(t_md("customer.delete_confirm", name=customer["name"]))
    confirm_col, cancel_col, _ = st.columns([1, 1, 3])
    if confirm_col.button(t("customer.delete_yes"), type="primary", key="confirm_delete_customer"):
        try:
            api.delete_customer(customer_id)
        except ApiError as error:
            session.show_error(error, context=t("customer.delete_failed"))
        else:
            st.session_state.pop("customer_confirm_delete", None)
            session.toast_next(t_md("customers.deleted", name=customer["name"]))
            st.switch_page(session.PAGE_FILES["customers"], query_params=list_view())
    if cancel_col.button(t("customer.delete_cancel"), key="cancel_delete_customer"):
        st.session_state.pop("customer_confirm_delete", None)
        st.rerun()

with st.expander(t("customer.edit"), icon=":material/edit:"):
    result, slots = customer_form(
        f"edit_{customer_id}",
        customer,
        t("customer.save"),
        with_observed=True,
        training_ranges=training_ranges(session.token() or ""),
        money=money,
    )
    if result is not None and not result.errors:
        changed = {key: value for key, value in result.values.items() if value != customer.get(key)}
        for emptied in ("observed_score", "phone", "email"):
            if customer.get(emptied) is not None and emptied not in result.values:
                changed[emptied] = None  # the field was emptied: clear it
        if not changed:
            st.info(t("customer.nothing_changed"))
        else:
            try:
                with st.spinner(t("customer.saving")):
                    updated = api.update_customer(customer_id, changed)
            except ApiError as error:
                field_errors = server_errors(error)
                show_field_errors(slots, field_errors)
                if not field_errors:
                    session.show_error(error, context=t("customer.save_failed"))
            else:
                new_score, _ = score_and_band(updated)
                session.toast_next(
                    t_md("customer.saved_score", name=updated["name"], score=format_integer(new_score))
                    if new_score is not None
                    else t_md("customer.saved", name=updated["name"])
                )
                st.rerun()

st.header(t("customer.history"))
rows = []
for prediction in history:
    pending = prediction["status"] == "pending"
    interval = prediction.get("interval") or {}
    rows.append(
        {
            "created_at": pd.to_datetime(prediction["created_at"], utc=True),
            "spending_score": None if pending else float(prediction["spending_score"]),
            "low": None if pending else interval.get("low"),
            "high": None if pending else interval.get("high"),
            "band": "pending" if pending else prediction["band"],
            "gender": gender_label(prediction["gender"]),
            "age": prediction["age"],
            "annual_income": prediction["annual_income"],
            "model_version": prediction.get("model_version") or "",
        }
    )
frame = pd.DataFrame(rows)
scored = frame[frame["band"] != "pending"].reset_index(drop=True) if not frame.empty else frame
if scored.empty:
    st.info(t("customer.no_scores"), icon=":material/hourglass_top:")
else:
    st.altair_chart(history_chart(scored, money), width="stretch")
    st.caption(tn("customer.history_caption", len(scored)))
if not frame.empty:
    table = pd.DataFrame(
        {
            t("customer.column.when"): [
                format_datetime(moment, seconds=True) for moment in frame["created_at"]
            ],
            t("customer.column.score"): [
                t("customer.pending") if pd.isna(value) else format_number(value)
                for value in frame["spending_score"]
            ],
            t("customer.column.band"): [
                t("customer.pending") if value == "pending" else band_label(value) for value in frame["band"]
            ],
            t("customer.column.interval"): [
                "" if pd.isna(low) else f"{format_integer(low)}–{format_integer(high)}"
                for low, high in zip(frame["low"], frame["high"], strict=True)
            ],
            t("field.gender"): frame["gender"],
            t("field.age"): frame["age"],
            money.income_label(): [
                money.table_number(value, decimals=1 if money.is_model_unit else 2)
                for value in frame["annual_income"]
            ],
            t("customer.column.model"): frame["model_version"],
        }
    ).iloc[::-1]
    band_colours = {band_label(name): name for name in ("low", "medium", "high")}
    styled = table.style.map(
        lambda value: band_cell_style(band_colours.get(str(value))), subset=[t("customer.column.band")]
    )
    st.dataframe(styled, hide_index=True, width="stretch")
