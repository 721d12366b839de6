"""The customer and prediction tables (API shapes live in schemas.py)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlmodel import Field, SQLModel, col

from spendscore_common.database import table_registry


class CustomersTable(SQLModel, registry=table_registry()):
    """Base of the customers service's tables: their own MetaData, with the naming convention."""


PREDICTION_DONE = "done"
PREDICTION_PENDING = "pending"
SEGMENT_OBSERVED = "observed"
SEGMENT_PREDICTED = "predicted"
# The list reads only the rows outside the recycle bin: its sort indexes hold only those.
_LISTED = text("deleted_at IS NULL")


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Customer(CustomersTable, table=True):
    """A store owner's customer.

    ``latest_prediction_id`` points at the newest prediction; its score and band are copied into
    ``latest_spending_score`` / ``latest_band`` so that sorting, filtering and the dashboard work on
    this table alone (indexed), without a join over the whole history.

    ``latest_segment`` is the customer's segment: the nearest centroid of (income, observed score) when
    the owner entered the real score (``segment_source`` "observed"), else the latest prediction's
    (``segment_source`` "predicted", with its probability). ``prior_*`` keep the prediction made
    before the observed score was entered, for the dashboard's accuracy figures.
    """

    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_created", "owner_id", "created_at", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_name", "owner_id", "name", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_age", "owner_id", "age", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_score", "owner_id", "latest_spending_score", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_segment", "owner_id", "latest_segment", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_income", "owner_id", "annual_income", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_gender", "owner_id", "gender", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_updated", "owner_id", "updated_at", "id", postgresql_where=_LISTED),
        Index("ix_customer_owner_external", "owner_id", "external_id", "id", postgresql_where=_LISTED),
        Index(
            "ix_customer_owner_observed_score", "owner_id", "observed_score", "id", postgresql_where=_LISTED
        ),
        Index(
            "ix_customer_deleted",
            "owner_id",
            "deleted_at",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
        # uuid4 ids are random: the first ids of an owner are the dashboard's deterministic sample.
        Index("ix_customer_owner_id", "owner_id", "id"),
        Index("ix_customer_owner_observed", "owner_id", postgresql_where=text("observed_score IS NOT NULL")),
        Index(
            "ix_customer_search_words",
            text("to_tsvector('simple'::regconfig, search_name)"),
            postgresql_using="gin",
        ),
        Index("uq_customer_owner_external_id", "owner_id", "external_id", unique=True),
        CheckConstraint("gender IN ('male', 'female')", name="gender"),
        CheckConstraint("age BETWEEN 0 AND 120", name="age"),
        CheckConstraint("annual_income >= 0", name="annual_income"),
        CheckConstraint("observed_score BETWEEN 1 AND 100", name="observed_score"),
        CheckConstraint("segment_source IN ('observed', 'predicted')", name="segment_source"),
        CheckConstraint("observed_source IN ('typed', 'sales')", name="observed_source"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, primary_key=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    # The name as search_text.search_text() normalises it (no accents, case or punctuation).
    search_name: str = Field(default="", sa_column=Column(String(400), nullable=False, server_default=""))
    # The store's own code for the customer (a CSV's CustomerID): unique per owner, optional.
    external_id: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    gender: str = Field(sa_column=Column(String(6), nullable=False))
    age: int = Field(sa_column=Column(SmallInteger, nullable=False))
    annual_income: float = Field(sa_column=Column(Float, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_timestamp())
    updated_at: datetime | None = Field(default=None, sa_column=_timestamp())
    # No foreign key: the pointer and the prediction's customer_id would reference each other.
    latest_prediction_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    latest_spending_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    latest_band: str | None = Field(default=None, sa_column=Column(String(6), nullable=True))
    latest_segment: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    latest_segment_probability: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    segment_source: str | None = Field(default=None, sa_column=Column(String(9), nullable=True))
    observed_score: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    observed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    prior_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    prior_interval_low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    prior_interval_high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # Set: in the recycle bin (hidden everywhere, counted nowhere, restorable) until purged.
    deleted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # "typed" or "sales" (issue 25): where the current observed score came from.
    observed_source: str | None = Field(default=None, sa_column=Column(String(5), nullable=True))
    # Contacts (issue 24): E.164 phone, e-mail. Never logged.
    phone: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    email: str | None = Field(default=None, sa_column=Column(String(254), nullable=True))
    # The income as the owner entered it in the store's unit (issue 23), ``annual_income`` being its
    # conversion; all None when it was entered in the model's unit (k$ per year).
    income_amount: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    income_currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    income_period: str | None = Field(default=None, sa_column=Column(String(5), nullable=True))
    income_in_thousands: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    income_units_per_model_unit: float | None = Field(default=None, sa_column=Column(Float, nullable=True))

    def set_latest(self, prediction: "Prediction") -> None:
        """Point at ``prediction`` as the newest one, with its score, band and segment copied alongside
        (an observed segment stays: the owner's real score outranks the model's guess)."""
        self.latest_prediction_id = prediction.id
        self.latest_spending_score = prediction.spending_score
        self.latest_band = prediction.band
        if self.segment_source != SEGMENT_OBSERVED:
            self.set_predicted_segment(prediction)

    def set_predicted_segment(self, prediction: "Prediction | None") -> None:
        segment = None if prediction is None else prediction.segment_id
        self.latest_segment = segment
        self.latest_segment_probability = None if prediction is None else prediction.segment_probability
        self.segment_source = None if segment is None else SEGMENT_PREDICTED


# ``-spending_score`` lists the highest scores first and the pending (NULL) ones last: reading
# ix_customer_owner_score backwards would give the NULLs first, so this order has its own index; so
# has every other descending order of a nullable column.
Index(
    "ix_customer_owner_score_desc",
    col(Customer.owner_id),
    col(Customer.latest_spending_score).desc().nulls_last(),
    col(Customer.id).desc(),
    postgresql_where=_LISTED,
)
for _name, _column in (
    ("ix_customer_owner_segment_desc", Customer.latest_segment),
    ("ix_customer_owner_external_desc", Customer.external_id),
    ("ix_customer_owner_observed_score_desc", Customer.observed_score),
):
    Index(
        _name,
        col(Customer.owner_id),
        col(_column).desc().nulls_last(),
        col(Customer.id).desc(),
        postgresql_where=_LISTED,
    )


class Prediction(CustomersTable, table=True):
    """One prediction of a customer's history, with the inputs it was computed from."""

    __tablename__ = "prediction"
    __table_args__ = (
        Index("ix_prediction_customer_created", "customer_id", "created_at"),
        Index("ix_prediction_owner", "owner_id"),
        Index(
            "ix_prediction_pending",
            "owner_id",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("status IN ('done', 'pending')", name="status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, primary_key=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    customer_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(sa_column=Column(String(7), nullable=False))
    spending_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    band: str | None = Field(default=None, sa_column=Column(String(6), nullable=True))
    interval_low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    interval_high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    model_version: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    gender: str = Field(sa_column=Column(String(6), nullable=False))
    age: int = Field(sa_column=Column(SmallInteger, nullable=False))
    annual_income: float = Field(sa_column=Column(Float, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_timestamp())
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    segment_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    segment_probability: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    mode_low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    mode_high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # Why the score (issue 23): the training data's average score and each input's Shapley value.
    explanation_base: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    contribution_gender: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    contribution_age: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    contribution_income: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    warnings: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    )
    # Issue 25: the store correction that answered (None: the global model alone), and what the global
    # model said, which the correction started from (None when no correction was applied).
    store_model_version: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    global_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    global_interval_low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    global_interval_high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class CustomerAggregate(CustomersTable, table=True):
    """Sums over an owner's customers in one group of the dashboard's (gender, band, segment, score
    bucket, age group), signed deltas of the writes: the group's figures are the sum of its rows.

    Written only by the database: triggers on ``customer`` add the rows of every statement and now and
    then fold an owner's rows into one per group (migration 20261202_0102 says how).
    """

    __tablename__ = "customer_aggregate"
    __table_args__ = (Index("ix_customer_aggregate_owner", "owner_id"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    gender: str = Field(sa_column=Column(String(6), nullable=False))
    band: str | None = Field(default=None, sa_column=Column(String(6), nullable=True))
    segment: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # floor(score / 10): 0-10, a score of 100 in bucket 10; None while pending.
    bucket: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    age_group: int = Field(sa_column=Column(SmallInteger, nullable=False))
    customers: int = Field(sa_column=Column(BigInteger, nullable=False))
    scored: int = Field(sa_column=Column(BigInteger, nullable=False))
    score_sum: float = Field(sa_column=Column(Numeric, nullable=False))
    # Over the customers with an observed score and a prediction made before it (the accuracy's).
    observed: int = Field(sa_column=Column(BigInteger, nullable=False))
    absolute_error_sum: float = Field(sa_column=Column(Numeric, nullable=False))
    squared_error_sum: float = Field(sa_column=Column(Numeric, nullable=False))
    observed_sum: int = Field(sa_column=Column(BigInteger, nullable=False))
    observed_square_sum: int = Field(sa_column=Column(BigInteger, nullable=False))
    covered: int = Field(sa_column=Column(BigInteger, nullable=False))


class ObservedScore(CustomersTable, table=True):
    """One entry of a customer's observed-score history: the score the owner entered (None: cleared)."""

    __tablename__ = "observed_score"
    __table_args__ = (
        Index("ix_observed_score_customer_observed", "customer_id", "observed_at"),
        Index("ix_observed_score_owner", "owner_id"),
        CheckConstraint("score BETWEEN 1 AND 100", name="score"),
        CheckConstraint("source IN ('typed', 'sales')", name="source"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, primary_key=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    customer_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    score: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    observed_at: datetime | None = Field(default=None, sa_column=_timestamp())
    source: str = Field(default="typed", sa_column=Column(String(5), nullable=False, server_default="typed"))


class ImportUpload(CustomersTable, table=True):
    """An import that was stored, by the digest of its bytes: a retried upload (same file, same
    owner, within a day) is answered with the first one's result instead of being stored twice."""

    __tablename__ = "import_upload"

    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    digest: str = Field(sa_column=Column(String(64), primary_key=True))
    created_at: datetime | None = Field(default=None, sa_column=_timestamp())
    result: str = Field(sa_column=Column(Text, nullable=False))


class SavedView(CustomersTable, table=True):
    """A search, filters and sort of the customers list that an owner named (issue 24)."""

    __tablename__ = "saved_view"
    __table_args__ = (Index("uq_saved_view_owner_name", "owner_id", "name", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, primary_key=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    name: str = Field(sa_column=Column(String(80), nullable=False))
    q: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    gender: str | None = Field(default=None, sa_column=Column(String(6), nullable=True))
    band: str | None = Field(default=None, sa_column=Column(String(6), nullable=True))
    segment: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    sort: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=_timestamp())
    updated_at: datetime | None = Field(default=None, sa_column=_timestamp())


# --- issue 25: sales and store models ---


class Sale(CustomersTable, table=True):
    """One sale of the owner's point of sale, to one customer (imported from a file)."""

    __tablename__ = "sale"
    __table_args__ = (
        Index("ix_sale_owner_sold_on", "owner_id", "sold_on"),
        Index("ix_sale_customer_sold_on", "customer_id", "sold_on"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, primary_key=True))
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    customer_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    sold_on: date = Field(sa_column=Column(Date, nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_timestamp())


class StoreModel(CustomersTable, table=True):
    """An owner's store correction of the global model (fitted by inference, kept here) and the
    progress of re-scoring the owner's customers with it."""

    __tablename__ = "store_model"

    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    model_version: str = Field(sa_column=Column(String(100), nullable=False))
    version: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))  # None: global
    chosen: bool = Field(sa_column=Column(Boolean, nullable=False))
    reason: str = Field(sa_column=Column(String(30), nullable=False))
    score_offset: float = Field(sa_column=Column(Float, nullable=False))
    score_slope: float = Field(sa_column=Column(Float, nullable=False))
    interval_scale: float = Field(sa_column=Column(Float, nullable=False))
    income_scale: float = Field(default=1.0, sa_column=Column(Float, nullable=False, server_default="1"))
    held_out: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    fitted_at: datetime | None = Field(default=None, sa_column=_timestamp())
    rescore_total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class StoreSettings(CustomersTable, table=True):
    """An owner's own money (issue 23): the unit incomes are typed, imported and read in. No row: the
    model's unit (k$ per year, factor 1)."""

    __tablename__ = "store_settings"
    __table_args__ = (
        CheckConstraint("period IN ('month', 'year')", name="period"),
        CheckConstraint("units_per_model_unit > 0", name="units_per_model_unit"),
    )

    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    period: str = Field(sa_column=Column(String(5), nullable=False))
    in_thousands: bool = Field(sa_column=Column(Boolean, nullable=False))
    units_per_model_unit: float = Field(sa_column=Column(Float, nullable=False))
    # When the owner last changed the factor (not the currency's or period's words).
    units_set_at: datetime | None = Field(default=None, sa_column=_timestamp())
    updated_at: datetime | None = Field(default=None, sa_column=_timestamp())
