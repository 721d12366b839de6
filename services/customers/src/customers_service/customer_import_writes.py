"""Writing an import's customers at once: COPY of the new rows, one UPDATE for the existing ones.

Nothing here commits: the caller owns the transaction."""

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service.inference_client import ModelOutput
from customers_service.models import (
    PREDICTION_DONE,
    PREDICTION_PENDING,
    SEGMENT_OBSERVED,
    SEGMENT_PREDICTED,
)
from customers_service.schemas import CustomerCreate
from customers_service.search_text import search_text
from customers_service.segment_catalogue import Segments
from customers_service.store_settings import ENTERED_INCOME_COLUMNS

_CUSTOMER_COPY_COLUMNS = (
    "id",
    "owner_id",
    "external_id",
    "name",
    "search_name",
    "gender",
    "age",
    "annual_income",
    "created_at",
    "updated_at",
    "latest_prediction_id",
    "latest_spending_score",
    "latest_band",
    "latest_segment",
    "latest_segment_probability",
    "segment_source",
    "observed_score",
    "observed_at",
    "prior_score",
    "prior_interval_low",
    "prior_interval_high",
    *ENTERED_INCOME_COLUMNS,
    "phone",
    "email",
)
_OBSERVED_COPY_COLUMNS = ("id", "owner_id", "customer_id", "score", "observed_at")
_PREDICTION_COPY_COLUMNS = (
    "id",
    "owner_id",
    "customer_id",
    "status",
    "spending_score",
    "band",
    "interval_low",
    "interval_high",
    "model_version",
    "gender",
    "age",
    "annual_income",
    "created_at",
    "completed_at",
    "segment_id",
    "segment_probability",
    "mode_low",
    "mode_high",
    "warnings",
    "explanation_base",
    "contribution_gender",
    "contribution_age",
    "contribution_income",
)


@dataclass(frozen=True, slots=True)
class ImportedUpdate:
    """An existing customer (found by external id) and the values a re-import gives it; with
    ``predict`` (gender, age or income changed) it gets a new prediction, ``outcome`` or pending."""

    customer_id: uuid.UUID
    values: CustomerCreate
    predict: bool
    outcome: ModelOutput | None


@dataclass(frozen=True, slots=True)
class ImportRecords:
    """Rows for COPY into ``customer``, ``prediction`` and ``observed_score``, and the updates of
    existing customers."""

    customers: list[tuple[Any, ...]]
    predictions: list[tuple[Any, ...]]
    updates: list[dict[str, Any]]
    observed: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)


def _prediction_record(
    *,
    prediction_id: uuid.UUID,
    owner_id: uuid.UUID,
    customer_id: uuid.UUID,
    values: CustomerCreate,
    outcome: ModelOutput | None,
    now: datetime,
) -> tuple[Any, ...]:
    return (
        prediction_id,
        owner_id,
        customer_id,
        PREDICTION_DONE if outcome else PREDICTION_PENDING,
        outcome.spending_score if outcome else None,
        outcome.band if outcome else None,
        outcome.interval_low if outcome else None,
        outcome.interval_high if outcome else None,
        outcome.model_version if outcome else None,
        values.gender,
        values.age,
        values.annual_income,
        now,
        now if outcome else None,
        outcome.segment_id if outcome else None,
        outcome.segment_probability if outcome else None,
        outcome.modes[0] if outcome and outcome.modes else None,
        outcome.modes[1] if outcome and outcome.modes else None,
        list(outcome.warnings) if outcome else [],
        outcome.explanation_base if outcome else None,
        *(outcome.contributions if outcome and outcome.contributions else (None, None, None)),
    )


