"""The catalogues are complete for every key the code uses; locale choice, formatting and error sentences."""

import re
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from spendscore_ui import i18n
from spendscore_ui.api_client import ApiError, FieldProblem, describe_error

UI_DIR = Path(__file__).resolve().parent.parent
# t("key"), tn("key", n), i18n.t("key"): the first argument when it is a literal.
_KEY_CALL = re.compile(r"""\b(?:t|tn)\(\s*["']([A-Za-z0-9_.]+)["']""")
# Keys built at run time from a fixed vocabulary, e.g. t(f"gender.{gender}").
_DYNAMIC_PREFIXES = {
    "gender.": i18n.GENDERS,
    "band.": i18n.BANDS,
    "service.": ("auth", "customers", "inference", "unknown"),
    "role.": ("user", "admin"),
    # issue 25
    "sales.source.": ("sales", "typed"),
    "store.reason.": ("better_on_held_out", "not_better_on_held_out", "too_few_scores"),
    "drift.feature.": ("age", "annual_income"),
}


def _ui_sources(root: Path) -> list[Path]:
    return [
        path
        for path in root.rglob("*.py")
        if "tests" not in path.relative_to(root).parts and "catalogues" not in path.parts
    ]


def used_keys(root: Path = UI_DIR) -> set[str]:
    keys: set[str] = set()
    for path in _ui_sources(root):
        keys.update(_KEY_CALL.findall(path.read_text(encoding="utf-8")))
    for prefix, names in _DYNAMIC_PREFIXES.items():
        keys.update(prefix + name for name in names)
    return keys


def _expand_plurals(keys: set[str]) -> set[str]:
    """tn("key", n) looks up key.one and key.other."""
    catalogue = i18n.CATALOGUES["en"]
    expanded = set()
    for key in keys:
        if key not in catalogue and f"{key}.one" in catalogue:
            expanded.update({f"{key}.one", f"{key}.other"})
        else:
            expanded.add(key)
    return expanded


def test_the_scan_finds_the_keys_of_the_pages():
    keys = used_keys()
    assert "login.submit" in keys  # a literal t("...") in app_pages/login.py
    assert len(keys) > 50


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_key_the_code_uses_is_in_the_catalogue(locale):
    missing = sorted(_expand_plurals(used_keys()) - set(i18n.CATALOGUES[locale]))
    assert missing == [], f"{locale} lacks {missing}"


def test_both_languages_have_the_same_keys_and_placeholders():
    english, portuguese = i18n.CATALOGUES["en"], i18n.CATALOGUES["pt-BR"]
    assert sorted(set(english) ^ set(portuguese)) == []

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    different = [key for key in english if fields(english[key]) != fields(portuguese[key])]
    assert different == []


def test_a_missing_key_is_caught(tmp_path):
    """The check is real: a page using an unknown key makes it fail."""
    page = tmp_path / "app_pages" / "extra.py"
    page.parent.mkdir()
    page.write_text('st.title(t("no.such.key"))\nst.caption(i18n.t("login.title"))\n')
    assert _expand_plurals(used_keys(tmp_path)) - set(i18n.CATALOGUES["en"]) == {"no.such.key"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-BR"),
        ("en-US,en;q=0.9,pt-BR;q=0.8", "en"),
        ("de-DE,de;q=0.9,pt;q=0.5,en;q=0.4", "pt-BR"),
        ("fr-FR", None),
        ("en;q=0.2, pt-PT;q=0.8", "pt-BR"),
        ("pt;q=0", None),
        ("", None),
    ],
)
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header) == expected


def _in(locale, monkeypatch):
    monkeypatch.setattr(i18n, "current_locale", lambda: locale)


