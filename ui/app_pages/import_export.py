"""Import customers from a CSV file (preview, then the service's verdict row by row); export them all."""

import io

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError

session.require_login("import")
api = session.client()

st.title("Import / export")

st.subheader("Import a CSV file")
st.caption(
    "Columns `name,gender,age,annual_income` with a header row, up to 10,000 rows. "
    "The import is all or nothing: if one row is wrong, nothing is imported and each bad row is listed."
)
import_result = st.session_state.pop("import_done", None)
if import_result is not None:
    message = f"Imported {import_result['imported']} customers."
    if import_result["pending_predictions"]:
        message += (
            f" {import_result['pending_predictions']} scores are pending: the prediction service is "
            "unavailable, they are filled in automatically."
        )
    st.success(message, icon=":material/check_circle:")
# A new key after each import empties the uploader, so the same file is not imported twice by accident.
upload = st.file_uploader(
    "CSV file", type=["csv"], key=f"import_file_{st.session_state.get('import_round', 0)}"
)
if upload is not None:
    content = upload.getvalue()
    try:
        preview = pd.read_csv(io.BytesIO(content), nrows=20, dtype=str)
    except (ValueError, UnicodeDecodeError) as error:
        st.warning(f"This file cannot be previewed ({type(error).__name__}); the service will check it.")
    else:
        st.caption("First rows of the file:")
        st.dataframe(preview, hide_index=True, width="stretch")
    if st.button("Import", type="primary", icon=":material/upload:"):
        try:
            result = api.import_customers(upload.name, content)
        except ApiError as error:
            session.show_error(error, context="Nothing was imported")
            if error.problems:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {"Line": problem.line, "Field": problem.field, "Problem": problem.message}
                            for problem in error.problems
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
        else:
            st.session_state["import_done"] = result
            st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
            st.rerun()

st.subheader("Export")
st.caption("All your customers with their latest score and band, as CSV.")
if st.button("Prepare CSV export", icon=":material/download:"):
    try:
        st.session_state["export_csv"] = api.export_customers()
    except ApiError as error:
        session.show_error(error, context="Could not export")
if st.session_state.get("export_csv"):
    st.download_button(
        "Download customers.csv",
        data=st.session_state["export_csv"],
        file_name="customers.csv",
        mime="text/csv",
        icon=":material/file_download:",
    )
