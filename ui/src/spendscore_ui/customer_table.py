"""The customers list as an accessible HTML table (issues 24 and 26): each name is a real link to its
customer (keyboard, screen reader, middle-click, copy link), each sortable header a link to the list
sorted by that column on the service. The list's view (search, filters, sort, page) lives in the URL,
so a customer opened from it is a navigation and the browser's Back returns to exactly that view."""

from dataclasses import dataclass
from html import escape
from typing import Final
from urllib.parse import parse_qsl, urlencode

from spendscore_ui.charts import band_cell_style
from spendscore_ui.customer_view import (
    JsonObject,
    prediction_warnings,
    score_and_band,
    segment_name,
    shown_segment,
)
from spendscore_ui.i18n import band_label, format_datetime, format_integer, format_number, gender_label, t
from spendscore_ui.page_style import FOCUS_RING
from spendscore_ui.store_money import StoreMoney

ALL: Final = "all"
# The list's view in the URL, with its defaults (left out of the URL).
VIEW_DEFAULTS: Final = {
    "q": "",
    "gender": ALL,
    "band": ALL,
    "segment": ALL,
    "sort": "-created_at",
    "page": "1",
}
# The customer page's parameter that carries the list's view, for its "Back to the list" link.
BACK_PARAM: Final = "back"
MAX_BACK_LENGTH: Final = 4000  # a 200-character search encoded twice, and the rest of the view


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort_key: str | None = None  # the service's sort key; None: the column does not sort
    numeric: bool = False


def view_query(view: dict[str, str]) -> dict[str, str]:
    """The view's URL parameters: its known keys that differ from the defaults."""
    return {key: value for key, value in view.items() if key in VIEW_DEFAULTS and value != VIEW_DEFAULTS[key]}


def customer_href(customer_id: str, view: dict[str, str]) -> str:
    """The customer page's URL, carrying the list's view."""
    params = {"id": customer_id}
    query = view_query(view)
    if query:
        params[BACK_PARAM] = urlencode(query)
    return "/customer?" + urlencode(params)


def back_view(carried: str | None) -> dict[str, str]:
    """The list's view carried by the customer page's URL (what ``customer_href`` put there)."""
    return view_query(dict(parse_qsl((carried or "")[:MAX_BACK_LENGTH])[: len(VIEW_DEFAULTS)]))


def sort_href(view: dict[str, str], sort_key: str) -> str:
    """The list sorted by ``sort_key``, the other way round when it already is, from its first page."""
    sort = f"-{sort_key}" if view.get("sort") == sort_key else sort_key
    query = view_query({**view, "sort": sort, "page": "1"})
    return "/customers?" + urlencode(query) if query else "/customers"


def list_columns(money: StoreMoney) -> list[Column]:
    return [
        Column("name", t("customers.column.name"), "name"),
        Column("external_id", t("customers.column.external_id"), "external_id"),
        Column("score", t("customers.column.score"), "spending_score", numeric=True),
        Column("band", t("customers.column.band"), "band"),
        Column("warning", "⚠"),
        Column("segment", t("customers.column.segment"), "segment"),
        Column("gender", t("customers.column.gender"), "gender"),
        Column("age", t("customers.column.age"), "age", numeric=True),
        Column(
            "income",
            t("customers.column.income") if money.is_model_unit else money.income_label(),
            "annual_income",
            numeric=True,
        ),
        Column("added", t("customers.column.added"), "created_at"),
        Column("whatsapp", "WhatsApp"),
    ]


