"""What an export says in the caller's language (issue 23): its headers, its words for genders,
bands and segments, its sheet's name, and its dates in the owner's time zone. The importer reads
these headers back (file_import), so a localized export re-imports in either language."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, StringConstraints

from customers_service.messages import Language
from customers_service.segment_catalogue import Segments
from customers_service.store_settings import MODEL_UNIT, IncomeUnit, from_model_income, income_header

EXPORT_LABELS: dict[str, dict[Language, str]] = {
    "external_id": {"en": "External id", "pt": "Código"},
    "name": {"en": "Name", "pt": "Nome"},
    "gender": {"en": "Gender", "pt": "Gênero"},
    "age": {"en": "Age", "pt": "Idade"},
    "annual_income": {"en": "Annual income (k$)", "pt": "Renda anual (mil $)"},
    "spending_score": {"en": "Predicted score", "pt": "Pontuação prevista"},
    "band": {"en": "Band", "pt": "Faixa"},
    "interval_low": {"en": "Interval low", "pt": "Intervalo mínimo"},
    "interval_high": {"en": "Interval high", "pt": "Intervalo máximo"},
    "model_version": {"en": "Model version", "pt": "Versão do modelo"},
    "predicted_at": {"en": "Predicted at ({zone})", "pt": "Previsto em ({zone})"},
    "segment": {"en": "Segment", "pt": "Segmento"},
    "observed_score": {"en": "Observed score", "pt": "Pontuação observada"},
    "phone": {"en": "Phone", "pt": "Telefone"},
    "email": {"en": "E-mail", "pt": "E-mail"},
}
# The UI catalogue's words (gender.*, band.*), which the importer's vocabulary also reads.
VALUE_LABELS: dict[str, dict[str, dict[Language, str]]] = {
    "gender": {"female": {"en": "Female", "pt": "Feminino"}, "male": {"en": "Male", "pt": "Masculino"}},
    "band": {
        "low": {"en": "low", "pt": "baixa"},
        "medium": {"en": "medium", "pt": "média"},
        "high": {"en": "high", "pt": "alta"},
    },
}
SHEET_NAMES: dict[Language, str] = {"en": "Customers", "pt": "Clientes"}
# The model card names segments by locale tag.
_CARD_LOCALES: dict[Language, str] = {"en": "en", "pt": "pt-BR"}
DATE_FORMATS: dict[Language, str] = {"en": "%Y-%m-%d %H:%M", "pt": "%d/%m/%Y %H:%M"}
XLSX_DATE_FORMATS: dict[Language, str] = {"en": "yyyy-mm-dd hh:mm", "pt": "dd/mm/yyyy hh:mm"}
DEFAULT_ZONES: dict[Language, str] = {"en": "UTC", "pt": "America/Sao_Paulo"}


@dataclass(frozen=True, slots=True)
class ExportLanguage:
    """One export's language and time zone, the model's segments to name (ids without them), and
    the store's income unit (issue 23: the income column in it, named for it, as the import reads it)."""

    language: Language
    zone: ZoneInfo
    segments: Segments | None = None
    income_unit: IncomeUnit = MODEL_UNIT

    def header(self, columns: Sequence[str]) -> list[str]:
        return [
            income_header(self.income_unit, self.language)
            if column == "annual_income" and not self.income_unit.is_model_unit
            else EXPORT_LABELS[column][self.language].format(zone=self.zone.key)
            for column in columns
        ]

    def row(self, columns: Sequence[str], values: Sequence[Any]) -> list[Any]:
        return [self._cell(column, value) for column, value in zip(columns, values, strict=True)]

    def _cell(self, column: str, value: Any) -> Any:
        if value is None:
            return None
        if column == "annual_income":
            return from_model_income(value, self.income_unit)
        if column in VALUE_LABELS:
            words = VALUE_LABELS[column].get(value)
            return words[self.language] if words else value
        if column == "segment" and self.segments is not None:
            return self.segments.describe(value)["name"].get(_CARD_LOCALES[self.language], value)
        if isinstance(value, datetime):
            # A wall-clock time in the owner's zone (the header names it): spreadsheets hold no zone.
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value


ExportLocale = Literal["en", "pt-BR"]


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> str:
    """An IANA time zone name this machine knows (``America/Sao_Paulo``), else ValueError."""
    if name not in _known_zones():
        raise ValueError("not a time zone we know: use an IANA name such as America/Sao_Paulo or UTC")
    return name


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(known_zone)]


def export_language(
    locale: ExportLocale, zone_name: str | None, segments: Segments | None, income_unit: IncomeUnit
) -> ExportLanguage:
    """How an export asked for in ``locale`` speaks: its dates in ``zone_name``, by default São Paulo's
    time in Portuguese and UTC in English."""
    language: Language = "pt" if locale == "pt-BR" else "en"
    return ExportLanguage(language, ZoneInfo(zone_name or DEFAULT_ZONES[language]), segments, income_unit)
