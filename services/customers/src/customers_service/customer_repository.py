"""SQL about customers; every function is filtered by the owner and returns rows, never HTTP errors.

Nothing here commits: the caller owns the transaction."""

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Select, String, bindparam, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from customers_service.inference_client import ModelInput, ModelOutput
from customers_service.models import (
    PREDICTION_DONE,
    PREDICTION_PENDING,
    SEGMENT_OBSERVED,
    SEGMENT_PREDICTED,
    Customer,
    CustomerAggregate,
    ObservedScore,
    Prediction,
)
from customers_service.schemas import CustomerCreate
from customers_service.search_text import search_text, search_words
from customers_service.segment_catalogue import Segments

AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-17", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 120),
)
HISTOGRAM_BUCKETS = 10
SCATTER_POINTS = 2000
MIN_OBSERVED_FOR_FIT = 20  # r2 and interval coverage need at least this many observed customers

_SORT_KEYS = {"name", "created_at", "spending_score", "age", "segment"}
# Sort keys whose column is not the key itself.
_SORT_COLUMN_NAMES = {"spending_score": "latest_spending_score", "segment": "latest_segment"}


_NULLABLE_SORT_KEYS = frozenset({"spending_score", "segment"})


@dataclass(frozen=True, slots=True)
class CustomerWithLatest:
    customer: Customer
    latest: Prediction | None


def _order_by(sort: str, rows: Any = Customer) -> tuple[ColumnElement[Any], ...]:
    """``name`` / ``-name``...; customers with a pending score come last in both directions.

    NULLS LAST only on the nullable score: on the NOT NULL columns it would keep PostgreSQL from
    reading their indexes backwards. Each order has an index (models.py) that serves it.
    ``rows``: the customer table, or a CTE of its rows.
    """
    key = sort.lstrip("-")
    assert key in _SORT_KEYS
    column = col(getattr(rows, _SORT_COLUMN_NAMES.get(key, key)))
    last = col(rows.id)
    if sort.startswith("-"):
        first = column.desc().nulls_last() if key in _NULLABLE_SORT_KEYS else column.desc()
        return first, last.desc()
    first = column.asc().nulls_last() if key in _NULLABLE_SORT_KEYS else column.asc()
    return first, last.asc()


def _latest_joined() -> Select[tuple[Customer, Prediction]]:
    return select(Customer, Prediction).outerjoin(
        Prediction, col(Prediction.id) == col(Customer.latest_prediction_id)
    )


# Built once, not per request: building it cost more than running it on the hottest read.
_OWNERS_CUSTOMER = _latest_joined().where(
    col(Customer.owner_id) == bindparam("owner_id"), col(Customer.id) == bindparam("customer_id")
)


