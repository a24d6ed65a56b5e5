"""MLflow's index.html (GET /) loads the UI bridge script before MLflow's React app boots.

The bridge translates Databricks-shaped URL fragments (what Airflow's links and `run_page_url` look like on a real
workspace) into MLflow's hash routes or the workspace's pages, and links MLflow's model pages to the registry
activity pages. MLflow's own page is otherwise served unchanged.
"""

from __future__ import annotations

import logging

from flask import Response, request

from local_workspace.pages.assets import PAGES_CSS, UI_BRIDGE_JS

log = logging.getLogger(__name__)

STATIC_PREFIX = "/workspace-pages/static"
BRIDGE_SCRIPT_URL = f"{STATIC_PREFIX}/ui-bridge.js"
SCRIPT_TAG = f'<script src="{BRIDGE_SCRIPT_URL}"></script>'.encode()
ASSETS = {"ui-bridge.js": (UI_BRIDGE_JS, "text/javascript"), "pages.css": (PAGES_CSS, "text/css")}


def inject_bridge(response: Response) -> Response:
    """after_request hook of the app: adds the bridge script to MLflow's index.html, and only there."""
    if (
        request.path != "/"
        or request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or response.mimetype != "text/html"
    ):
        return response
    response.direct_passthrough = False  # send_from_directory streams the file; we need its bytes
    body = response.get_data()
    end_of_head = body.find(b"</head>")
    if end_of_head < 0:
        log.warning("MLflow's index.html has no </head>; serving it without the Databricks link bridge.")
        return response
    if SCRIPT_TAG not in body:
        response.set_data(body[:end_of_head] + SCRIPT_TAG + body[end_of_head:])
    # The body is no longer the file's: drop the file's validators so no cache serves a page without the bridge.
    for header in ("ETag", "Last-Modified", "Accept-Ranges"):
        response.headers.pop(header, None)
    response.headers["Cache-Control"] = "no-cache"
    return response


def static_asset(filename: str):
    from flask import abort

    if filename not in ASSETS:
        abort(404)
    text, mimetype = ASSETS[filename]
    response = Response(text, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
