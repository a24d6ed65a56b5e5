"""Every route of the workspace needs credentials; the browser login sets an opaque session cookie."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from unittest import mock
from urllib.parse import urlencode

import pytest
import requests

from local_workspace import signing

# One route of each kind the app serves: MLflow's Flask API, MLflow's native FastAPI routers (served before Flask),
# the UI's ajax-api, the registry extension, the Files API, the signed-download route, the UI itself.
PROTECTED = [
    ("GET", "/api/2.0/mlflow/experiments/search?max_results=1"),
    ("POST", "/api/2.0/mlflow/experiments/create"),
    ("GET", "/ajax-api/2.0/mlflow/experiments/search?max_results=1"),
    ("GET", "/api/3.0/mlflow/server-info"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/0/x"),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x"),
    ("POST", "/v1/traces"),
    ("GET", "/ajax-api/3.0/jobs/search"),
    ("GET", "/api/2.0/mlflow/transition-requests/list?name=x&version=1"),
    ("POST", "/api/2.0/mlflow/comments/create"),
    ("GET", "/api/2.0/mlflow/model-versions/get-signed-download-uri?name=x&version=1&path=MLmodel"),
    ("GET", "/api/2.0/fs/directories/WorkspaceInternal/Mlflow/Artifacts/0"),
    ("PUT", "/api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/0/Runs/r/x"),
    ("GET", signing.SIGNED_DOWNLOAD_PATH + "?name=x&version=1&path=MLmodel&signature=00"),
    ("GET", "/api/2.2/jobs/runs/list"),
    ("GET", "/"),
    ("GET", "/static-files/index.html"),
    ("GET", "/get-artifact?path=x&run_uuid=y"),
]


def _assert_unauthenticated(response):
    assert response.status_code == 401, (response.request.method, response.url, response.status_code)
    assert response.json()["error_code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("method,path", PROTECTED)
def test_no_credentials_is_401(workspace, method, path):
    _assert_unauthenticated(requests.request(method, workspace.url + path, json={}, timeout=30))


@pytest.mark.parametrize("method,path", PROTECTED[:6])
@pytest.mark.parametrize("authorization", ["Bearer wrong-token", "Bearer ", "Token {token}", "Basic {bad_basic}"])
def test_wrong_credentials_are_401(workspace, method, path, authorization):
    bad_basic = base64.b64encode(b"user:wrong-token").decode()
    header = authorization.format(token=workspace.token, bad_basic=bad_basic)
    _assert_unauthenticated(
        requests.request(method, workspace.url + path, json={}, headers={"Authorization": header}, timeout=30)
    )


def test_bearer_and_basic_token_are_accepted(workspace):
    url = workspace.url + "/api/2.0/mlflow/experiments/search?max_results=1"
    assert requests.get(url, headers={"Authorization": f"Bearer {workspace.token}"}, timeout=30).ok
    assert requests.get(url, auth=("anyone", workspace.token), timeout=30).ok


@pytest.mark.slow  # imports the whole app in a fresh interpreter
def test_every_route_the_app_serves_requires_credentials(workspace, tmp_path):
    """Enumerate the real app's routes (FastAPI routers and Flask url map) and call each without credentials."""
    script = (
        "import json, os, sys\n"
        "os.environ['LOCAL_WORKSPACE_DATA_DIR'] = sys.argv[1]\n"
        "from local_workspace.app import create_app\n"
        "app = create_app()\n"
        "from mlflow.server import app as flask_app\n"
        "routes = [(sorted(getattr(r, 'methods', None) or ['GET']), r.path) for r in app.app.routes "
        "if hasattr(r, 'path') and r.path]\n"
        "routes += [(sorted(r.methods - {'HEAD', 'OPTIONS'}), r.rule) for r in flask_app.url_map.iter_rules()]\n"
        "print(json.dumps(routes))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    routes = json.loads(out.stdout.strip().splitlines()[-1])
    open_paths = {"/health", "/version", "/.well-known/databricks-config"}
    checked = 0
    for methods, path in routes:
        concrete = re.sub(r"\{[^}]+\}|<[^>]+>", "x", path) or "/"
        if concrete in open_paths or concrete.rstrip("/") == "":
            continue
        for method in methods:
            _assert_unauthenticated(requests.request(method, workspace.url + concrete, timeout=30))
            checked += 1
    assert checked > 100  # MLflow serves hundreds of routes; a broken enumeration must not pass silently


def test_open_endpoints(workspace):
    assert requests.get(workspace.url + "/health", timeout=30).status_code == 200
    probe = requests.get(workspace.url + "/.well-known/databricks-config", timeout=30)
    assert probe.status_code == 200 and probe.json()["workspace_id"]
    assert requests.get(workspace.url + "/login", timeout=30).status_code == 200


@pytest.mark.parametrize("spoofed_header", ["X-Local-Workspace-User", "X_Local_Workspace_User"])
def test_client_sent_user_header_is_ignored(workspace, model_name, spoofed_header):
    """An authenticated caller cannot act as another user by sending the internal identity header."""
    headers = {"Authorization": f"Bearer {workspace.token}", spoofed_header: "mallory"}
    base = workspace.url + "/api/2.0/mlflow"
    requests.post(f"{base}/registered-models/create", json={"name": model_name}, headers=headers, timeout=30)
    requests.post(
        f"{base}/model-versions/create", json={"name": model_name, "source": "dbfs:/x"}, headers=headers, timeout=30
    )
    created = requests.post(
        f"{base}/comments/create",
        json={"name": model_name, "version": "1", "comment": "hi"},
        headers=headers,
        timeout=30,
    )
    assert created.json()["comment"]["user_id"] == workspace.user


def test_browser_login_flow(workspace):
    browser = requests.Session()
    first = browser.get(workspace.url + "/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert first.status_code == 302 and first.headers["Location"].startswith("/login")

    bad = browser.post(workspace.url + "/login", data={"token": "nope", "next": "/"}, allow_redirects=False, timeout=30)
    assert bad.status_code == 401 and not browser.cookies

    good = browser.post(
        workspace.url + "/login",
        data={"token": workspace.token, "next": "/#/models"},
        allow_redirects=False,
        timeout=30,
    )
    assert good.status_code == 303 and good.headers["Location"] == "/#/models"
    set_cookie = good.headers["Set-Cookie"]
    assert "httponly" in set_cookie.lower() and "samesite=lax" in set_cookie.lower()
    cookie_value = browser.cookies.get("lw_session")
    assert cookie_value and workspace.token not in cookie_value

    assert browser.get(workspace.url + "/", timeout=30).status_code == 200
    assert browser.get(workspace.url + "/ajax-api/2.0/mlflow/experiments/search?max_results=1", timeout=30).ok

    browser.get(workspace.url + "/logout", timeout=30)
    _assert_unauthenticated(browser.get(workspace.url + "/ajax-api/2.0/mlflow/experiments/search", timeout=30))


def test_forged_or_foreign_session_cookie_is_401(workspace):
    forged = signing.make_session_cookie(b"not-the-workspace-key", workspace.user)
    _assert_unauthenticated(
        requests.get(
            workspace.url + "/ajax-api/2.0/mlflow/experiments/search", cookies={"lw_session": forged}, timeout=30
        )
    )
    _assert_unauthenticated(
        requests.get(
            workspace.url + "/ajax-api/2.0/mlflow/experiments/search",
            cookies={"lw_session": workspace.token},
            timeout=30,
        )
    )


def test_login_does_not_redirect_off_site(workspace):
    response = requests.post(
        workspace.url + "/login",
        data={"token": workspace.token, "next": "//evil.example/x"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.headers["Location"] == "/"


def test_signed_download_signature_is_checked(workspace):
    key = signing.load_key(workspace.data_dir)
    params = signing.sign_download(key, "m", "1", "MLmodel")
    tampered = dict(params, path="../../secrets.json")
    _assert_unauthenticated(
        requests.get(f"{workspace.url}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(tampered)}", timeout=30)
    )
    with mock.patch("time.time", return_value=time.time() - signing.DOWNLOAD_TTL_SECONDS - 60):
        expired = signing.sign_download(key, "m", "1", "MLmodel")  # issued longer ago than a signature lives
    _assert_unauthenticated(
        requests.get(f"{workspace.url}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(expired)}", timeout=30)
    )
    # A valid signature gets through auth; the model does not exist, so the registry answers 404.
    valid = requests.get(f"{workspace.url}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(params)}", timeout=30)
    assert valid.status_code == 404 and valid.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_token_never_written_to_server_log(workspace):
    requests.get(
        workspace.url + "/api/2.0/mlflow/experiments/search",
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    )
    assert workspace.token not in (workspace.data_dir / "server.log").read_text()


def test_cookie_needs_a_recorded_session_and_the_current_token(workspace):
    """Even with the signing key, a cookie is refused unless /login issued its session for a current token."""
    key = signing.load_key(workspace.data_dir)
    fingerprint = signing.token_fingerprint(key, workspace.token)
    url = workspace.url + "/ajax-api/2.0/mlflow/experiments/search?max_results=1"
    never_issued = signing.make_session_cookie(key, workspace.user, "never-issued", fingerprint)
    _assert_unauthenticated(requests.get(url, cookies={"lw_session": never_issued}, timeout=30))

    issued = requests.post(
        workspace.url + "/login", data={"token": workspace.token}, allow_redirects=False, timeout=30
    ).cookies["lw_session"]
    claims = signing.read_session_cookie(key, issued)
    assert claims.user == workspace.user and claims.token_fingerprint == fingerprint
    assert requests.get(url, cookies={"lw_session": issued}, timeout=30).ok
    other_token = signing.make_session_cookie(
        key, workspace.user, claims.session_id, signing.token_fingerprint(key, "another-token")
    )
    _assert_unauthenticated(requests.get(url, cookies={"lw_session": other_token}, timeout=30))
    other_user = signing.make_session_cookie(key, "mallory@example.com", claims.session_id, fingerprint)
    _assert_unauthenticated(requests.get(url, cookies={"lw_session": other_user}, timeout=30))