async def get(
    *, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerWithLatest | None:
    row = (
        await session.execute(_OWNERS_CUSTOMER, {"owner_id": owner_id, "customer_id": customer_id})
    ).first()
    return None if row is None else CustomerWithLatest(row[0], row[1])


def _search_matches(q: str) -> ColumnElement[bool]:
    """Every word of ``q`` starts a word of the name (accents, case and punctuation ignored, by the
    normalised ``search_name`` and its full-text index), or ``q`` is the external id exactly."""
    external_id_matches = col(Customer.external_id) == q.strip()
    words = search_words(q)
    if not words:
        return external_id_matches
    query = " & ".join(f"'{word}':*" for word in words)
    name_matches = text(
        "to_tsvector('simple'::regconfig, customer.search_name) @@ to_tsquery('simple'::regconfig, :q)"
    ).bindparams(q=query)
    return or_(name_matches, external_id_matches)


async def list_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    limit: int,
    offset: int,
    sort: str,
    q: str | None = None,
    gender: str | None = None,
    band: str | None = None,
    segment: str | None = None,
) -> tuple[list[CustomerWithLatest], int]:
    conditions: list[ColumnElement[bool]] = [col(Customer.owner_id) == owner_id]
    if q is not None and q.strip():
        conditions.append(_search_matches(q))
    if gender is not None:
        conditions.append(col(Customer.gender) == gender)
    if band is not None:
        conditions.append(col(Customer.latest_band) == band)
    if segment is not None:
        conditions.append(col(Customer.latest_segment) == segment)
    # The page first, then the latest predictions of those rows only: joining before OFFSET would
    # look up the prediction of every skipped row too.
    if q is not None and q.strip():
        # The matches by the full-text index, counted and ordered: a cost that grows with the matches
        # only. Walking the sort index and testing each row (the planner's choice when it guesses
        # that many match) tests every row before the first match: 0.3 to 0.7 s at 100,000
        # customers for a name nobody has, or for "joao" sorted by name.
        matches = select(Customer).where(*conditions).cte("matches").prefix_with("MATERIALIZED")
        found = aliased(Customer, matches)
        rows = (
            await session.execute(
                select(found, func.count().over())
                .order_by(*_order_by(sort, found))
                .limit(limit)
                .offset(offset)
            )
        ).all()
        customers = [row[0] for row in rows]
        if rows:
            total = int(rows[0][1])
        else:
            count_query = select(func.count()).select_from(Customer).where(*conditions)
            total = int((await session.execute(count_query)).scalar_one())
    else:
        customers = list(
            await session.scalars(
                select(Customer).where(*conditions).order_by(*_order_by(sort)).limit(limit).offset(offset)
            )
        )
        total = await count_without_search(
            session=session, owner_id=owner_id, gender=gender, band=band, segment=segment
        )
    latest_ids = [customer.latest_prediction_id for customer in customers if customer.latest_prediction_id]
    latest: dict[uuid.UUID, Prediction] = {}
    if latest_ids:
        predictions = await session.scalars(select(Prediction).where(col(Prediction.id).in_(latest_ids)))
        latest = {prediction.id: prediction for prediction in predictions}
    page = [
        CustomerWithLatest(
            customer, latest.get(customer.latest_prediction_id) if customer.latest_prediction_id else None
        )
        for customer in customers
    ]
    return page, total


def new_prediction(
    *,
    owner_id: uuid.UUID,
    customer_id: uuid.UUID,
    model_input: ModelInput,
    outcome: ModelOutput | None,
    now: datetime,
) -> Prediction:
    """A prediction row: done with the model's answer, or pending (scores null) when there is none."""
    prediction = Prediction(
        id=uuid.uuid4(),
        owner_id=owner_id,
        customer_id=customer_id,
        status=PREDICTION_PENDING,
        gender=model_input.gender,
        age=model_input.age,
        annual_income=model_input.annual_income,
        created_at=now,
    )
    if outcome is not None:
        prediction.status = PREDICTION_DONE
        prediction.spending_score = outcome.spending_score
        prediction.band = outcome.band
        prediction.interval_low = outcome.interval_low
        prediction.interval_high = outcome.interval_high
        prediction.model_version = outcome.model_version
        prediction.completed_at = now
        prediction.segment_id = outcome.segment_id
        prediction.segment_probability = outcome.segment_probability
        prediction.mode_low, prediction.mode_high = outcome.modes or (None, None)
        prediction.explanation_base = outcome.explanation_base
        (prediction.contribution_gender, prediction.contribution_age, prediction.contribution_income) = (
            outcome.contributions or (None, None, None)
        )
        prediction.warnings = list(outcome.warnings)
    return prediction


async def create(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    values: CustomerCreate,
    outcome: ModelOutput | None,
    segments: Segments | None = None,
) -> CustomerWithLatest:
    """Add the customer and its first prediction (done or pending), and its observed score if given."""
    now = datetime.now(UTC)
    customer = Customer(
        id=uuid.uuid4(),
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
        search_name=search_text(values.name),
        **values.model_dump(exclude={"observed_score"}),
    )
    prediction = new_prediction(
        owner_id=owner_id,
        customer_id=customer.id,
        model_input=model_input_of(customer),
        outcome=outcome,
        now=now,
    )
    customer.set_latest(prediction)
    session.add(customer)
    await session.flush()
    session.add(prediction)
    if values.observed_score is not None:
        # The first prediction was made from the inputs alone: it is the one "made before".
        entry = observe(
            customer=customer,
            score=values.observed_score,
            prior=prediction,
            latest=prediction,
            segments=segments,
            now=now,
        )
        session.add(entry)
    return CustomerWithLatest(customer, prediction)


