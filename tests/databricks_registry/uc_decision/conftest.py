"""Fixtures for the UC decision tests: an in-memory UC model wired into an operator in place of its hook."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