def import_records(
    *,
    owner_id: uuid.UUID,
    created: Sequence[tuple[CustomerCreate, ModelOutput | None]],
    updated: Sequence[ImportedUpdate],
    segments: Segments | None = None,
) -> ImportRecords:
    """Plain CPU work (about 20,000 tuples for an import): call it in a worker thread.

    A ``None`` outcome stores the prediction as pending (inference was unavailable). A new customer
    with an observed score gets it with its history entry, as a create does; its first prediction
    is the one "made before" it, and its segment the nearest of (income, score) when ``segments``.
    """
    now = datetime.now(UTC)
    records = ImportRecords([], [], [])
    for values, outcome in created:
        customer_id, prediction_id = uuid.uuid4(), uuid.uuid4()
        observed = values.observed_score
        segment: tuple[Any, Any, Any] = (
            outcome.segment_id if outcome else None,
            outcome.segment_probability if outcome else None,
            SEGMENT_PREDICTED if outcome and outcome.segment_id else None,
        )
        if observed is not None:
            records.observed.append((uuid.uuid4(), owner_id, customer_id, observed, now))
            if segments is not None and segments.centroids:
                segment = (segments.nearest(values.annual_income, float(observed)), None, SEGMENT_OBSERVED)
        records.customers.append(
            (
                customer_id,
                owner_id,
                values.external_id,
                values.name,
                search_text(values.name),
                values.gender,
                values.age,
                values.annual_income,
                now,
                now,
                prediction_id,
                outcome.spending_score if outcome else None,
                outcome.band if outcome else None,
                *segment,
                observed,
                now if observed is not None else None,
                outcome.spending_score if outcome and observed is not None else None,
                outcome.interval_low if outcome and observed is not None else None,
                outcome.interval_high if outcome and observed is not None else None,
                *(getattr(values, column) for column in ENTERED_INCOME_COLUMNS),
                values.phone,
                values.email,
            )
        )
        records.predictions.append(
            _prediction_record(
                prediction_id=prediction_id,
                owner_id=owner_id,
                customer_id=customer_id,
                values=values,
                outcome=outcome,
                now=now,
            )
        )
    for update_ in updated:
        new_prediction_id = uuid.uuid4() if update_.predict else None
        if new_prediction_id is not None:
            records.predictions.append(
                _prediction_record(
                    prediction_id=new_prediction_id,
                    owner_id=owner_id,
                    customer_id=update_.customer_id,
                    values=update_.values,
                    outcome=update_.outcome,
                    now=now,
                )
            )
        records.updates.append(
            {
                "customer_id": update_.customer_id,
                "owner_id": owner_id,
                "name": update_.values.name,
                "search_name": search_text(update_.values.name),
                "gender": update_.values.gender,
                "age": update_.values.age,
                "annual_income": update_.values.annual_income,
                "now": now,
                "prediction_id": new_prediction_id,
                "score": update_.outcome.spending_score if update_.outcome else None,
                "result_band": update_.outcome.band if update_.outcome else None,
                "segment": update_.outcome.segment_id if update_.outcome else None,
                "probability": update_.outcome.segment_probability if update_.outcome else None,
                **{column: getattr(update_.values, column) for column in ENTERED_INCOME_COLUMNS},
                "phone": update_.values.phone,
                "email": update_.values.email,
            }
        )
    return records


