"""The workspace's browser pages over real HTTP: run pages, registry activity pages, the link bridge at `/`.

A browser session (the `/login` cookie) reads the pages, as a person would; the APIs are driven with the token.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import requests
from markupsafe import escape
from support.waiting import wait_for

from databricks_registry.links import model_version_url

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_NAME = '<script>alert("q") <img src=x onerror=alert(1)>'  # model names cannot contain "/" or ":"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def browser(workspace) -> requests.Session:
    session = requests.Session()
    login = session.post(
        workspace.url + "/login", data={"token": workspace.token, "next": "/"}, allow_redirects=False, timeout=30
    )
    assert login.status_code == 303 and session.cookies.get("lw_session")
    return session


@pytest.fixture(scope="module")
def api(workspace):
    headers = {"Authorization": f"Bearer {workspace.token}"}

    def call(method: str, path: str, **kwargs) -> dict:
        response = requests.request(method, workspace.url + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    return call


def open_page(browser, url: str, status: int = 200) -> str:
    response = browser.get(url, headers=HTML, timeout=30)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # The pages run no script: user data can never become one.
    assert "<script" not in response.text.lower()
    return response.text


def run_notebook(api, notebook: str, params: dict) -> dict:
    run_id = api(
        "POST",
        "/api/2.2/jobs/runs/submit",
        json={
            "run_name": f"pages {HOSTILE}",
            "tasks": [
                {
                    "task_key": "main",
                    "notebook_task": {"notebook_path": f"{NOTEBOOKS}/{notebook}", "base_parameters": params},
                }
            ],
        },
    )["run_id"]

    def finished():
        run = api("GET", "/api/2.2/jobs/runs/get", params={"run_id": run_id})
        return run if run["state"]["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED") else None

    return wait_for(finished, timeout=300, what=f"run {run_id} to finish")


@pytest.mark.notebook
def test_run_page_of_a_finished_run_shows_state_params_output_and_links(workspace, browser, api):
    event = json.dumps({"event": "TRANSITION_REQUEST_CREATED", "model_name": f"churn {HOSTILE}", "version": "4"})
    run = run_notebook(api, "hello", {"name": HOSTILE, "event_message": event})
    assert run["state"]["result_state"] == "SUCCESS"
    task = run["tasks"][0]
    assert run["run_page_url"] == f"{workspace.url}/jobs/runs/{run['run_id']}"

    page = open_page(browser, run["run_page_url"])
    assert "TERMINATED · SUCCESS" in page
    assert "pages &lt;script&gt;alert(1)&lt;/script&gt;" in page  # run name, escaped
    assert "<code>name</code>" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # a parameter
    assert "&#34;greeting&#34;: &#34;hello &lt;script&gt;alert(1)&lt;/script&gt;.&#34;" in page  # exit value
    assert "stdout and stderr" in page and "hello &lt;script&gt;alert(1)&lt;/script&gt;." in page  # logs
    assert f'href="/jobs/runs/{task["run_id"]}"' in page
    # The test notebook's event_message names a model version: the page links to its registry activity.
    assert f'href="/registry/models/{quote("churn " + HOSTILE, safe="")}/versions/4"' in page

    task_page = open_page(browser, task["run_page_url"])
    assert f'href="/jobs/runs/{run["run_id"]}"' in task_page and "&#34;greeting&#34;" in task_page


@pytest.mark.notebook
def test_run_page_with_a_non_ascii_digit_version_parameter_renders(browser, api):
    """ "²".isdigit() is True but int("²") raises: such a `version` parameter is just not a model version."""
    run = run_notebook(api, "hello", {"name": "x", "model_name": "superscript model", "version": "\u00b2"})
    page = open_page(browser, run["tasks"][0]["run_page_url"])
    assert "<code>version</code>" in page
    assert "/registry/models/superscript" not in page


@pytest.mark.notebook
def test_run_page_of_a_failed_run_shows_the_error_and_trace(browser, api):
    run = run_notebook(api, "fails", {})
    assert run["state"]["result_state"] == "FAILED"
    page = open_page(browser, run["tasks"][0]["run_page_url"])
    assert "TERMINATED · FAILED" in page
    assert '<pre class="error">ValueError: bad value 42</pre>' in page
    assert "Traceback (most recent call last)" in page and "about to fail" in page


def test_activity_page_shows_requests_comments_and_decisions(workspace, browser, api, model_name):
    name = f"{model_name} {HOSTILE_NAME} 'q' ü"
    base = "/api/2.0/mlflow"
    api("POST", f"{base}/registered-models/create", json={"name": name})
    for _ in range(2):
        api("POST", f"{base}/model-versions/create", json={"name": name, "source": "dbfs:/x"})

    def act(path: str, version: str, stage: str, comment: str, **extra):
        api(
            extra.pop("method", "POST"),
            f"{base}/transition-requests/{path}",
            json={"name": name, "version": version, "stage": stage, "comment": comment, **extra},
        )

    act("create", "1", "Staging", "v1 please")
    act("approve", "1", "Staging", "v1 ok", archive_existing_versions=True)
    act("create", "2", "Staging", "v2 please")
    act("approve", "2", "Staging", "v2 replaces v1", archive_existing_versions=True)  # archives v1
    act("create", "2", "Production", "straight to prod?")
    act("reject", "2", "Production", "not yet")
    act("create", "2", "Production", f"now {HOSTILE}")
    api("POST", f"{base}/comments/create", json={"name": name, "version": "2", "comment": f"**ship it** {HOSTILE}"})

    page = open_page(browser, f"{workspace.url}/registry/models/{quote(name, safe='')}/versions/2")
    assert f"<h1>{escape(name)} · version 2</h1>" in page
    requests_table = page.split("<h2>Transition requests</h2>")[1].split("<h2>Comments</h2>")[0]
    for status, comment in (
        ("APPROVED", "v2 please"),
        ("REJECTED", "straight to prod?"),
        ("OPEN", "now &lt;script&gt;alert(1)&lt;/script&gt;"),
    ):
        assert f'<span class="status {status.lower()}">{status}</span>' in requests_table
        assert f"<pre>{comment}</pre>" in requests_table
    assert "<pre>**ship it** &lt;script&gt;alert(1)&lt;/script&gt;</pre>" in page  # the comment, as plain text
    for activity in ("REQUESTED_TRANSITION", "APPROVED_REQUEST", "REJECTED_REQUEST", "NEW_COMMENT"):
        assert f'<tr class="activity {activity.lower()}">' in page
    assert "<pre>not yet</pre>" in page and "<pre>v2 replaces v1</pre>" in page

    archived = open_page(browser, f"{workspace.url}/registry/models/{quote(name, safe='')}/versions/1")
    assert '<tr class="activity system_transition">' in archived
    assert "Archived because version 2 was transitioned to Staging." in archived
    assert '<span class="stage">Archived</span>' in archived

    model_page = open_page(browser, f"{workspace.url}/registry/models/{quote(name, safe='')}")
    for version in ("1", "2"):
        assert f'href="/registry/models/{quote(name, safe="")}/versions/{version}"' in model_page
    listing = open_page(browser, f"{workspace.url}/registry/models")
    assert f'href="/registry/models/{quote(name, safe="")}"' in listing


def test_unknown_runs_and_models_are_404_pages(workspace, browser):
    assert "Run 987654 does not exist." in open_page(browser, f"{workspace.url}/jobs/runs/987654", 404)
    page = open_page(
        browser, f"{workspace.url}/registry/models/{quote('no such ' + HOSTILE_NAME, safe='')}/versions/1", 404
    )
    assert "no such &lt;script&gt;" in page
    open_page(browser, f"{workspace.url}/registry/models/{quote('no such model')}", 404)


@pytest.mark.parametrize(
    "path", ["/jobs/runs/1", "/jobs/runs", "/registry/models", f"/registry/models/{quote('a b ü', safe='')}/versions/1"]
)
def test_pages_without_a_session_redirect_to_login_and_back(workspace, path):
    anonymous = requests.Session()
    response = anonymous.get(workspace.url + path, headers=HTML, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [unquote(path)]
    login = anonymous.post(
        workspace.url + "/login",
        data={"token": workspace.token, "next": unquote(path)},
        allow_redirects=False,
        timeout=30,
    )
    # Today's login answers a non-ASCII next path as raw UTF-8 bytes (browsers read them as UTF-8), percent-encoded
    # would be better: accept both.
    location = login.headers["Location"].encode("latin-1").decode("utf-8")
    assert login.status_code == 303 and unquote(location) == unquote(path)
    assert requests.get(workspace.url + path, timeout=30).status_code == 401  # no browser, no session: JSON 401


def test_root_serves_mlflow_ui_with_the_link_bridge(workspace, browser):
    index = browser.get(workspace.url + "/", headers=HTML, timeout=30)
    assert index.status_code == 200
    head = index.text.split("</head>")[0]
    assert "static-files/static/js/main." in head  # MLflow's own app, unchanged
    assert head.endswith('<script src="/workspace-pages/static/ui-bridge.js"></script>')
    assert "ETag" not in index.headers  # no cache may keep a copy without the bridge
    script = browser.get(workspace.url + "/workspace-pages/static/ui-bridge.js", timeout=30)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert "#mlflow\\/models\\/" in script.text and "/jobs/runs/" in script.text
    assert browser.get(workspace.url + "/workspace-pages/static/nope.js", timeout=30).status_code == 404


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the bridge script outside a browser")
def test_bridge_translates_databricks_links_to_pages_that_exist(workspace, browser, api, model_name, tmp_path):
    """The plugin's Databricks-shaped links, through the served bridge script, end on real pages."""
    name = f"{model_name} {HOSTILE_NAME} 'q' ü"
    api("POST", "/api/2.0/mlflow/registered-models/create", json={"name": name})
    api("POST", "/api/2.0/mlflow/model-versions/create", json={"name": name, "source": "dbfs:/x"})
    bridge = tmp_path / "ui_bridge.js"
    bridge.write_text(browser.get(workspace.url + "/workspace-pages/static/ui-bridge.js", timeout=30).text)

    def evaluate(function: str, argument: str):
        code = (
            f"const b = require({json.dumps(str(bridge))});"
            f"process.stdout.write(JSON.stringify(b.{function}({json.dumps(argument)})));"
        )
        out = subprocess.run(["node", "-e", code], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    version_link = model_version_url(workspace.url, name, 1)
    fragment = version_link.split("#", 1)[1]
    target = evaluate("translate", "#" + fragment)
    route = re.fullmatch(r"#/models/([^/]+)/versions/1", target["hash"])  # MLflow's own version route
    assert route and unquote(route[1]) == name
    activity = evaluate("activityLink", target["hash"])
    assert activity["href"].startswith("/registry/models/") and activity["href"].endswith("/versions/1")
    assert f"<h1>{escape(name)} · version 1</h1>" in open_page(browser, workspace.url + activity["href"])

    # Databricks' run URL shapes: `{host}/#job/{job}/run/{run}`, with `?o={workspace id}` when known, and the old
    # `#job/runs/{run}` form.
    for link in (
        f"{workspace.url}/#job/41/run/42",
        f"{workspace.url}/?o=1234567890123456#job/41/run/42",
        f"{workspace.url}/#job/runs/42",
    ):
        assert evaluate("translate", "#" + link.split("#", 1)[1]) == {"path": "/jobs/runs/42"}
    assert evaluate("translate", "#/experiments/1") is None  # MLflow's own routes are left alone
    assert evaluate("translate", "#mlflow/models/%E0%A4%A/versions/1") is None  # malformed encoding
    assert evaluate("activityLink", "#/experiments/1") is None
