"""The UI's language: message lookup, the current locale, locale-aware numbers and dates, API errors as
sentences.

Every string the UI shows comes from ``t(key, **params)``. The messages live in
``spendscore_ui.catalogues``: one module per language and section (``core_en``, ``core_pt_br``,
``pages_en``, ``pages_pt_br``), merged here, so that each section can grow without touching the others.

The locale is, in this order: the one chosen in this session (sidebar switch), the language cookie
(the switch remembered across sign-ins), the browser's ``Accept-Language``, the browser's own locale, and
the UI's default (``UI_DEFAULT_LANGUAGE``, English unless set). Dates and times are shown in the
browser's time zone (``st.context.timezone``), UTC when unknown.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from spendscore_ui.catalogues import (
    core_en,
    core_pt_br,
    explained_en,
    explained_pt_br,
    list_en,
    list_pt_br,
    money_en,
    money_pt_br,
    pages_en,
    pages_pt_br,
    streamlit_en,
    streamlit_pt_br,
)
from spendscore_ui.config import get_settings

if TYPE_CHECKING:
    from spendscore_ui.api_client import ApiError, FieldProblem

LOCALES: Final = ("pt-BR", "en")
DEFAULT_LOCALE: Final = "en"
LANGUAGE_COOKIE: Final = "spendscore_lang"
LANGUAGE_COOKIE_MAX_AGE: Final = 365 * 24 * 60 * 60
LANGUAGE_NAMES: Final = {"pt-BR": "Português (Brasil)", "en": "English"}

_BABEL_LOCALES: Final = {"pt-BR": "pt_BR", "en": "en"}
_STATE_LOCALE = "i18n_locale"
_STATE_COOKIE_PENDING = "i18n_cookie_pending"

CATALOGUES: Final[dict[str, dict[str, str]]] = {
    "en": {
        **core_en.MESSAGES,
        **pages_en.MESSAGES,
        **list_en.MESSAGES,
        **explained_en.MESSAGES,
        **money_en.MESSAGES,
        **streamlit_en.MESSAGES,
    },
    "pt-BR": {
        **core_pt_br.MESSAGES,
        **pages_pt_br.MESSAGES,
        **list_pt_br.MESSAGES,
        **explained_pt_br.MESSAGES,
        **money_pt_br.MESSAGES,
        **streamlit_pt_br.MESSAGES,
    },
}


# --- which language ---------------------------------------------------------------------------------


def supported_locale(tag: str | None) -> str | None:
    """The supported locale for a language tag ("pt", "pt-PT", "pt_BR", "en-GB" ...), or None."""
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split("-")[0].lower()
    return {"pt": "pt-BR", "en": "en"}.get(language)


def negotiate(accept_language: str | None) -> str | None:
    """The best supported locale for an ``Accept-Language`` header (by q-value, then order)."""
    if not accept_language:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language[:1000].split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", parameters)
        if match:
            try:
                weight = float(match.group(1))
            except ValueError:
                weight = 0.0
        locale = supported_locale(tag)
        if locale and weight > 0:
            choices.append((-weight, position, locale))
    return min(choices)[2] if choices else None


def _context_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def detected_locale() -> str:
    """The locale the browser asks for: cookie, then Accept-Language, then the browser's locale."""
    try:
        cookie = supported_locale(_context_text(st.context.cookies.get(LANGUAGE_COOKIE)))
        header = negotiate(_context_text(st.context.headers.get("Accept-Language")))
        browser = supported_locale(_context_text(st.context.locale))
    except (AttributeError, RuntimeError, KeyError):  # outside a script run
        return DEFAULT_LOCALE
    return cookie or header or browser or _configured_default()


def _configured_default() -> str:
    """UI_DEFAULT_LANGUAGE (English unless set)."""
    return get_settings().default_language


def current_locale() -> str:
    """The locale of this session ("pt-BR" or "en")."""
    try:
        chosen = st.session_state.get(_STATE_LOCALE)
    except (AttributeError, RuntimeError):
        chosen = None
    if isinstance(chosen, str) and chosen in LOCALES:
        return chosen
    return detected_locale()


def set_locale(locale: str) -> None:
    """Switch this session's language and have the browser remember it (see ``emit_language_cookie``)."""
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    st.session_state[_STATE_LOCALE] = locale
    st.session_state[_STATE_COOKIE_PENDING] = locale


