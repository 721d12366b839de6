"""English messages of the store pages (customers list, customer, dashboard, import/export, charts)."""

MESSAGES: dict[str, str] = {}
