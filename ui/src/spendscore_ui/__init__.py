"""SpendScore web UI (Streamlit)."""
