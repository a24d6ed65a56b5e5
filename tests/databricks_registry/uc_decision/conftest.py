"""The UC decision tests' import path: this directory (the in-memory model) and `../uc` (uc_setup: real UC models
on the local workspace)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "uc"))
sys.path.insert(0, str(Path(__file__).parent))
