"""The receiver's state in Airflow's metadata DB: the replay guard and the asset event, in one transaction.

Every API server worker shares the DB, so a delivery seen by one worker is a replay for all of them: its key is
inserted into a small table of our own (`databricks_webhook_delivery`, primary key = the key) in the same
transaction as the asset event, so of two identical deliveries racing on two workers exactly one emits.
The asset event goes through Airflow's own `asset_manager.register_asset_change` (as `POST /api/v2/assets/events`
does), which queues the runs of the DAGs scheduled on the asset; the scheduler starts them on its next loop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, insert, inspect, or_, select
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session

TABLE_NAME = "databricks_webhook_delivery"
_metadata = MetaData()
deliveries = Table(
    TABLE_NAME,
    _metadata,
    Column("delivery_key", String(64), primary_key=True),
    Column("received_at", DateTime, nullable=False, index=True),
)
# Keys older than this are forgotten; the freshness check refuses such old deliveries anyway.
MIN_KEY_RETENTION = timedelta(days=1)


class AssetNotFound(LookupError):
    pass


_tables_ready: set[str] = set()  # DB URLs this process has checked


def ensure_table(session: Session) -> None:
    """Create the replay-guard table if this DB does not have it yet (idempotent; safe from several workers);
    checked once per process and database."""
    bind = session.get_bind()
    url = str(bind.engine.url)
    if url not in _tables_ready:
        try:
            deliveries.create(bind=bind, checkfirst=True)
        except DatabaseError:
            if not inspect(bind).has_table(TABLE_NAME):
                raise
            # another worker created it between our check and our CREATE
        _tables_ready.add(url)


def emit_once(
    session: Session, asset: str, key: str, extra: dict[str, Any], now: datetime, max_age_seconds: float
) -> Any | None:
    """Record `key` and emit one event with `extra` on `asset` (URI or name); None (nothing emitted) if `key` was
    seen before. The caller commits. Raises AssetNotFound when Airflow does not know the asset."""
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel

    model = session.scalar(select(AssetModel).where(or_(AssetModel.uri == asset, AssetModel.name == asset)).limit(1))
    if model is None:
        raise AssetNotFound(f"Airflow knows no asset with URI or name {asset!r} (is the DAG using it parsed?)")
    try:
        with session.begin_nested():
            session.execute(insert(deliveries).values(delivery_key=key, received_at=now.replace(tzinfo=None)))
    except IntegrityError:
        return None
    retention = max(MIN_KEY_RETENTION, timedelta(seconds=2 * max_age_seconds))
    session.execute(delete(deliveries).where(deliveries.c.received_at < (now - retention).replace(tzinfo=None)))
    return asset_manager.register_asset_change(
        asset=model, extra=extra, source_is_api=True, api_user_teams=set(), session=session
    )
