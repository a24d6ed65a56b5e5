"""Routing of registry webhooks: Databricks' `registry-webhooks/*` and the local-only deliveries record."""

from __future__ import annotations

from flask import Blueprint

from local_workspace.webhooks import responses

blueprint = Blueprint("local_workspace_webhooks", __name__)

ROUTES = {
    "registry-webhooks/create": ("POST", responses.create_webhook),
    "registry-webhooks/list": ("GET", responses.list_webhooks),
    "registry-webhooks/update": ("PATCH", responses.update_webhook),
    "registry-webhooks/delete": ("DELETE", responses.delete_webhook),
    "registry-webhooks/test": ("POST", responses.test_webhook),
}
# Not a Databricks API: what was queued and sent, for tests and people (see README, "Registry webhooks").
DELIVERIES_PATH = "/api/2.0/local/registry-webhooks/deliveries"

for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
    for path, (method, handler) in ROUTES.items():
        rule = f"{prefix}/{path}"
        blueprint.add_url_rule(rule, rule.replace(".", "_"), handler, methods=[method])
blueprint.add_url_rule(DELIVERIES_PATH, "deliveries", responses.list_deliveries, methods=["GET"])