def _cells(customer: JsonObject, view: dict[str, str], money: StoreMoney) -> dict[str, str]:
    """One row's cells as HTML, every text that came from a user escaped."""
    score, band = score_and_band(customer)
    warnings = escape(" ".join(prediction_warnings(customer.get("latest_prediction"), money)))
    whatsapp = customer.get("whatsapp_url")
    pending = escape(t("customers.pending"))
    href = escape(customer_href(str(customer["id"]), view))
    return {
        "name": f'<a href="{href}">{escape(str(customer["name"]))}</a>',
        "external_id": escape(str(customer.get("external_id") or "")),
        "score": pending if score is None else format_integer(round(score)),
        "band": (
            f'<span class="ss-band" style="{band_cell_style(band)}">{escape(band_label(band))}</span>'
            if band
            else pending
        ),
        "warning": (
            f'<span role="img" aria-label="{warnings}" title="{warnings}">⚠</span>' if warnings else ""
        ),
        "segment": escape(segment_name(shown_segment(customer))),  # never against the band (issue 23)
        "gender": escape(gender_label(customer["gender"])),
        "age": format_integer(customer["age"]),
        # "120,5" in Portuguese; in the store's own unit when it has one (issue 23)
        "income": format_number(money.amount_of(customer), decimals=1 if money.is_model_unit else 2),
        "added": escape(format_datetime(customer.get("created_at"))),
        "whatsapp": (
            f'<a href="{escape(str(whatsapp))}" target="_blank" rel="noopener noreferrer">'
            f"{escape(t('customers.whatsapp_open'))}</a>"
            if isinstance(whatsapp, str) and whatsapp.startswith("https://wa.me/")
            else ""
        ),
    }


def _header(column: Column, view: dict[str, str]) -> str:
    sort = view.get("sort", VIEW_DEFAULTS["sort"])
    classes = ' class="num"' if column.numeric else ""
    if column.sort_key is None:
        label = escape(column.label)
        if column.key == "warning":
            label = f'<span aria-label="{escape(t("customers.column.warning_help"))}">⚠</span>'
        return f'<th scope="col"{classes}>{label}</th>'
    sorted_here = sort.lstrip("-") == column.sort_key
    descending = sort.startswith("-")
    aria = f' aria-sort="{"descending" if descending else "ascending"}"' if sorted_here else ""
    arrow = (" ↓" if descending else " ↑") if sorted_here else ""
    hint = escape(t("customers.table.sort_hint", column=column.label))
    return (
        f'<th scope="col"{classes}{aria}><a href="{escape(sort_href(view, column.sort_key))}" '
        f'title="{hint}">{escape(column.label)}<span aria-hidden="true">{arrow}</span></a></th>'
    )


TABLE_STYLE: Final = f"""<style>
.ss-list-wrap {{ overflow-x: auto; }}
.ss-list {{ border-collapse: collapse; width: 100%; font-size: 0.95rem; }}
.ss-list caption {{ text-align: left; color: #31333f; font-weight: 600; padding: 0 0 0.4rem; }}
.ss-list th, .ss-list td {{ padding: 0.45rem 0.6rem; border-bottom: 1px solid #d5d7de; text-align: left;
  white-space: nowrap; }}
.ss-list thead th {{ background: #f0f2f6; font-weight: 600; }}
.ss-list thead a {{ color: #31333f; text-decoration: none; }}
.ss-list thead a:hover {{ text-decoration: underline; }}
.ss-list tbody th {{ font-weight: 400; }}
.ss-list tbody a {{ color: {FOCUS_RING}; text-decoration: underline; }}
.ss-list tbody tr:hover {{ background: #f7f8fa; }}
.ss-list .num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.ss-band {{ display: inline-block; padding: 0 0.5rem; border-radius: 0.75rem; }}
</style>"""


def customers_table_html(
    customers: list[JsonObject], view: dict[str, str], caption: str, money: StoreMoney
) -> str:
    """The page of customers as a table; the columns no customer of the page fills are left out."""
    rows = [_cells(customer, view, money) for customer in customers]
    optional = {"external_id", "segment", "warning", "whatsapp"}
    columns = [
        column
        for column in list_columns(money)
        if column.key not in optional or any(row[column.key] for row in rows)
    ]
    head = "".join(_header(column, view) for column in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            classes = ' class="num"' if column.numeric else ""
            tag = "th" if column.key == "name" else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{classes}>{row[column.key]}</{tag}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    # The scrolling region is focusable so that a keyboard can scroll it on a phone (axe:
    # scrollable-region-focusable).
    return (
        f'{TABLE_STYLE}<div class="ss-list-wrap" role="region" aria-label="{escape(caption)}" tabindex="0">'
        f'<table class="ss-list" data-testid="customers-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
