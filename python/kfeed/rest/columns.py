"""Mapping tables from vendor JSON records to numpy structured arrays, built column by column.

A :class:`Table` lists English column names with the wire keys they come from (every known spelling) and how to
coerce the value. Keys are matched case-insensitively, unknown keys are ignored, and a column whose key is absent
gets its kind's default. Each column is converted with one vectorised numpy call when the values allow it, and
value by value through :mod:`kfeed.rest.lenient` only when they do not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from kfeed.rest import lenient

__all__ = ["Column", "Kind", "Table", "rows_of"]

Kind = Literal["int", "float", "text", "code", "day", "time", "hhmmss", "bool", "side"]
"""How a column is coerced. ``time`` reads ``HHMMSSmm`` and ``hhmmss`` reads ``HHMMSS``, both into nanoseconds since
the epoch (KST on the given day); see :data:`_BASE_DTYPES` for the numpy type of each kind."""

_BASE_DTYPES: dict[str, str] = {
    "int": "<i8",
    "float": "<f8",
    "code": "<U12",
    "day": "<M8[D]",
    "time": "<i8",
    "hhmmss": "<i8",
    "bool": "?",
    "side": "i1",
}
_ABSENT: dict[str, Any] = {
    "int": 0,
    "float": np.nan,
    "text": "",
    "code": "",
    "day": np.datetime64("NaT"),
    "time": 0,
    "hhmmss": 0,
    "bool": False,
    "side": 0,
}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _clamped_int(value: Any) -> int:
    number = lenient.to_int(value)
    return number if _INT64_MIN <= number <= _INT64_MAX else 0


_SCALAR_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": _clamped_int,
    "float": lenient.to_float,
    "text": lenient.to_text,
    "code": lenient.to_code,
    "day": lenient.to_day,
    "bool": lenient.to_bool,
    "side": lenient.to_side,
}


@dataclass(frozen=True, slots=True)
class Column:
    """One output column: its English ``name``, its ``kind`` and the wire keys it is read from.

    ``wire`` holds every spelling of the key, first the documented one. With ``levels`` > 0 the column is an array of
    that many book levels and each wire key contains ``{n}``, replaced by the level number 1..levels.
    """

    name: str
    kind: Kind
    wire: tuple[str, ...]
    levels: int = 0
    width: int = 64

    @property
    def dtype(self) -> np.dtype:
        """The numpy type of the column (a subarray type for book levels)."""
        base = np.dtype(f"<U{self.width}") if self.kind == "text" else np.dtype(_BASE_DTYPES[self.kind])
        return np.dtype((base, (self.levels,))) if self.levels else base


def rows_of(body: Any, *names: str) -> list[Mapping[str, Any]]:
    """The list of row objects under any of ``names`` (matched case-insensitively), or ``body`` if it is a list.

    Non-object elements are dropped; a missing list is an empty one.
    """
    if isinstance(body, list):
        found: Any = body
    elif isinstance(body, Mapping):
        wanted = {name.lower() for name in names}
        found = next((value for key, value in body.items() if key.lower() in wanted), None)
    else:
        found = None
    if not isinstance(found, list):
        return []
    return [row for row in found if isinstance(row, Mapping)]


class Table:
    """A mapping table: wire records in, a numpy structured array with English field names out."""

    def __init__(self, name: str, columns: Sequence[Column]) -> None:
        self.name = name
        self.columns = tuple(columns)
        self.dtype = np.dtype([(column.name, column.dtype) for column in self.columns])
        self.names = tuple(column.name for column in self.columns)

    def __repr__(self) -> str:
        return f"Table({self.name!r}, {len(self.columns)} columns)"

    def array(self, rows: Sequence[Mapping[str, Any]], day: dt.date) -> np.ndarray:
        """Convert ``rows`` to an array of :attr:`dtype`; ``day`` dates the ``time`` columns (KST)."""
        out = np.zeros(len(rows), dtype=self.dtype)
        if not rows:
            return out
        spellings = _spellings(rows)
        for column in self.columns:
            if column.levels:
                for level in range(column.levels):
                    keys = _keys_for(spellings, (w.format(n=level + 1) for w in column.wire))
                    out[column.name][:, level] = _convert(column, _gather(rows, keys), day)
            else:
                out[column.name] = _convert(column, _gather(rows, _keys_for(spellings, column.wire)), day)
        return out

    def values(self, record: Mapping[str, Any], day: dt.date) -> dict[str, Any]:
        """One record as a dict of Python values keyed by English name (book levels stay numpy arrays)."""
        row = self.array([record], day)[0]
        return {column.name: _python_value(column, row[column.name]) for column in self.columns}


def _spellings(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    present: set[str] = set()
    for row in rows:
        present.update(row.keys())
    spellings: dict[str, list[str]] = {}
    for key in present:
        spellings.setdefault(key.lower(), []).append(key)
    return spellings


def _keys_for(spellings: Mapping[str, list[str]], wire: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for name in wire:
        keys.extend(spellings.get(name.lower(), ()))
    return keys


def _gather(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[Any] | None:
    if not keys:
        return None
    if len(keys) == 1:
        key = keys[0]
        return [row.get(key) for row in rows]
    return [next((row[key] for key in keys if row.get(key) is not None), None) for row in rows]


def _convert(column: Column, values: list[Any] | None, day: dt.date) -> Any:
    """The column's values as a numpy array, or its kind's default scalar when the wire key is absent."""
    kind = column.kind
    if values is None:
        return _ABSENT[kind]
    if kind in ("int", "float"):
        base = np.int64 if kind == "int" else np.float64
        try:
            return np.array(values, dtype=base)
        except (ValueError, TypeError, OverflowError):
            pass
    if kind == "time":
        return np.fromiter((lenient.hhmmssmm_to_ns(value, day) for value in values), np.int64, len(values))
    if kind == "hhmmss":
        return np.fromiter((lenient.hhmmss_to_ns(value, day) for value in values), np.int64, len(values))
    converted = [_SCALAR_CONVERTERS[kind](value) for value in values]
    if kind == "day":
        return np.array([np.datetime64("NaT") if value is None else value for value in converted], dtype="<M8[D]")
    return np.array(converted, dtype=column.dtype.base if column.levels else column.dtype)


def _python_value(column: Column, value: Any) -> Any:
    if column.levels:
        levels = np.array(value)
        levels.flags.writeable = False
        return levels
    if column.kind in ("text", "code"):
        return str(value)
    if column.kind == "day":
        return None if np.isnat(value) else value.item()
    return value.item()
