"""The UI's message catalogues: one module per language and section, merged by ``spendscore_ui.i18n``.

``money_*``: the store's own money (issue 23).
``core_*``: sign-in, session, menu, account, admin, model, errors, shared words (genders, bands, fields).
``pages_*``: the store pages (customers, customer, dashboard, import/export) and their charts.
``list_*``: the customers list's table, selection, bulk actions, recycle bin and saved views.
``streamlit_*``: Streamlit's own words on its built-in controls (``spendscore_ui.page_language``).
Every key must be in both languages (a test checks it, and that every key the code uses exists).
"""