def emit_language_cookie(*, secure: bool) -> None:
    """After a switch: store the choice in a (non-secret, script-readable) cookie so that it survives
    sign-out, sign-in and new tabs. Called once per run by the router."""
    locale = st.session_state.pop(_STATE_COOKIE_PENDING, None)
    if locale not in LOCALES:
        return
    attributes = f"Path=/; Max-Age={LANGUAGE_COOKIE_MAX_AGE}; SameSite=Lax" + ("; Secure" if secure else "")
    st.html(
        f"<script>document.cookie = {LANGUAGE_COOKIE + '=' + locale + '; ' + attributes!r};</script>",
        unsafe_allow_javascript=True,
    )


def babel_locale(locale: str | None = None) -> Locale:
    return _parsed_locale(_BABEL_LOCALES[locale or current_locale()])


@lru_cache(maxsize=8)
def _parsed_locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except UnknownLocaleError:  # pragma: no cover - both names ship with Babel
        return Locale.parse("en")


# --- messages ---------------------------------------------------------------------------------------


def t(key: str, /, **params: Any) -> str:
    """The message ``key`` in the current language, with ``{name}`` placeholders filled from ``params``.

    A key missing from the catalogue shows as the key itself (and the catalogue test fails)."""
    locale = current_locale()
    template = CATALOGUES[locale].get(key) or CATALOGUES[DEFAULT_LOCALE].get(key)
    if template is None:
        return key
    return template.format(**params) if params else template


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def escape_markdown(text: object) -> str:
    """User-typed text made inert for elements that render Markdown (st.title, st.warning, st.toast,
    st.caption, ...): every punctuation mark that could start a link, an image, emphasis, HTML, a
    Streamlit directive (``:red[...]``, ``:material/x:``) is backslash-escaped, and newlines become spaces.
    Prefer ``st.text`` (never Markdown) where the layout allows."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def t_md(key: str, /, **params: Any) -> str:
    """``t`` for an element that renders Markdown: the parameters (user-typed names, emails) are
    escaped with ``escape_markdown``; the catalogue's own text is kept as it is."""
    return t(key, **{name: escape_markdown(value) for name, value in params.items()})


def plural_category(count: int | float, locale: str | None = None) -> str:
    """The CLDR plural category of ``count`` in the locale ("one", "many", "other" ...), by Babel's rules:
    in Portuguese 0 and 1 are "one" ("0 cliente", "1 cliente"), in English only 1."""
    return str(babel_locale(locale).plural_form(abs(count)))


def tn(key: str, count: int, /, **params: Any) -> str:
    """A message that depends on a count: the catalogue holds ``key.one`` and ``key.other`` (and any other
    CLDR category the language needs, e.g. ``key.many``); ``{count}`` is the count formatted for the locale.
    A category the catalogue lacks falls back to ``other``."""
    category = plural_category(count)
    form = category if f"{key}.{category}" in CATALOGUES[current_locale()] else "other"
    return t(f"{key}.{form}", count=format_integer(count), **params)


def gender_label(gender: object) -> str:
    """ "female"/"male" as the user reads it (Feminino/Masculino in Portuguese)."""
    return t(f"gender.{gender}") if gender in ("female", "male") else str(gender or "")


def band_label(band: object) -> str:
    """ "low"/"medium"/"high" in the user's language."""
    return t(f"band.{band}") if band in ("low", "medium", "high") else str(band or "")


GENDERS: Final = ("female", "male")
BANDS: Final = ("low", "medium", "high")


# --- numbers ----------------------------------------------------------------------------------------


def format_integer(value: int | float) -> str:
    """``1234`` as "1,234" (en) or "1.234" (pt-BR)."""
    return babel_numbers.format_decimal(round(value), format="#,##0", locale=babel_locale())


def format_number(value: float | int | None, *, decimals: int = 1, fixed: bool = False) -> str:
    """A decimal number for the locale: at most ``decimals`` places (exactly, with ``fixed``)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * decimals if decimals > 0 else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=babel_locale())


def format_percent(fraction: float | None, *, decimals: int = 0) -> str:
    """``0.8`` as "80%" (en) or "80%" (pt-BR), with ``decimals`` places."""
    if fraction is None:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return babel_numbers.format_percent(fraction, format=pattern, locale=babel_locale())


# --- dates and times --------------------------------------------------------------------------------


def browser_timezone() -> ZoneInfo:
    """The browser's time zone (IANA name from ``st.context.timezone``), UTC when unknown."""
    try:
        name = _context_text(st.context.timezone)
    except (AttributeError, RuntimeError):
        name = None
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 string (as the services send) or a datetime, as an aware datetime; None if neither."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(value: object) -> datetime | None:
    """The moment in the browser's time zone."""
    moment = parse_timestamp(value)
    return moment.astimezone(browser_timezone()) if moment else None


