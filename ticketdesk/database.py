"""Declarative base, column types and time helpers shared by every model."""

import enum
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every database.

    Naive values are rejected on the way in; SQLite hands back naive values,
    which get UTC re-attached on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetime given; use an aware UTC datetime.")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(sa.types.TypeDecorator):
    """An amount of money to its currency's minor unit, up to three decimals (KWD, BHD).

    Stored as ``NUMERIC(15, 3)``. Read back with two decimals unless the third is used
    (10.50 and 368.00 as before, 1.125 for a KWD amount), so amounts of the usual
    currencies look the same as in a two-decimal column.
    """

    impl = sa.Numeric(15, 3)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        value = value if isinstance(value, Decimal) else Decimal(str(value))
        cents = value.quantize(_CENT)
        return cents if cents == value else value


_CENT = Decimal("0.01")


def _enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_cls]


class Base(DeclarativeBase):
    # An explicit registry: a class-level type_annotation_map is not supported by
    # Flask-SQLAlchemy 3.1 (flask-sqlalchemy#1361).
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            Decimal: sa.Numeric(12, 2),
            enum.Enum: sa.Enum(
                enum.Enum,
                native_enum=False,
                length=32,
                values_callable=_enum_values,
                validate_strings=True,
            ),
        },
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
