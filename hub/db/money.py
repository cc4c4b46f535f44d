"""Exact money and rate columns: ``Decimal`` in, ``Decimal`` out, on every backend; a float is refused.

PostgreSQL has a native NUMERIC: the column is a plain ``Numeric(14, 2)`` / ``Numeric(9, 4)`` and the driver
hands back ``Decimal``. SQLite has none: SQLAlchemy's ``Numeric`` binds a ``Decimal`` there as a float, and
SQL ``SUM`` adds REAL values. So on SQLite the column (still declared NUMERIC, same DDL as on PostgreSQL)
holds an exact integer count of the smallest unit (cents for money, ten-thousandths for rates): ``SUM`` is an
integer sum and every value read back - a column or ``func.sum(column)``, which SQLAlchemy types like the
column - is scaled back to an exact ``Decimal``.

Values are quantized to the column's scale with ROUND_HALF_UP (what PostgreSQL's NUMERIC does on both
backends alike); a value beyond the column's precision is refused with ValueError on both, as PostgreSQL
refuses it. Rows SQLite stored as REAL before this type are converted by migration 0009.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class _SqliteUnits(Numeric):  # type: ignore[type-arg]
    """NUMERIC(p, s) in the DDL, integers on the wire: no float conversion either way."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class _Exact(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True
    precision: int = 14
    scale: int = 2

    def __init__(self) -> None:
        super().__init__(precision=self.precision, scale=self.scale, asdecimal=True)
        self._quantum = Decimal(1).scaleb(-self.scale)
        self._limit = Decimal(10) ** (self.precision - self.scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteUnits(precision=self.precision, scale=self.scale))
        return dialect.type_descriptor(Numeric(precision=self.precision, scale=self.scale, asdecimal=True))

    def _exact(self, value: object) -> Decimal:
        if isinstance(value, float):
            raise TypeError(f"{type(self).__name__}: a float is never money; pass a Decimal")
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"{type(self).__name__}: expected a Decimal, got {type(value).__name__}")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"{type(self).__name__}: {amount} is not a finite amount")
        amount = amount.quantize(self._quantum, rounding=ROUND_HALF_UP)
        if abs(amount) >= self._limit:
            raise ValueError(f"{type(self).__name__}: {amount} exceeds NUMERIC({self.precision}, {self.scale})")
        return amount

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = self._exact(value)
        if dialect.name == "sqlite":
            return int(amount.scaleb(self.scale))
        return amount

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        return "NULL" if value is None else str(self.process_bind_param(value, dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # only SQL arithmetic on the column can produce one; never via float math
                value = Decimal(repr(value)).to_integral_value(rounding=ROUND_HALF_UP)
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class Money(_Exact):
    """Money: ``Numeric(14, 2)``; cents as integers on SQLite."""

    cache_ok = True
    precision = 14
    scale = 2


class Rate(_Exact):
    """A rate in percent: ``Numeric(9, 4)``; ten-thousandths as integers on SQLite."""

    cache_ok = True
    precision = 9
    scale = 4


# Every (table, column, scale) stored through these types, for migration 0009's SQLite conversion and its test.
def exact_columns(metadata: Any) -> set[tuple[str, str, int]]:
    return {(table.name, column.name, column.type.scale) for table in metadata.tables.values()
            for column in table.columns if isinstance(column.type, _Exact)}