def observe(
    *,
    customer: Customer,
    score: int | None,
    prior: Prediction | None,
    latest: Prediction | None,
    segments: Segments | None,
    now: datetime,
) -> ObservedScore:
    """Record the owner's real score (None clears it) on the customer and return its history entry.

    ``prior`` is the newest finished prediction made before the score was known (what the dashboard's
    accuracy compares it with); ``latest`` the customer's latest prediction (its segment comes back
    when the score is cleared)."""
    customer.observed_score = score
    customer.observed_at = None if score is None else now
    compared = prior if score is not None and prior is not None and prior.status == PREDICTION_DONE else None
    customer.prior_score = None if compared is None else compared.spending_score
    customer.prior_interval_low = None if compared is None else compared.interval_low
    customer.prior_interval_high = None if compared is None else compared.interval_high
    assign_segment(customer=customer, segments=segments, latest=latest)
    return ObservedScore(owner_id=customer.owner_id, customer_id=customer.id, score=score, observed_at=now)


def assign_segment(*, customer: Customer, segments: Segments | None, latest: Prediction | None) -> None:
    """The nearest centroid of (income, observed score) when there is one and the model's segments are
    known (after a change of score or income), else the latest prediction's segment."""
    if customer.observed_score is not None and segments is not None and segments.centroids:
        customer.latest_segment = segments.nearest(customer.annual_income, float(customer.observed_score))
        customer.latest_segment_probability = None
        customer.segment_source = SEGMENT_OBSERVED
    else:
        customer.set_predicted_segment(latest)


async def assign_observed_segments(*, session: AsyncSession, segments: Segments, limit: int) -> int:
    """Observed customers still on the model's guess (their score was entered while the segments were
    unknown) moved to the nearest centroid of (income, observed score); returns how many."""
    if not segments.centroids:
        return 0
    customers = list(
        await session.scalars(
            select(Customer)
            .where(
                col(Customer.observed_score).is_not(None),
                col(Customer.segment_source).is_distinct_from(SEGMENT_OBSERVED),
            )
            .limit(limit)
        )
    )
    for customer in customers:
        assign_segment(customer=customer, segments=segments, latest=None)
        session.add(customer)
    return len(customers)


def utc_now() -> datetime:
    return datetime.now(UTC)


def model_input_of(customer: Customer) -> ModelInput:
    return ModelInput(gender=customer.gender, age=customer.age, annual_income=customer.annual_income)


def update(
    *, session: AsyncSession, customer: Customer, changes: dict[str, Any], prediction: Prediction | None
) -> None:
    """Apply ``changes``; when ``prediction`` is given it is appended and becomes the latest."""
    now = datetime.now(UTC)
    for field, value in changes.items():
        setattr(customer, field, value)
    if "name" in changes:
        customer.search_name = search_text(customer.name)
    customer.updated_at = now
    session.add(customer)
    if prediction is not None:
        session.add(prediction)
        customer.set_latest(prediction)


