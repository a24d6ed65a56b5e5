"""The deliverer's claims: several deliverers on one database (several servers, or a restart racing the old
process) send each delivery exactly once."""

from __future__ import annotations

import threading

from support.waiting import wait_for
from support.webhook_receiver import WebhookReceiver

from local_workspace.config import WorkspaceConfig
from local_workspace.db import init_db, session_scope
from local_workspace.webhooks import events
from local_workspace.webhooks.deliverer import Deliverer, RetryPolicy
from local_workspace.webhooks.models import DELIVERED, DeliveryRow, WebhookRow, now_ms


def test_racing_deliverers_send_each_delivery_once(tmp_path):
    config = WorkspaceConfig(data_dir=tmp_path, base_url="http://127.0.0.1:9")
    init_db(config.db_path)
    with WebhookReceiver() as receiver:
        with session_scope(config.db_path) as session:
            session.add(
                WebhookRow(
                    id="hook",
                    events_json='["COMMENT_CREATED"]',
                    status="ACTIVE",
                    url=receiver.url,
                    creation_timestamp=now_ms(),
                    last_updated_timestamp=now_ms(),
                )
            )
            for n in range(40):
                body = events.payload("COMMENT_CREATED", "hook", {"model_name": "m", "version": str(n)})
                session.add(events.new_delivery("hook", "COMMENT_CREATED", body))
        deliverers = [Deliverer(config, RetryPolicy(max_attempts=1)) for _ in range(3)]
        for number, deliverer in enumerate(deliverers):
            deliverer.owner = f"test-deliverer-{number}"  # as if in three processes
        stop = threading.Event()

        def run(deliverer: Deliverer) -> None:
            while not stop.is_set():
                deliverer.dispatch_due()
                stop.wait(0.01)

        threads = [threading.Thread(target=run, args=(d,)) for d in deliverers]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: _delivered(config) == 40, 60, "all 40 deliveries")
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert sorted(int(r.json["version"]) for r in receiver.received) == list(range(40))
        with session_scope(config.db_path) as session:
            assert {row.attempts for row in session.query(DeliveryRow)} == {1}


def _delivered(config: WorkspaceConfig) -> int:
    with session_scope(config.db_path) as session:
        return session.query(DeliveryRow).filter(DeliveryRow.status == DELIVERED).count()
