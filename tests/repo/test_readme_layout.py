"""The README's layout table is the map a newcomer reads first: every path it names exists, and every top-level
entry of the repository and every package below include/ and plugins/ appears in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Files every Python repository has; naming them in the table would add nothing.
UNLISTED = {"README.md", ".gitignore", ".dockerignore"}


def layout_paths() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows, "README has no layout table"
    return {path.rstrip("/") for row in rows for path in re.findall(r"`([^`]+)`", row.split("|")[1])}


def tracked_files() -> list[str]:
    done = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_every_path_in_the_layout_table_exists():
    missing = sorted(p for p in layout_paths() if not (REPO_ROOT / p).exists())
    assert not missing, f"README layout table names paths that do not exist: {missing}"


def test_every_top_level_entry_and_package_is_in_the_layout_table():
    listed = layout_paths()

    def covered(path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in listed)

    # A top-level folder counts as listed when its parts are (include/ is described package by package).
    tops = {f.split("/", 1)[0] for f in tracked_files()} - UNLISTED
    tops = {t for t in tops if not any(p.startswith(t + "/") for p in listed)}
    packages = {str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("include/*/__init__.py")}
    packages |= {str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("plugins/*/__init__.py")}
    unlisted = sorted(p for p in tops | packages if not covered(p))
    assert not unlisted, f"not in the README layout table: {unlisted}"
