"""Seed the local workspace's warehouse with the bank-churn table.

    python -m churn.seed --data-dir .local/workspace [--rows 10000] [--seed 42] [--force]

Writes `<data-dir>/warehouse/bank_churn_analysis/raw_data` (a Delta table). Idempotent: an existing table is left
alone unless `--force` replaces it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from churn.data import DEFAULT_ROWS, DEFAULT_SEED, generate_churn_data
from churn.schema import TABLE_NAME
from churn.storage import table_exists, table_path, write_table


@dataclass(frozen=True)
class SeedResult:
    path: Path
    written: bool
    rows: int

    def describe(self) -> str:
        if not self.written:
            return f"{TABLE_NAME} already exists at {self.path}: left unchanged (use --force to replace it)"
        return f"wrote {self.rows} rows to {TABLE_NAME} at {self.path}"


def seed_table(
    data_dir: str | Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, force: bool = False
) -> SeedResult:
    warehouse = Path(data_dir) / "warehouse"
    path = table_path(TABLE_NAME, warehouse)
    if table_exists(TABLE_NAME, warehouse) and not force:
        return SeedResult(path=path, written=False, rows=0)
    frame = generate_churn_data(rows, seed)
    write_table(frame, TABLE_NAME, warehouse, mode="overwrite")
    return SeedResult(path=path, written=True, rows=len(frame))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churn.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="the local workspace's data dir (e.g. .local/workspace)")
    parser.add_argument("--rows", type=_positive_int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="replace an existing table")
    args = parser.parse_args(argv)
    result = seed_table(args.data_dir, rows=args.rows, seed=args.seed, force=args.force)
    print(result.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