async def delete_one(*, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(Customer).where(col(Customer.owner_id) == owner_id, col(Customer.id) == customer_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_all_of_owner(*, session: AsyncSession, owner_id: uuid.UUID) -> int:
    """Everything the owner had: predictions go with their customers (ON DELETE CASCADE)."""
    # Up to a million customers: not bounded by the per-request statement timeout, or auth's retries of
    # a large account's deletion would time out every time. Only auth's service token calls this.
    await session.execute(text("SET LOCAL statement_timeout = 0"))
    await session.execute(delete(Prediction).where(col(Prediction.owner_id) == owner_id))
    result = await session.execute(delete(Customer).where(col(Customer.owner_id) == owner_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


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
            }
        )
    return records


# Every update of an import in one statement (the values as arrays, one element per customer): the
# aggregates' statement trigger then runs once per import, not once per row.
_IMPORT_UPDATE = text(
    "UPDATE customer SET name = u.name, search_name = u.search_name, gender = u.gender, age = u.age, "
    "annual_income = u.annual_income, updated_at = :now, "
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
    "THEN customer.segment_source WHEN u.segment IS NULL THEN NULL ELSE 'predicted' END "
    "FROM unnest(CAST(:customer_ids AS uuid[]), CAST(:names AS varchar[]), "
    "CAST(:search_names AS varchar[]), CAST(:genders AS varchar[]), CAST(:ages AS smallint[]), "
    "CAST(:incomes AS double precision[]), CAST(:prediction_ids AS uuid[]), "
    "CAST(:scores AS double precision[]), CAST(:bands AS varchar[]), CAST(:segments AS varchar[]), "
    "CAST(:probabilities AS double precision[])) "
    "AS u(customer_id, name, search_name, gender, age, annual_income, prediction_id, score, result_band, "
    "segment, probability) "
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
}


def _import_update_parameters(updates: list[dict[str, Any]]) -> dict[str, Any]:
    parameters = {
        array: [update_[key] for update_ in updates] for array, key in _IMPORT_UPDATE_ARRAYS.items()
    }
    # import_records gives every update of one import the same owner and time.
    return {**parameters, "owner_id": updates[0]["owner_id"], "now": updates[0]["now"]}


async def store_import(*, session: AsyncSession, records: ImportRecords) -> None:
    """COPY the new rows in and apply the updates, all in the session's transaction."""
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
        await session.execute(_IMPORT_UPDATE, _import_update_parameters(records.updates))
    if records.predictions:
        await driver.copy_records_to_table(
            "prediction", records=records.predictions, columns=_PREDICTION_COPY_COLUMNS
        )
    if records.observed:
        await driver.copy_records_to_table(
            "observed_score", records=records.observed, columns=_OBSERVED_COPY_COLUMNS
        )


async def by_external_ids(
    *, session: AsyncSession, owner_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Customer]:
    if not external_ids:
        return {}
    rows = await session.scalars(
        select(Customer).where(
            col(Customer.owner_id) == owner_id,
            col(Customer.external_id) == func.any(bindparam("ids", list(external_ids), type_=ARRAY(String))),
        )
    )
    return {customer.external_id: customer for customer in rows if customer.external_id is not None}


@dataclass(frozen=True, slots=True)
class DashboardGroup:
    gender: str
    band: str | None
    segment: str | None
    bucket: int | None
    age_group: int
    count: int
    scored: int
    score_sum: float


async def dashboard_groups(*, session: AsyncSession, owner_id: uuid.UUID) -> list[DashboardGroup]:
    """The owner's sums by group from ``customer_aggregate`` (kept by triggers on ``customer``): a few
    hundred rows to add up whatever the owner's size, where a GROUP BY would read every customer."""
    groups = (
        col(CustomerAggregate.gender),
        col(CustomerAggregate.band),
        col(CustomerAggregate.segment),
        col(CustomerAggregate.bucket),
        col(CustomerAggregate.age_group),
    )
    statement = (
        select(
            *groups,
            func.sum(col(CustomerAggregate.customers)),
            func.sum(col(CustomerAggregate.scored)),
            func.sum(col(CustomerAggregate.score_sum)),
        )
        .where(col(CustomerAggregate.owner_id) == owner_id)
        .group_by(*groups)
        .having(func.sum(col(CustomerAggregate.customers)) != 0)
    )
    rows = (await session.execute(statement)).all()
    return [
        DashboardGroup(
            gender=row[0],
            band=row[1],
            segment=row[2],
            bucket=None if row[3] is None else min(int(row[3]), HISTOGRAM_BUCKETS - 1),
            age_group=int(row[4]),
            count=int(row[5]),
            scored=int(row[6]),
            score_sum=float(row[7]),
        )
        for row in rows
    ]


async def count_without_search(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    gender: str | None = None,
    band: str | None = None,
    segment: str | None = None,
) -> int:
    """How many of the owner's customers have this gender, band and segment (each when given), from
    ``customer_aggregate``: the same figure as a count(*), without reading the customers."""
    conditions = [col(CustomerAggregate.owner_id) == owner_id]
    if gender is not None:
        conditions.append(col(CustomerAggregate.gender) == gender)
    if band is not None:
        conditions.append(col(CustomerAggregate.band) == band)
    if segment is not None:
        conditions.append(col(CustomerAggregate.segment) == segment)
    total = await session.scalar(
        select(func.coalesce(func.sum(col(CustomerAggregate.customers)), 0)).where(*conditions)
    )
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class ScatterRow:
    annual_income: float
    spending_score: float
    segment: str | None
    observed: bool


async def scatter_sample(
    *, session: AsyncSession, owner_id: uuid.UUID, limit: int = SCATTER_POINTS
) -> list[ScatterRow]:
    """Up to ``limit`` customers with a score (observed, else predicted): the first by id. Ids are random
    (uuid4), so this is a uniform sample, the same every time for the same customers, read from the
    (owner_id, id) index without sorting the owner's whole table."""
    score = func.coalesce(col(Customer.observed_score), col(Customer.latest_spending_score))
    rows = await session.execute(
        select(
            col(Customer.annual_income),
            score,
            col(Customer.latest_segment),
            col(Customer.observed_score).is_not(None),
        )
        .where(col(Customer.owner_id) == owner_id, score.is_not(None))
        .order_by(col(Customer.id))
        .limit(limit)
    )
    return [ScatterRow(float(row[0]), float(row[1]), row[2], bool(row[3])) for row in rows]


@dataclass(frozen=True, slots=True)
class AccuracySums:
    count: int
    absolute_error_sum: float
    squared_error_sum: float
    observed_sum: float
    observed_square_sum: float
    covered: int


async def accuracy_sums(*, session: AsyncSession, owner_id: uuid.UUID) -> AccuracySums:
    """Sums over the owner's customers with an observed score and a prediction made before it, from
    ``customer_aggregate``."""
    aggregate = CustomerAggregate
    row = (
        await session.execute(
            select(
                *(
                    func.coalesce(func.sum(col(column)), 0)
                    for column in (
                        aggregate.observed,
                        aggregate.absolute_error_sum,
                        aggregate.squared_error_sum,
                        aggregate.observed_sum,
                        aggregate.observed_square_sum,
                        aggregate.covered,
                    )
                )
            ).where(col(aggregate.owner_id) == owner_id)
        )
    ).one()
    return AccuracySums(int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4]), int(row[5]))


async def stream_for_export(
    *, session: AsyncSession, owner_id: uuid.UUID, chunk_size: int = 2000
) -> AsyncIterator[Sequence[Any]]:
    """The owner's customers with their latest prediction, ordered by name then id, chunk by chunk:
    external_id, name, gender, age, annual_income, score, band, interval low, high, model version,
    predicted at (None while pending), segment, observed score."""
    statement = (
        select(
            col(Customer.external_id),
            col(Customer.name),
            col(Customer.gender),
            col(Customer.age),
            col(Customer.annual_income),
            col(Customer.latest_spending_score),
            col(Customer.latest_band),
            col(Prediction.interval_low),
            col(Prediction.interval_high),
            col(Prediction.model_version),
            col(Prediction.completed_at),
            col(Customer.latest_segment),
            col(Customer.observed_score),
        )
        .outerjoin(Prediction, col(Prediction.id) == col(Customer.latest_prediction_id))
        .where(col(Customer.owner_id) == owner_id)
        .order_by(col(Customer.name), col(Customer.id))
        .execution_options(yield_per=chunk_size)
    )
    result = await session.stream(statement)
    async for partition in result.partitions(chunk_size):
        yield partition