def test_numbers_and_dates_per_locale(monkeypatch):
    monkeypatch.setattr(i18n, "browser_timezone", lambda: ZoneInfo("America/Sao_Paulo"))
    _in("pt-BR", monkeypatch)
    assert i18n.format_number(1234.5) == "1.234,5"
    assert i18n.format_percent(0.8) == "80%"
    # 13:05 UTC is 10:05 in São Paulo (UTC-3)
    assert i18n.format_datetime("2026-12-01T13:05:00+00:00") == "1 de dez. de 2026 10:05"
    assert i18n.format_month("2026-12") == "dez. de 2026"
    assert i18n.gender_label("female") == "Feminino"
    assert i18n.tn("admin.count", 1) == "1 conta"
    assert i18n.tn("admin.count", 1200) == "1.200 contas"
    _in("en", monkeypatch)
    assert i18n.format_number(1234.5) == "1,234.5"
    assert i18n.format_datetime("2026-12-01T13:05:00Z") == "Dec 1, 2026, 10:05\u202fAM"
    assert i18n.format_month("2026-12") == "Dec 2026"
    assert i18n.format_month("not a month") == "not a month"
    assert i18n.gender_label("male") == "Male"


def _error(status: int, body: object, headers: dict[str, str] | None = None) -> ApiError:
    response = httpx.Response(status, json=body, headers=headers)
    message, problems = describe_error(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    return ApiError(
        status,
        message,
        problems,
        service="customers",
        detail=detail if isinstance(detail, str) else None,
        code=code,
        retry_after=(headers or {}).get("Retry-After"),
    )


def test_validation_errors_become_sentences_in_both_languages(monkeypatch):
    error = _error(
        422,
        {
            "detail": [
                {
                    "type": "string_too_short",
                    "loc": ["body", "name"],
                    "msg": "String should have at least 1 character",
                    "ctx": {"min_length": 1},
                },
                {
                    "type": "less_than_equal",
                    "loc": ["body", "age"],
                    "msg": "Input should be less than or equal to 120",
                    "ctx": {"le": 120},
                },
            ]
        },
    )
    _in("pt-BR", monkeypatch)
    text = i18n.error_text(error)
    assert text == "Corrija: Nome: precisa de pelo menos 1 caracteres; Idade: deve ser no máximo 120."
    assert i18n.field_error(error, "age") == "deve ser no máximo 120"
    _in("en", monkeypatch)
    assert (
        i18n.error_text(error)
        == "Please correct: Name: needs at least 1 characters; Age: must be at most 120."
    )
    assert "String should" not in i18n.error_text(error)


def test_codes_and_known_details_are_translated(monkeypatch):
    _in("pt-BR", monkeypatch)
    deactivated = _error(403, {"detail": "This account is deactivated", "code": "account_deactivated"})
    assert i18n.error_text(deactivated).startswith("Esta conta está desativada")
    assert i18n.error_text(_error(409, {"detail": "A user with this email already exists"})) == (
        "Já existe uma conta com este e-mail."
    )
    throttled = _error(
        429, {"detail": "Too many failed login attempts; try again later"}, {"Retry-After": "60"}
    )
    assert (
        i18n.error_text(throttled)
        == "Tentativas de entrada com falha demais. Tente novamente em 60 segundos."
    )
    unknown = _error(400, {"detail": "Something only the service knows"})
    assert i18n.error_text(unknown) == "O pedido não foi aceito."


def test_import_problems_name_the_line(monkeypatch):
    _in("en", monkeypatch)
    problem = FieldProblem(message="Input should be less than or equal to 120", field="age", line=3)
    assert i18n.problem_sentence(problem) == "line 3, Age: must be at most 120"
    _in("pt-BR", monkeypatch)
    assert i18n.problem_sentence(problem) == "linha 3, Idade: deve ser no máximo 120"


@pytest.mark.parametrize(
    "name",
    [
        "![x](http://attacker.example/pixel.png)",
        "[click me](https://evil.example)",
        "<img src=http://attacker.example/a.png>",
        ":red[alarm] :material/warning:",
        "**bold** _it_ `code` # heading",
        "line\nbreak\n\n- list",
    ],
)
def test_escaped_names_render_as_their_own_characters(name):
    """What a Markdown renderer makes of an escaped name: the same characters, no link, image or tag."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(i18n.escape_markdown(name))
    assert "<a " not in html and "<img" not in html and "<strong>" not in html and "<em>" not in html
    assert "<h1>" not in html and "<li>" not in html and "<code>" not in html
    assert "[" not in i18n.escape_markdown(name).replace("\\[", "")


def _fields(spec: object) -> set[str]:
    """Every field an Altair spec's encodings and selections name (unescaped)."""
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "field" and isinstance(value, str):
                found.add(re.sub(r"\\(.)", r"\1", value))
            elif key == "fields" and isinstance(value, list):
                found.update(re.sub(r"\\(.)", r"\1", str(item)) for item in value)
            else:
                found |= _fields(value)
    elif isinstance(spec, list):
        for item in spec:
            found |= _fields(item)
    return found


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
def test_the_data_behind_every_chart_is_named_in_the_users_language(locale, monkeypatch):
    """Streamlit's "Show data" table is headed by the chart's column names: the catalogue's words, never
    the code's identifiers; and every field the encodings name is one of those columns."""
    import pandas as pd

    from spendscore_ui import charts, explanation_view

    _in(locale, monkeypatch)
    history = pd.DataFrame(
        [
            {
                "created_at": pd.Timestamp("2026-12-06T10:00:00Z"),
                "spending_score": 50.0,
                "low": 30.0,
                "high": 70.0,
                "band": "medium",
                "gender": "Feminino",
                "age": 40,
                "annual_income": 45.5,
                "model_version": "m1",
            }
        ]
    )
    names = {"savers": "Savers"}
    customer = {"annual_income": 45.5, "age": 40, "gender": "female"}
    explanation = {"contributions": {"annual_income": 10.0, "age": -5.0, "gender": 0.1}}
    built = [
        charts.history_chart(history),
        charts.gender_chart({"female": 3, "male": 2}),
        charts.band_counts_chart({"low": 1, "medium": 2, "high": 3}),
        charts.score_histogram([{"from": 0, "to": 10, "count": 2}]),
        charts.age_group_chart([{"group": "18-29", "average_score": 61.2, "count": 4}]),
        charts.segment_scatter(
            [{"annual_income": 45.5, "spending_score": 50.0, "segment": "savers", "observed": True}], names
        ),
        charts.segment_counts_chart([("savers", "Savers", 2)], names),
        explanation_view.contributions_chart(explanation, customer),
    ]
    words = set(i18n.CATALOGUES[locale].values())
    identifiers = re.compile(r"^[a-z]+(_[a-z]+)*$")  # score, count, band_name, spending_score ...
    for chart in built:
        spec = chart.to_dict()
        columns = {column for rows in spec["datasets"].values() for row in rows for column in row}
        assert columns <= words, f"not from the catalogue: {columns - words}"
        assert not [column for column in columns if identifiers.match(column)]
        assert _fields(spec) <= columns, f"encoded but not in the data: {_fields(spec) - columns}"
        assert spec["description"] and spec["config"]["aria"] is False  # the a11y description stays


def test_a_clicked_bar_is_read_back_by_the_field_its_selection_names(monkeypatch):
    """The band and segment bars select by their names in the user's language (Streamlit returns the
    selection's fields): the dashboard gets back the band and the segment's id."""
    from spendscore_ui import charts

    _in("pt-BR", monkeypatch)

    def selection_field(chart: object) -> str:
        spec = chart.to_dict()  # type: ignore[attr-defined]
        params = spec.get("params", []) + [
            param for layer in spec["layer"] for param in layer.get("params", [])
        ]
        [name] = [field for param in params if "select" in param for field in param["select"]["fields"]]
        return str(name)

    band_field = selection_field(charts.band_counts_chart({"low": 1, "medium": 2, "high": 3}))
    assert charts.band_picked({"band_pick": [{band_field: "alta"}]}) == "high"
    counts = [("savers", "Poupadores", 2)]
    segment_field = selection_field(charts.segment_counts_chart(counts, {"savers": "Poupadores"}))
    assert charts.segment_picked({"segment_pick": [{segment_field: "Poupadores"}]}, counts) == "savers"
    assert charts.band_picked({}) is None and charts.segment_picked({"segment_pick": []}, counts) is None


def test_scatter_income_axis_follows_the_incomes_not_zero(monkeypatch):
    """A zero-based income axis, padded so that edge points are drawn whole, reached below zero (a
    tick at -4 k$ on the dashboard): the axis follows the incomes instead."""
    from spendscore_ui import charts

    _in("en", monkeypatch)
    chart = charts.segment_scatter(
        [{"annual_income": 15, "spending_score": 50.0, "segment": "savers", "observed": False}],
        {"savers": "Savers"},
    )
    assert chart.to_dict()["encoding"]["x"]["scale"] == {"padding": 8, "zero": False}
