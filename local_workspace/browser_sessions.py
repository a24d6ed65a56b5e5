"""Server-side record of browser sessions (signed in at `/login`), so `/logout` revokes a cookie everywhere.

The rows live in workspace.db, shared by every uvicorn worker: a session ended in one worker is refused by all.
A cookie alone (even validly signed and unexpired) is accepted only while its session id is recorded here.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from sqlalchemy import text

from local_workspace.db import get_engine

_CREATE = text(
    "CREATE TABLE IF NOT EXISTS browser_sessions ("
    "id TEXT PRIMARY KEY, user_name TEXT NOT NULL, expires_at INTEGER NOT NULL)"
)


def ensure_table(db_path: Path) -> None:
    # IF NOT EXISTS: several workers run this at start-up at the same time.
    with get_engine(db_path).begin() as conn:
        conn.execute(_CREATE)


def create(db_path: Path, user: str, ttl_seconds: int) -> str:
    """Record a new session for `user`; returns its id. Expired rows are dropped on the way."""
    session_id = secrets.token_urlsafe(24)
    now = int(time.time())
    with get_engine(db_path).begin() as conn:
        conn.execute(text("DELETE FROM browser_sessions WHERE expires_at < :now"), {"now": now})
        conn.execute(
            text("INSERT INTO browser_sessions (id, user_name, expires_at) VALUES (:id, :user, :exp)"),
            {"id": session_id, "user": user, "exp": now + ttl_seconds},
        )
    return session_id


def is_active(db_path: Path, session_id: str, user: str) -> bool:
    with get_engine(db_path).connect() as conn:
        row = conn.execute(
            text("SELECT 1 FROM browser_sessions WHERE id = :id AND user_name = :user AND expires_at >= :now"),
            {"id": session_id, "user": user, "now": int(time.time())},
        ).first()
    return row is not None


def revoke(db_path: Path, session_id: str) -> None:
    with get_engine(db_path).begin() as conn:
        conn.execute(text("DELETE FROM browser_sessions WHERE id = :id"), {"id": session_id})
