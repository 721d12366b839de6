"""Numbers people type, read the locale's way: "45,5" and "1.234,5" in pt-BR, "45.5" and "1,234.5" in
English. A separator in the wrong place is refused with a sentence, never dropped ("45.5" in pt-BR is
neither 455 nor 45,5 until the person says which)."""

import math
import re
from dataclasses import dataclass

from babel import numbers as babel_numbers

from spendscore_ui.i18n import babel_locale, format_number, t

MAX_TYPED_LENGTH = 40


@dataclass(frozen=True)
class ReadNumber:
    """A typed number: its value, or the sentence that says why it could not be read (both None: empty)."""

    value: float | None = None
    error: str | None = None


def parse_number(text: str | None, locale: str | None = None) -> ReadNumber:
    """The number in ``text`` as the locale writes it; empty text is no number and no error."""
    typed = (text or "").strip()
    if not typed:
        return ReadNumber()
    babel = babel_locale(locale)
    decimal_sign = babel_numbers.get_decimal_symbol(babel)
    group_sign = babel_numbers.get_group_symbol(babel)
    example = format_number(45.5)
    allowed = "0-9" + re.escape(decimal_sign + group_sign)
    # Digits, the locale's two separators and one leading sign only: Babel alone would also take
    # "1e5", "NaN" or "Infinity".
    if len(typed) > MAX_TYPED_LENGTH or not re.fullmatch(rf"[-+]?[{allowed}]*[0-9][{allowed}]*", typed):
        return ReadNumber(
            error=t("number.error.not_a_number", text=typed[:MAX_TYPED_LENGTH], example=example)
        )
    try:
        parsed = babel_numbers.parse_decimal(typed, locale=babel, strict=True)
    except babel_numbers.NumberFormatError as exc:
        meanings = [str(suggestion) for suggestion in exc.suggestions or [] if suggestion != typed]
        if len(meanings) >= 2:
            return ReadNumber(
                error=t("number.error.ambiguous", text=typed, first=meanings[-1], second=meanings[0])
            )
        return ReadNumber(error=t("number.error.not_a_number", text=typed, example=example))
    value = float(parsed)
    if not math.isfinite(value):
        return ReadNumber(error=t("number.error.not_a_number", text=typed, example=example))
    return ReadNumber(value=value)


def typed_form(value: float | int | None, *, decimals: int = 2) -> str:
    """How a stored number is put back into a text field, so that ``parse_number`` reads it again."""
    return "" if value is None else format_number(value, decimals=decimals)