def format_datetime(value: object, *, seconds: bool = False) -> str:
    """A date and time in the browser's zone, e.g. "Dec 1, 2026, 8:50 PM" / "1 de dez. de 2026 20:50"."""
    moment = local_time(value)
    if moment is None:
        return ""
    locale = babel_locale()
    day = babel_dates.format_date(moment, format="medium", locale=locale)
    clock = babel_dates.format_time(moment, format="medium" if seconds else "short", locale=locale)
    pattern = str(babel_dates.get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", day).replace("{0}", clock)


def format_date(value: object) -> str:
    """A day, e.g. "Dec 1, 2026" / "1 de dez. de 2026" (a datetime is first put in the browser's zone)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return babel_dates.format_date(value, format="medium", locale=babel_locale())
    moment = local_time(value)
    return babel_dates.format_date(moment, format="medium", locale=babel_locale()) if moment else ""


def format_month(value: object) -> str:
    """A calendar month given as "2026-12", e.g. "Dec 2026" / "dez. de 2026" (the text as it came if it
    is not one)."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
        return babel_dates.format_skeleton("yMMM", date(year, month, 1), locale=babel_locale())
    except ValueError:
        return str(value)


# --- API errors as sentences ------------------------------------------------------------------------

# The services' own sentences (auth, customers) and the catalogue key that says the same in every language.
_KNOWN_DETAILS: Final[Mapping[str, str]] = {
    "Incorrect email or password": "error.wrong_credentials",
    "This account no longer exists or is deactivated": "error.account_unavailable",
    "The current password is incorrect": "error.wrong_current_password",
    "A user with this email already exists": "error.email_taken",
    "This is the last active admin: make another user an active admin first": "error.last_admin",
    "Requires role: admin": "error.admin_only",
    "User not found": "error.user_not_found",
    "Customer not found": "error.customer_not_found",
    "This token does not belong to a store owner": "error.not_an_owner",
    "The prediction service is unavailable; try again shortly": "error.inference_unavailable",
    "The prediction service refused the request": "error.inference_refused",
    "Too many failed login attempts; try again later": "error.too_many_attempts",
    "new_password must differ from the current password": "error.password_same",
}

# The ``code`` some answers carry (auth's 403s, a look-alike address's 409), mapped to a key.
_KNOWN_CODES: Final[Mapping[str, str]] = {
    "account_deactivated": "error.account_deactivated",
    "password_change_required": "error.password_change_required",
    "email_look_alike": "error.email_look_alike",
}

_STATUS_KEYS: Final[Mapping[int, str]] = {
    400: "error.status_400",
    403: "error.status_403",
    404: "error.status_404",
    409: "error.status_409",
    413: "error.status_413",
    422: "error.status_422",
    429: "error.status_429",
}

# pydantic's error types (``type`` in a 422 item) that have a sentence of their own.
_PROBLEM_KEYS: Final[Mapping[str, str]] = {
    "missing": "problem.missing",
    "string_too_short": "problem.too_short",
    "string_too_long": "problem.too_long",
    "too_short": "problem.too_few",
    "too_long": "problem.too_many",
    "greater_than_equal": "problem.at_least",
    "greater_than": "problem.more_than",
    "less_than_equal": "problem.at_most",
    "less_than": "problem.less_than",
    "int_parsing": "problem.not_a_whole_number",
    "int_from_float": "problem.not_a_whole_number",
    "int_type": "problem.not_a_whole_number",
    "float_parsing": "problem.not_a_number",
    "float_type": "problem.not_a_number",
    "finite_number": "problem.not_a_number",
    "literal_error": "problem.one_of",
    "enum": "problem.one_of",
    "string_type": "problem.not_text",
    "value_error": "problem.invalid",
    "extra_forbidden": "problem.unknown_field",
}

# Validators' own messages ("Value error, ..." stripped) that we can say better.
_KNOWN_REASONS: Final[Mapping[str, str]] = {
    "must be a finite number": "problem.not_a_number",
    "may be left out but not set to null": "problem.missing",
    "the header line is missing": "problem.header_missing",
    "password is one of the 1,000 most common passwords: choose another": "problem.password_common",
}


# pydantic's English messages, for problems that arrive without their type (the CSV import's reasons).
_REASON_PATTERNS: Final = (
    (re.compile(r"Input should be less than or equal to (?P<max>-?[\d.]+)"), "problem.at_most"),
    (re.compile(r"Input should be greater than or equal to (?P<min>-?[\d.]+)"), "problem.at_least"),
    (re.compile(r"Input should be less than (?P<max>-?[\d.]+)"), "problem.less_than"),
    (re.compile(r"Input should be greater than (?P<min>-?[\d.]+)"), "problem.more_than"),
    (re.compile(r"String should have at least (?P<min>\d+) characters?"), "problem.too_short"),
    (re.compile(r"String should have at most (?P<max>\d+) characters?"), "problem.too_long"),
    (re.compile(r"Input should be a valid integer"), "problem.not_a_whole_number"),
    (re.compile(r"Input should be a valid number"), "problem.not_a_number"),
    (re.compile(r"Field required"), "problem.missing"),
    (re.compile(r"password must be at least (?P<min>\d+) characters"), "problem.too_short"),
    (re.compile(r"password must be at most (?P<max>\d+) bytes"), "problem.password_too_long"),
)


def field_label(name: str | None) -> str:
    """A field's name as the user knows it from the form ("annual_income" -> "Annual income (k$)")."""
    if not name:
        return ""
    key = f"field.{name}"
    label = t(key)
    return name if label == key else label


def _number_param(value: object) -> str:
    return format_number(value, decimals=2) if isinstance(value, int | float) else str(value)


def problem_text(problem: "FieldProblem") -> str:
    """One field's problem as a sentence fragment in the user's language (without the field's name)."""
    context = problem.context or {}
    if problem.kind == "localised":  # the service already said it in the user's language
        return problem.message
    reason_key = _KNOWN_REASONS.get(problem.message)
    if reason_key is None and problem.message.startswith("unknown gender"):
        reason_key = "problem.gender"
    if reason_key is None and problem.message.startswith("missing column"):
        return t(
            "problem.column_missing", column=problem.message.removeprefix("missing column ").strip("'\"")
        )
    if reason_key is None and problem.kind not in (None, "value_error"):
        reason_key = _PROBLEM_KEYS.get(str(problem.kind))
    if reason_key is None:
        for pattern, key in _REASON_PATTERNS:
            match = pattern.match(problem.message)
            if match:
                numbers = {name: _number_param(float(value)) for name, value in match.groupdict().items()}
                return t(key, **{"min": "", "max": "", **numbers})
        return t("problem.invalid")
    params = {
        "min": _number_param(context.get("min_length", context.get("ge", context.get("gt", "")))),
        "max": _number_param(context.get("max_length", context.get("le", context.get("lt", "")))),
        "expected": str(context.get("expected", "")),
    }
    return t(reason_key, **params)


def problem_sentence(problem: "FieldProblem") -> str:
    """ "Line 3, Age: must be at most 120." in the user's language."""
    where = []
    if problem.line is not None:
        where.append(t("problem.line", line=format_integer(problem.line)))
    if problem.field:
        where.append(field_label(problem.field))
    reason = problem_text(problem)
    return t("problem.where", where=", ".join(where), reason=reason) if where else reason


def field_error(error: "ApiError", name: str) -> str | None:
    """The problem the service found with one form field, to show next to that field (or None)."""
    for problem in error.problems:
        if problem.field == name:
            return problem_text(problem)
    return None


def error_text(error: "ApiError") -> str:
    """A plain sentence for a failed call, in the user's language: never the service's raw text."""
    service = t(f"service.{error.service}") if error.service else t("service.unknown")
    params = {"service": service, "reference": error.request_id or "-", "seconds": error.retry_after or ""}
    if error.kind == "timeout":
        return t("error.timeout", **params)
    if error.kind == "unreachable":
        return t("error.unreachable", **params)
    if error.kind == "expired":
        return t("error.session_expired")
    if error.code and error.code in _KNOWN_CODES:
        return t(_KNOWN_CODES[error.code])
    if error.detail and error.detail in _KNOWN_DETAILS:
        sentence = t(_KNOWN_DETAILS[error.detail])
    elif error.kind == "unavailable":
        sentence = t("error.unavailable", **params)
    elif error.kind == "server_error":
        return t("error.server_error", **params)
    elif error.problems:
        shown = [problem_sentence(problem).rstrip(".") for problem in error.problems[:5]]
        sentence = t("error.please_correct", problems="; ".join(shown))
        if len(error.problems) > 5:
            sentence += " " + tn("error.more_problems", len(error.problems) - 5)
    elif error.status_code == 401:
        sentence = t("error.wrong_credentials")
    else:
        sentence = t(_STATUS_KEYS.get(error.status_code, "error.status_other"), status=error.status_code)
    if error.retry_after and error.status_code in (429, 503):
        sentence += " " + t("error.retry_after", seconds=error.retry_after)
    return sentence
