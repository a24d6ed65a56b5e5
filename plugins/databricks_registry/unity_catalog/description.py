"""The version's description as the decision's readable trail: Airflow's sections (validation, approval) after
whatever the notebook or a person wrote, replaced in place on a re-run, and the report cut to fit."""

from __future__ import annotations

VALIDATION_HEADING = "### Airflow validation"
APPROVAL_HEADING = "### Airflow approval"
_HEADINGS = (VALIDATION_HEADING, APPROVAL_HEADING)
# Catalog Explorer shows the description in full; a few pages of report is plenty, and the test run has the rest.
MAX_DESCRIPTION_CHARS = 16_000


def with_section(description: str, heading: str, body: str) -> str:
    """`description` with the `heading` section replaced by `body` (or appended): what the notebook or a person
    wrote stays, and writing the same section again gives the same text."""
    lines = (description or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        head, tail = lines, []
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() in _HEADINGS), len(lines))
        head, tail = lines[:start], lines[end:]
    head_text = "\n".join(head).rstrip()
    section = f"{heading}\n\n{body.strip()}"
    parts = [p for p in (head_text, section, "\n".join(tail).strip()) if p]
    return "\n\n".join(parts)


def fit_report(report: str, room: int, test_run_url: str | None) -> tuple[str, bool]:
    """The report cut to `room` characters, saying so (and where the full one is) when it was cut."""
    if len(report) <= room:
        return report, False
    where = f"the full report is in the [test run]({test_run_url})" if test_run_url else "see the test run"
    note = f"\n\n_(report truncated to fit the version description: {len(report)} characters; {where})_"
    return report[: max(room - len(note), 0)].rstrip() + note, True