# Every update of an import in one statement (the values as arrays, one element per customer): the
# aggregates' statement trigger then runs once per import, not once per row.
_IMPORT_UPDATE = text(
    "UPDATE customer SET name = u.name, search_name = u.search_name, gender = u.gender, age = u.age, "
    "annual_income = u.annual_income, updated_at = :now, income_amount = u.income_amount, "
    "income_currency = u.income_currency, income_period = u.income_period, "
    "income_in_thousands = u.income_in_thousands, "
    "income_units_per_model_unit = u.income_units_per_model_unit, "
    "latest_prediction_id = COALESCE(u.prediction_id, customer.latest_prediction_id), "
    "latest_spending_score = CASE WHEN u.prediction_id IS NULL THEN customer.latest_spending_score "
    "ELSE u.score END, "
    "latest_band = CASE WHEN u.prediction_id IS NULL THEN customer.latest_band ELSE u.result_band END, "
    # A new prediction's segment, unless the owner's observed score decides the segment.
    "latest_segment = CASE WHEN u.prediction_id IS NULL OR customer.segment_source = 'observed' "
    "THEN customer.latest_segment ELSE u.segment END, "
    "latest_segment_probability = CASE WHEN u.prediction_id IS NULL "
    "OR customer.segment_source = 'observed' THEN customer.latest_segment_probability "
    "ELSE u.probability END, "
    "segment_source = CASE WHEN u.prediction_id IS NULL OR customer.segment_source = 'observed' "
    "THEN customer.segment_source WHEN u.segment IS NULL THEN NULL ELSE 'predicted' END, "
    # A file without a contact column keeps the stored contact; with it, an empty cell clears it.
    "phone = CASE WHEN :set_phone THEN u.phone ELSE customer.phone END, "
    "email = CASE WHEN :set_email THEN u.email ELSE customer.email END "
    "FROM unnest(CAST(:customer_ids AS uuid[]), CAST(:names AS varchar[]), "
    "CAST(:search_names AS varchar[]), CAST(:genders AS varchar[]), CAST(:ages AS smallint[]), "
    "CAST(:incomes AS double precision[]), CAST(:prediction_ids AS uuid[]), "
    "CAST(:scores AS double precision[]), CAST(:bands AS varchar[]), CAST(:segments AS varchar[]), "
    "CAST(:probabilities AS double precision[]), CAST(:income_amounts AS double precision[]), "
    "CAST(:income_currencies AS varchar[]), CAST(:income_periods AS varchar[]), "
    "CAST(:income_in_thousands AS boolean[]), CAST(:income_factors AS double precision[]), "
    "CAST(:phones AS varchar[]), CAST(:emails AS varchar[])) "
    "AS u(customer_id, name, search_name, gender, age, annual_income, prediction_id, score, result_band, "
    "segment, probability, income_amount, income_currency, income_period, income_in_thousands, "
    "income_units_per_model_unit, phone, email) "
    "WHERE customer.id = u.customer_id AND customer.owner_id = :owner_id"
)
_IMPORT_UPDATE_ARRAYS = {
    "customer_ids": "customer_id",
    "names": "name",
    "search_names": "search_name",
    "genders": "gender",
    "ages": "age",
    "incomes": "annual_income",
    "prediction_ids": "prediction_id",
    "scores": "score",
    "bands": "result_band",
    "segments": "segment",
    "probabilities": "probability",
    "income_amounts": "income_amount",
    "income_currencies": "income_currency",
    "income_periods": "income_period",
    "income_in_thousands": "income_in_thousands",
    "income_factors": "income_units_per_model_unit",
    "phones": "phone",
    "emails": "email",
}


def _import_update_parameters(
    updates: list[dict[str, Any]], contact_columns: frozenset[str]
) -> dict[str, Any]:
    parameters = {
        array: [update_[key] for update_ in updates] for array, key in _IMPORT_UPDATE_ARRAYS.items()
    }
    # import_records gives every update of one import the same owner and time.
    return {
        **parameters,
        "owner_id": updates[0]["owner_id"],
        "now": updates[0]["now"],
        "set_phone": "phone" in contact_columns,
        "set_email": "email" in contact_columns,
    }


async def store_import(
    *, session: AsyncSession, records: ImportRecords, contact_columns: frozenset[str] = frozenset()
) -> None:
    """COPY the new rows in and apply the updates, all in the session's transaction; the updates
    change the contacts of ``contact_columns`` only (the file's), keeping the others."""
    connection = await session.connection()
    raw_connection = await connection.get_raw_connection()
    driver = raw_connection.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN with the first statement it runs, and a COPY on the
        # driver's connection is not one: without this, each COPY would commit on its own (a crash
        # between them left customers without predictions).
        await session.execute(text("SELECT 1"))
    if not driver.is_in_transaction():
        raise RuntimeError("the import is not inside a transaction")
    if records.customers:
        await driver.copy_records_to_table(
            "customer", records=records.customers, columns=_CUSTOMER_COPY_COLUMNS
        )
    if records.updates:
        await session.execute(_IMPORT_UPDATE, _import_update_parameters(records.updates, contact_columns))
    if records.predictions:
        await driver.copy_records_to_table(
            "prediction", records=records.predictions, columns=_PREDICTION_COPY_COLUMNS
        )
    if records.observed:
        await driver.copy_records_to_table(
            "observed_score", records=records.observed, columns=_OBSERVED_COPY_COLUMNS
        )
