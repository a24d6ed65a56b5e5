"""`databricks-registry-webhook` (or `python -m databricks_registry.webhook_receiver.register`): register the
registry webhook that sends transition requests to Airflow's receiver, on the workspace of a Databricks connection.

    databricks-registry-webhook [--url URL] [--databricks-conn-id databricks_default]
                                [--receiver-conn-id databricks_registry_webhook] [--event EVENT ...] [--test-mode]
                                [--create-missing-models]

The secret, the models and (unless --url) the URL come from the receiver's connection (settings.py), so the
receiver and the webhook cannot disagree. Connections are read as Airflow reads them (AIRFLOW_CONN_* variables,
the metadata DB, a secrets backend).
"""

from __future__ import annotations

import argparse
import sys

from databricks_registry.webhook_receiver.registration import DEFAULT_REGISTERED_EVENTS, register_from_settings
from databricks_registry.webhook_receiver.settings import ReceiverConfigError, ReceiverSettings, receiver_conn_id


def load_settings(conn_id: str) -> ReceiverSettings:
    from airflow.sdk import BaseHook, Variable

    from databricks_registry.webhook_receiver.settings import SECRET_VARIABLE

    conn = BaseHook.get_connection(conn_id)
    return ReceiverSettings.from_connection(conn, None if conn.password else Variable.get(SECRET_VARIABLE, None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the receiver's URL as the workspace reaches it (default: connection host)")
    parser.add_argument("--databricks-conn-id", default="databricks_default")
    parser.add_argument("--receiver-conn-id", default=receiver_conn_id())
    parser.add_argument("--event", action="append", help=f"default: {' '.join(DEFAULT_REGISTERED_EVENTS)}")
    parser.add_argument("--create-missing-models", action="store_true", help="create a model that does not exist yet")
    parser.add_argument("--test-mode", action="store_true", help="register in TEST_MODE (fires only through test)")
    args = parser.parse_args(argv)
    from databricks_registry.errors import RegistryError
    from databricks_registry.hooks import ModelRegistryHook

    try:
        settings = load_settings(args.receiver_conn_id)
        done = register_from_settings(
            ModelRegistryHook(args.databricks_conn_id, caller="databricks-registry-webhook"),
            settings,
            args.url,
            tuple(args.event or DEFAULT_REGISTERED_EVENTS),
            "TEST_MODE" if args.test_mode else "ACTIVE",
            create_missing_models=args.create_missing_models,
        )
    except (ReceiverConfigError, ValueError, RegistryError) as exc:
        print(f"databricks-registry-webhook: {exc}", file=sys.stderr)
        return 2
    for registered in done:
        print(registered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
