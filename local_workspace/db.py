"""The workspace's own SQLite database (Databricks-only state), safe for several processes.

WAL mode plus a busy timeout lets the uvicorn workers and the run dispatcher write concurrently.
Each service declares its tables on `Base`; `init_db` creates whatever is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    pass


@cache
def get_engine(db_path: Path) -> Engine:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}", connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def init_db(db_path: Path) -> Engine:
    """Create all tables declared on `Base` (import the service model modules first)."""
    engine = get_engine(db_path)
    Base.metadata.create_all(engine)
    return engine


@cache
def _session_factory(db_path: Path) -> sessionmaker:
    return sessionmaker(bind=get_engine(db_path), expire_on_commit=False)


@contextmanager
def session_scope(db_path: Path) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    session = _session_factory(db_path)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
