"""The deployment-file tests import their helpers (compose_support, import_scan) from this folder."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
