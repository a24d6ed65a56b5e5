"""Routing of the Jobs API (`runs/*` and saved jobs) under /api/2.2 and /api/2.1 (same semantics for these
calls)."""

from __future__ import annotations

from flask import Blueprint

from local_workspace.jobs import responses, saved_responses

blueprint = Blueprint("local_workspace_jobs", __name__)

ROUTES = (
    ("runs/submit", ["POST"], responses.submit_run),
    ("runs/get", ["GET"], responses.get_run),
    ("runs/get-output", ["GET"], responses.get_run_output),
    ("runs/cancel", ["POST"], responses.cancel_run),
    ("runs/list", ["GET"], responses.list_runs),
    ("create", ["POST"], saved_responses.create_job),
    ("get", ["GET"], saved_responses.get_job),
    ("list", ["GET"], saved_responses.list_jobs),
    ("update", ["POST"], saved_responses.update_job),
    ("reset", ["POST"], saved_responses.reset_job),
    ("delete", ["POST"], saved_responses.delete_job),
    ("run-now", ["POST"], saved_responses.run_now),
)

for version in ("2.2", "2.1"):
    for path, methods, handler in ROUTES:
        blueprint.add_url_rule(
            f"/api/{version}/jobs/{path}",
            f"{version}_{path}".replace("/", "_").replace(".", "_").replace("-", "_"),
            handler,
            methods=methods,
        )
