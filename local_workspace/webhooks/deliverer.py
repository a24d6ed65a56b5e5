"""The webhook deliverer: a background thread of the serve process that sends queued deliveries.

Deliveries are rows of workspace.db (`DeliveryRow`), so they survive a restart: a PENDING row is sent when due;
a DELIVERING row whose deliverer died (its process is gone, or its claim expired) is sent again. A row is claimed
with one conditional UPDATE, so two deliverers on the same database (several servers, or a restart racing an old
process) never send the same attempt twice. Failures are retried with exponential backoff up to a bounded number
of attempts, then the row ends FAILED; every attempt records its status code and error.

Tuning (environment): LOCAL_WORKSPACE_WEBHOOK_MAX_ATTEMPTS (default 6), LOCAL_WORKSPACE_WEBHOOK_BACKOFF_SECONDS
(first retry delay, doubled each time up to 5 minutes; default 2), LOCAL_WORKSPACE_WEBHOOK_TIMEOUT_SECONDS
(per attempt; default 10).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from local_workspace.config import WorkspaceConfig
from local_workspace.db import init_db, session_scope
from local_workspace.webhooks import delivery
from local_workspace.webhooks.models import (
    ACTIVE,
    DELIVERED,
    DELIVERING,
    FAILED,
    PENDING,
    DeliveryRow,
    WebhookRow,
    now_ms,
)

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
DELIVERY_THREADS = 4


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_seconds: float = 2.0
    timeout_seconds: float = delivery.DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls) -> RetryPolicy:
        env = os.environ
        return cls(
            max_attempts=max(1, int(env.get("LOCAL_WORKSPACE_WEBHOOK_MAX_ATTEMPTS", cls.max_attempts))),
            backoff_seconds=float(env.get("LOCAL_WORKSPACE_WEBHOOK_BACKOFF_SECONDS", cls.backoff_seconds)),
            timeout_seconds=float(env.get("LOCAL_WORKSPACE_WEBHOOK_TIMEOUT_SECONDS", cls.timeout_seconds)),
        )

    def delay_ms(self, attempts: int) -> int:
        """Wait after the `attempts`-th failed attempt: backoff, 2x backoff, 4x backoff, ... (capped)."""
        return int(min(self.backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS) * 1000)

    @property
    def lease_ms(self) -> int:
        # A claim outlives any attempt (timeout) by a margin; an expired claim means its deliverer is gone.
        return int((self.timeout_seconds + 30) * 1000)


def _due(now: int):
    return or_(
        and_(DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now),
        and_(DeliveryRow.status == DELIVERING, DeliveryRow.claimed_until < now),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Deliverer:
    def __init__(self, config: WorkspaceConfig, policy: RetryPolicy | None = None, poll_interval: float = 0.2):
        self.config = config
        self.policy = policy or RetryPolicy.from_env()
        self.poll_interval = poll_interval
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is not None:
            return
        init_db(self.config.db_path)
        self.release_orphaned_claims()
        self._thread = threading.Thread(target=self._loop, name="local-workspace-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; attempts in flight finish or, if the process exits first, are sent again on restart."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def release_orphaned_claims(self) -> int:
        """Claims of a stopped deliverer on this machine go back to PENDING now, not when their lease expires."""
        host = socket.gethostname()
        with session_scope(self.config.db_path) as session:
            claimed = session.execute(
                select(DeliveryRow.id, DeliveryRow.claimed_by).where(DeliveryRow.status == DELIVERING)
            ).all()
            orphaned = []
            for row_id, owner in claimed:
                owner_host, _, pid = (owner or "").rpartition(":")
                if owner_host == host and pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
                    orphaned.append(row_id)
            if orphaned:
                session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_(orphaned), DeliveryRow.status == DELIVERING)
                    .values(status=PENDING, next_attempt_at=now_ms(), claimed_by=None, claimed_until=None)
                )
        if orphaned:
            log.warning("Resuming %d webhook deliveries interrupted by a restart.", len(orphaned))
        return len(orphaned)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.dispatch_due()
            except Exception:
                log.exception("webhook deliverer iteration failed")
            self._stopping.wait(self.poll_interval)

    def dispatch_due(self) -> list[int]:
        """Claim what is due (up to the free delivery threads) and send each in a thread; returns the claimed ids."""
        with self._lock:
            free = DELIVERY_THREADS - len(self._in_flight)
        if free <= 0:
            return []
        now = now_ms()
        with session_scope(self.config.db_path) as session:
            due = session.scalars(
                select(DeliveryRow.id).where(_due(now)).order_by(DeliveryRow.next_attempt_at).limit(free)
            ).all()
            claimed = [row_id for row_id in due if self._claim(session, row_id, now)]
        for row_id in claimed:
            with self._lock:
                self._in_flight.add(row_id)
            # Daemon threads: a receiver that hangs must not hold up the server's exit (the claim is released at
            # the next start, and the delivery sent again).
            threading.Thread(
                target=self._attempt, args=(row_id,), name=f"webhook-delivery-{row_id}", daemon=True
            ).start()
        return claimed

    def _claim(self, session, row_id: int, now: int) -> bool:
        result = session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == row_id, _due(now))
            .values(
                status=DELIVERING,
                claimed_by=self.owner,
                claimed_until=now + self.policy.lease_ms,
                attempts=DeliveryRow.attempts + 1,
                last_attempt_timestamp=now,
            )
        )
        return result.rowcount == 1

    def _attempt(self, row_id: int) -> None:
        try:
            with session_scope(self.config.db_path) as session:
                row = session.get(DeliveryRow, row_id)
                webhook = session.get(WebhookRow, row.webhook_id) if row is not None else None
            if row is None:
                return
            if webhook is None or webhook.status != ACTIVE:
                state = "deleted" if webhook is None else webhook.status
                self._record(row, delivery.Outcome(None, "", f"Not sent: the webhook is {state}."), final=True)
                return
            outcome = delivery.send(webhook, row.body, self.config.base_url, self.policy.timeout_seconds)
            self._record(row, outcome)
            if not outcome.ok:
                log.warning(
                    "Webhook %s delivery %s (%s) attempt %d failed: %s",
                    row.webhook_id,
                    row.id,
                    row.event,
                    row.attempts,
                    outcome.error or f"HTTP {outcome.status_code}",
                )
        except Exception:
            log.exception("webhook delivery %s failed unexpectedly; it is retried when its claim expires", row_id)
        finally:
            with self._lock:
                self._in_flight.discard(row_id)

    def _record(self, row: DeliveryRow, outcome: delivery.Outcome, final: bool = False) -> None:
        now = now_ms()
        values: dict = {
            "last_status_code": outcome.status_code,
            "last_error": outcome.error if not outcome.ok else None,
            "claimed_by": None,
            "claimed_until": None,
        }
        if outcome.ok:
            values.update(status=DELIVERED, delivered_timestamp=now)
        elif final or row.attempts >= self.policy.max_attempts:
            values.update(status=FAILED)
        else:
            values.update(status=PENDING, next_attempt_at=now + self.policy.delay_ms(row.attempts))
        with session_scope(self.config.db_path) as session:
            # Only while this deliverer still holds the claim (an expired claim may have been taken over).
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == row.id, DeliveryRow.claimed_by == self.owner)
                .values(**values)
            )
