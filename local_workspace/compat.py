"""Request shapes Databricks accepts and MLflow's handlers do not.

databricks-sdk sends DELETE parameters in the query string (`DELETE registered-models/delete?name=...`), as the
Databricks REST API defines them; MLflow's Flask handlers read DELETE parameters from a JSON body only. This WSGI
wrapper turns the query of such a DELETE (with no body) into the JSON body MLflow expects.
"""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs

API_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")


class DeleteQueryAsJsonBody:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") == "DELETE"
            and environ.get("QUERY_STRING")
            and environ.get("PATH_INFO", "").startswith(API_PREFIXES)
            and int(environ.get("CONTENT_LENGTH") or 0) == 0
        ):
            params = parse_qs(environ["QUERY_STRING"], keep_blank_values=True)
            body = json.dumps({k: v[0] if len(v) == 1 else v for k, v in params.items()}).encode()
            environ = dict(environ, CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
            environ["wsgi.input"] = io.BytesIO(body)
        return self.wsgi_app(environ, start_response)
