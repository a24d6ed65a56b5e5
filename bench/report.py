"""What every benchmark writes: `bench/results/<name>.json` (the figures) and `<name>.md` (the table a person reads).

Not a benchmark itself (`make bench` runs `bench_*.py`); the benchmarks import it from their own folder.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_report(name: str, figures: object, markdown_lines: list[str]) -> None:
    """Write `<name>.json` and `<name>.md` under bench/results/ and print the Markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    markdown = "\n".join(markdown_lines).rstrip() + "\n"
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown, end="")
