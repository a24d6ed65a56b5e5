"""Seed the local workspace's warehouse with the bank-churn table, and grow it by a month at a time.

    python -m churn.seed --data-dir .local/workspace [--rows 10000] [--seed 42] [--force]
    python -m churn.seed --data-dir .local/workspace --append-month [YYYY-MM]

Writes `<data-dir>/warehouse/bank_churn_analysis/raw_data` (a Delta table; each write is a new table version).
The first seed holds the base month (`churn.monthly.BASE_MONTH`). Idempotent: an existing table is left alone
unless `--force` replaces it. `--append-month` adds a month of new customers (the month after the table's last one,
or the month named): a month already in the table is left alone, so appending it twice adds nothing. On a missing
table it seeds the base month first.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from churn.data import DEFAULT_ROWS, DEFAULT_SEED
from churn.monthly import MONTHLY_ROWS, add_months, base_table, month_batch, month_span, months_of, parse_month
from churn.schema import TABLE_NAME
from churn.storage import read_table_version, table_exists, table_path, write_table


@dataclass(frozen=True)
class SeedResult:
    path: Path
    written: bool
    rows: int
    month: str = ""
    total_rows: int = 0
    delta_version: int | None = None

    def describe(self) -> str:
        where = f"{TABLE_NAME} at {self.path}"
        if not self.written:
            if self.month:
                return f"{where} already has month {self.month}: left unchanged ({self.total_rows} rows)"
            return f"{where} already exists: left unchanged (use --force to replace it)"
        grown = f" ({self.total_rows} rows in all, Delta version {self.delta_version})" if self.total_rows else ""
        return f"wrote {self.rows} rows of month {self.month or '?'} to {where}{grown}"


def seed_table(
    data_dir: str | Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, force: bool = False
) -> SeedResult:
    warehouse = _warehouse(data_dir)
    path = table_path(TABLE_NAME, warehouse)
    if table_exists(TABLE_NAME, warehouse) and not force:
        return SeedResult(path=path, written=False, rows=0)
    frame = base_table(rows, seed)
    write_table(frame, TABLE_NAME, warehouse, mode="overwrite")
    return SeedResult(path=path, written=True, rows=len(frame), month=month_span(frame)[0])


def append_month(data_dir: str | Path, month: str | None = None, rows: int = MONTHLY_ROWS) -> SeedResult:
    """Append `month` (default: the month after the table's last one); a month already present is left alone."""
    warehouse = _warehouse(data_dir)
    if not table_exists(TABLE_NAME, warehouse):
        return seed_table(data_dir)
    table, _ = read_table_version(TABLE_NAME, warehouse)
    present = set(months_of(table))
    last = max(present)
    month = parse_month(month) if month else add_months(last, 1)
    path = table_path(TABLE_NAME, warehouse)
    if month in present:
        return SeedResult(path=path, written=False, rows=0, month=month, total_rows=len(table))
    if month < last:
        raise ValueError(f"months are appended in order: the table already runs to {last}, cannot add {month}")
    batch = month_batch(month, table["CustomerId"], int(table["RowNumber"].max()) + 1, rows)
    write_table(batch, TABLE_NAME, warehouse, mode="append")
    _, version = read_table_version(TABLE_NAME, warehouse)
    return SeedResult(
        path=path, written=True, rows=len(batch), month=month, total_rows=len(table) + len(batch), delta_version=version
    )


def _warehouse(data_dir: str | Path) -> Path:
    return Path(data_dir) / "warehouse"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _month(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churn.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="the local workspace's data dir (e.g. .local/workspace)")
    parser.add_argument(
        "--rows", type=_positive_int, default=None, help=f"default {DEFAULT_ROWS}; {MONTHLY_ROWS} a month"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="replace an existing table")
    parser.add_argument(
        "--append-month",
        nargs="?",
        const="next",
        type=lambda text: text if text == "next" else _month(text),
        metavar="YYYY-MM",
        help="append a month of new customers (default: the month after the table's last one)",
    )
    args = parser.parse_args(argv)
    if args.append_month and args.force:
        parser.error("--append-month adds to the table; --force replaces it: use one of them")
    if args.append_month:
        month = None if args.append_month == "next" else args.append_month
        try:
            result = append_month(args.data_dir, month, rows=args.rows or MONTHLY_ROWS)
        except ValueError as exc:
            parser.error(str(exc))
    else:
        result = seed_table(args.data_dir, rows=args.rows or DEFAULT_ROWS, seed=args.seed, force=args.force)
    print(result.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
