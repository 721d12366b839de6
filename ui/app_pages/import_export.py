"""Import customers from a CSV or Excel file (preview, progress, then what was imported and what was
refused); download the template; export every customer in one click."""

import io
import logging

import pandas as pd
import streamlit as st

from spendscore_ui import session, store_panels
from spendscore_ui.api_client import XLSX_MIME, ApiClient, ApiError, FieldProblem
from spendscore_ui.i18n import (
    browser_timezone,
    current_locale,
    error_text,
    escape_markdown,
    field_label,
    format_integer,
    problem_text,
    t,
    tn,
)
from spendscore_ui.store_money import current as store_money

session.require_login("import")
api = session.client()
logger = logging.getLogger(__name__)
# The customers service refuses larger files (customers_service.file_import.MAX_BYTES, 5 MiB): the uploader
# says and enforces the same limit instead of Streamlit's 200 MB.
IMPORT_MAX_MEGABYTES = 5


def problems_table(problems: list[FieldProblem]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("import.column.line"): "" if problem.line is None else format_integer(problem.line),
                t("import.column.field"): field_label(problem.field),
                t("import.column.problem"): problem_text(problem),
            }
            for problem in problems
        ]
    )


def rejected_problems(rejected: list[object]) -> list[FieldProblem]:
    """The partial import's ``rejected`` rows ({line, field, reason}) as problems."""
    problems = []
    for row in rejected:
        if isinstance(row, dict):
            localised = row.get("message")  # already in the caller's language (Accept-Language)
            problems.append(
                FieldProblem(
                    message=str(localised or row.get("reason") or ""),
                    field=str(row["field"]) if row.get("field") else None,
                    line=row.get("line") if isinstance(row.get("line"), int) else None,
                    kind="localised" if localised else None,
                )
            )
    return problems


def deferred_download(client: ApiClient, *, excel: bool, template: bool):  # type: ignore[no-untyped-def]
    """The file is fetched when the button is clicked (one click, no "prepare" step)."""
    locale = current_locale()
    semicolon = locale == "pt-BR"  # what Excel in Portuguese expects
    time_zone = browser_timezone().key  # read now: the download runs outside the page's script

    def fetch() -> bytes:
        try:
            if template:
                return client.import_template(excel=excel, semicolon=semicolon)
            return client.export_customers(
                semicolon=semicolon, excel=excel, language=locale, time_zone=time_zone
            )
        except ApiError as error:
            logger.warning("download failed: %s", error.status_code)
            return error_text(error).encode()

    return fetch


def download_buttons(client: ApiClient, *, template: bool, labels: tuple[str, str], file_name: str) -> None:
    """A CSV and an Excel button side by side, for the template or for the export."""
    key = "template" if template else "export"
    csv_icon = ":material/description:" if template else ":material/file_download:"
    for column, label, excel in zip(st.columns([1, 1, 2]), labels, (False, True), strict=False):
        column.download_button(
            label,
            data=deferred_download(client, excel=excel, template=template),
            file_name=file_name + (".xlsx" if excel else ".csv"),
            mime=XLSX_MIME if excel else "text/csv",
            icon=":material/table_view:" if excel else csv_icon,
            on_click="ignore",
            key=f"{key}_{'xlsx' if excel else 'csv'}",
        )


st.title(t("import.title"))

st.subheader(t("import.import"))
st.markdown(t("import.explain"))
money = store_money(api)
if not money.is_model_unit:  # issue 23: the file's incomes are the store's
    st.info(escape_markdown(t("money.import_note", unit=money.unit_text())), icon=":material/payments:")
download_buttons(
    api,
    template=True,
    labels=(t("import.template_csv"), t("import.template_xlsx")),
    file_name=t("import.template_file"),
)

outcome = st.session_state.pop("import_done", None)
if outcome is not None:
    imported = int(outcome.get("imported", 0))
    st.success(tn("import.done", imported), icon=":material/check_circle:")
    updated = int(outcome.get("updated") or 0)
    if updated:
        st.info(tn("import.updated", updated), icon=":material/sync:")
    pending = int(outcome.get("pending_predictions") or 0)
    if pending:
        st.info(tn("import.pending", pending), icon=":material/hourglass_top:")
    rejected = rejected_problems(outcome.get("rejected") or [])
    if rejected:
        st.warning(tn("import.rejected", len(rejected)), icon=":material/warning:")
        st.dataframe(problems_table(rejected), hide_index=True, width="stretch")
    if imported:
        st.page_link(
            session.PAGE_FILES["customers"],
            label=t("import.see_them"),
            query_params={"sort": "-created_at"},
            icon=":material/group:",
        )

# A new key after each import empties the uploader, so the same file is not imported twice by accident.
upload = st.file_uploader(
    t("import.file"),
    type=["csv", "xlsx"],
    key=f"import_file_{st.session_state.get('import_round', 0)}",
    max_upload_size=IMPORT_MAX_MEGABYTES,
)
if upload is not None:
    content = upload.getvalue()
    if not upload.name.lower().endswith(".xlsx"):
        try:
            preview = pd.read_csv(io.BytesIO(content), nrows=10, dtype=str, sep=None, engine="python")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
            st.caption(t("import.no_preview"))
        else:
            st.caption(t("import.preview"))
            st.dataframe(preview, hide_index=True, width="stretch")
    partial = st.radio(
        t("import.mode"),
        [False, True],
        format_func={False: t("import.mode.all"), True: t("import.mode.partial")}.__getitem__,
        key="import_partial",
    )
    if st.button(t("import.submit"), type="primary", icon=":material/upload:"):
        with st.status(t("import.running", name=upload.name), expanded=False) as status:
            try:
                result = api.import_customers(upload.name, content, partial=bool(partial))
            except ApiError as error:
                status.update(label=t("import.failed"), state="error")
                session.show_error(error, context=t("import.nothing_imported"))
                if error.problems:
                    st.dataframe(problems_table(error.problems), hide_index=True, width="stretch")
            else:
                status.update(label=t("import.finished"), state="complete")
                st.session_state["import_done"] = result
                st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
                st.rerun()

store_panels.sales_import(api, problems_table)  # issue 25

st.subheader(t("import.export"))
st.markdown(t("import.export_explain_semicolon" if current_locale() == "pt-BR" else "import.export_explain"))
download_buttons(
    api,
    template=False,
    labels=(t("import.export_csv"), t("import.export_xlsx")),
    file_name=t("import.export_file"),
)
