"""Printing REST results as terminal tables: numpy structured arrays as rows, dataclass records as fields."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, TextIO

import numpy as np
from rich.console import Console
from rich.table import Table

from kfeed.kst import kst_datetime64

__all__ = ["print_result", "result_table"]

MAX_ROWS = 200
"""Longest table printed; longer arrays show their first and last rows."""


def _cell(value: Any, name: str = "") -> str:
    if isinstance(value, np.ndarray):
        return " ".join(_cell(v) for v in value.tolist())
    if name.endswith("time") and isinstance(value, int | np.integer):
        ns = int(value)
        return "" if ns == 0 else str(kst_datetime64(ns).astype("datetime64[ms]")) + " KST"
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):,.2f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value)


def result_table(result: Any, title: str = "") -> Table:
    """A rich table of a REST result: one row per array element, or one row per field of a record."""
    if isinstance(result, np.ndarray) and result.dtype.names:
        table = Table(title=f"{title} ({len(result)} rows)")
        for name in result.dtype.names:
            table.add_column(name, justify="right")
        shown = result if len(result) <= MAX_ROWS else np.concatenate([result[:100], result[-100:]])
        for row in shown:
            table.add_row(*(_cell(row[name], name) for name in result.dtype.names))
        return table
    table = Table(title=title)
    table.add_column("field")
    table.add_column("value", justify="right")
    fields = (
        {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        if dataclasses.is_dataclass(result) and not isinstance(result, type)
        else dict(result)
        if isinstance(result, dict)
        else {"value": result}
    )
    for name, value in fields.items():
        if isinstance(value, np.ndarray) and value.dtype.names:
            value = f"<{len(value)} rows>"
        table.add_row(name, _cell(value, name))
    return table


def print_result(result: Any, title: str = "", out: TextIO | None = None) -> None:
    """Prints a REST result as a table (plain text when ``out`` is not a terminal)."""
    rows = getattr(result, "rows", None)
    if isinstance(rows, np.ndarray) and rows.dtype.names:
        Console(file=out or sys.stdout).print(result_table(result, title))
        result = rows
    Console(file=out or sys.stdout, width=200).print(result_table(result, title))
